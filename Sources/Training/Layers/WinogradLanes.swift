/// The vector helpers of `Winograd`'s transforms: even/odd column split and merge of image rows, and the lane
/// types a transform runs over (8 tiles at once, or 1).
extension Winograd {
    /// even[k] = line[2k], odd[k] = line[2k + 1] for k < 8·⌊w/16⌋, eight at a time; returns that k (the caller
    /// finishes the row).
    @inline(__always)
    static func split(
        _ line: UnsafePointer<Float>, width w: Int, even: UnsafeMutablePointer<Float>, odd: UnsafeMutablePointer<Float>
    ) -> Int {
        var k = 0
        while 2 &* k &+ 16 <= w {
            let v = UnsafeRawPointer(line + 2 &* k).loadUnaligned(as: SIMD16<Float>.self)
            v.evenHalf.store(even + k)
            v.oddHalf.store(odd + k)
            k &+= 8
        }
        return k
    }

    /// out[2k] = even[k], out[2k + 1] = odd[k] for k < 8·⌊w/16⌋, eight at a time; returns that k.
    @inline(__always)
    static func merge(
        even: UnsafePointer<Float>, odd: UnsafePointer<Float>, width w: Int, into out: UnsafeMutablePointer<Float>
    ) -> Int {
        var k = 0
        while 2 &* k &+ 16 <= w {
            var v = SIMD16<Float>()
            v.evenHalf = .load(even + k)
            v.oddHalf = .load(odd + k)
            UnsafeMutableRawPointer(out + 2 &* k).storeBytes(of: v, as: SIMD16<Float>.self)
            k &+= 8
        }
        return k
    }
}

/// A run of consecutive tiles handled at once by the transforms: 8 in a vector, or 1 (the rest of a tile row).
protocol WinogradLanes {
    static var zero: Self { get }
    static func load(_ p: UnsafePointer<Float>) -> Self
    func store(_ p: UnsafeMutablePointer<Float>)
    static func + (a: Self, b: Self) -> Self
    static func - (a: Self, b: Self) -> Self
}

extension Float: WinogradLanes {
    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> Float { p.pointee }
    @inline(__always) func store(_ p: UnsafeMutablePointer<Float>) { p.pointee = self }
}

extension SIMD8: WinogradLanes where Scalar == Float {
    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }
    @inline(__always) func store(_ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: self, as: SIMD8<Float>.self)
    }
}
