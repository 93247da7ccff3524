/// How attention turns a row of scores into probabilities. Both are max-subtracted softmaxes made of IEEE-754
/// operations only, so each gives the same bits on every CPU and thread count; they differ in the exponential.
public enum SoftmaxKind: String, Sendable, CaseIterable {
    /// `DeterministicMath.exp` (Double, rounded once) one element at a time, summed in Float: the fusion and text
    /// models' attention, whose trained weights `DeterminismTests` pins.
    case exact
    /// `SoftmaxKernel`: eight lanes at a time on a degree-7 polynomial exp (a few ulps from `expf`): the transformer
    /// towers (CLIP, timm ViT, BERT), where rows are long and there are many of them.
    case vectorised

    /// row[0..<count] ← softmax(row[0..<count]); nothing when count = 0. O(count).
    @inline(__always)
    func softmax(_ row: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .vectorised: SoftmaxKernel.softmax(row, count: count)
        case .exact:
            guard count > 0 else { return }
            var maximum = -Float.infinity
            for j in 0..<count { maximum = max(maximum, row[j]) }
            var sum: Float = 0
            for j in 0..<count { let e = DeterministicMath.exp(row[j] - maximum); row[j] = e; sum += e }
            let inverse = 1 / sum
            for j in 0..<count { row[j] *= inverse }
        }
    }

    /// One row of `width` scores in place: the keys below `end` that `allowed` permits (all of them when nil) get
    /// their softmax, every other key exactly 0. With a table, the permitted scores are gathered into `scratch`
    /// (`end` floats) so the softmax sees them contiguous and in order, as it would a prefix. O(width).
    @inline(__always)
    func maskedRow(
        _ row: UnsafeMutablePointer<Float>, end: Int, width: Int, allowed: UnsafePointer<Bool>?,
        scratch: UnsafeMutablePointer<Float>
    ) {
        if let allowed {
            var n = 0
            for j in 0..<end where allowed[j] { scratch[n] = row[j]; n &+= 1 }
            softmax(scratch, count: n)
            n = 0
            for j in 0..<end {
                if allowed[j] { row[j] = scratch[n]; n &+= 1 } else { row[j] = 0 }
            }
        } else {
            softmax(row, count: end)
        }
        (row + end).update(repeating: 0, count: width - end)
    }
}

/// Softmax of one row, vectorised over 8 lanes. `exp` evaluates e^x as 2ⁿ·e^r with n = round(x·log₂e) and
/// |r| ≤ ln2/2 by a degree-7 polynomial (relative error within a few float ulps, like `expf`), so probabilities
/// agree with the scalar definition to float rounding. Every row is reduced in a fixed lane order, so results do not
/// depend on threads or alignment. O(count).
enum SoftmaxKernel {
    typealias Vector = SIMD8<Float>

    /// row[0..<count] ← softmax(row[0..<count]) (max-subtracted); nothing when count = 0.
    @inline(__always)
    static func softmax(_ row: UnsafeMutablePointer<Float>, count: Int) {
        guard count > 0 else { return }
        let lanes = Vector.scalarCount, whole = count - count % lanes
        var top = Vector(repeating: -.infinity)
        var j = 0
        while j < whole {
            let v = load(row + j)
            top.replace(with: v, where: v .> top)
            j &+= lanes
        }
        var maximum = top.max()
        for k in whole..<count { maximum = max(maximum, row[k]) }
        var total = Vector(repeating: 0)
        j = 0
        while j < whole {
            let e = exp(load(row + j) - maximum)
            store(e, row + j)
            total += e
            j &+= lanes
        }
        var tail = Vector(repeating: 0)
        for k in whole..<count { tail[k - whole] = row[k] - maximum }
        let tailExp = exp(tail)
        var sum = total.sum()
        for k in whole..<count { row[k] = tailExp[k - whole]; sum += tailExp[k - whole] }
        let inverse = 1 / sum
        j = 0
        while j < whole { store(load(row + j) * inverse, row + j); j &+= lanes }
        for k in whole..<count { row[k] *= inverse }
    }

    /// e^x per lane for x ≤ 88 (inputs below −87 give e^−87 ≈ 1.6e−38, i.e. 0 after normalisation).
    @inline(__always)
    static func exp(_ x: Vector) -> Vector {
        let x = x.replacing(with: -87, where: x .< -87)  // (stdlib's generic pointwiseMax is not inlined)
        let magic: Float = 12_582_912  // 1.5·2²³: adding it rounds to an integer held in the low mantissa bits
        let shifted = x * 1.442_695_04 + magic
        let n = shifted - magic
        var r = x - n * 0.693_359_375
        r -= n * -2.121_944_4e-4
        var poly = r * 1.987_569_15e-4 + 1.398_199_95e-3
        poly = poly * r + 8.333_451_9e-3
        poly = poly * r + 4.166_579_59e-2
        poly = poly * r + 0.166_666_655
        poly = poly * r + 0.500_000_01
        let er = poly * (r * r) + r + 1
        let exponent = (unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
        return er * unsafeBitCast(exponent, to: Vector.self)
    }

    @inline(__always) static func load(_ p: UnsafeMutablePointer<Float>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }

    @inline(__always) static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
    }
}
