import Foundation

/// The three 64-bit perceptual hashes of one image. Bit 63 (most significant) is the first bit of
/// each hash's row-major bit matrix; hex is 16 lowercase digits.
public struct ImageHashes: Sendable, Hashable {
    public var phash: UInt64
    public var dhash: UInt64
    public var ahash: UInt64

    /// The 256-bit pHash (64×64 plane, low 16×16 block) as four words, most significant first; empty
    /// unless asked for. Used to confirm near-duplicate candidates.
    public var phash256: [UInt64]

    /// The `pairdx-phash-v2` crop signature (`CropSignature`): nine window hashes, 36 words; empty unless
    /// asked for.
    public var crops: [UInt64]

    /// The `pairdx-phash-v2` 32×32 thumbnail (`AlignedDetail`) that confirms candidates; empty unless asked for
    /// (with `crops`).
    public var thumbnail: [UInt8]

    public init(
        phash: UInt64, dhash: UInt64, ahash: UInt64, phash256: [UInt64] = [], crops: [UInt64] = [],
        thumbnail: [UInt8] = []
    ) {
        self.phash = phash; self.dhash = dhash; self.ahash = ahash; self.phash256 = phash256; self.crops = crops
        self.thumbnail = thumbnail
    }

    public static func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    public var phashHex: String { Self.hex(phash) }
    public var dhashHex: String { Self.hex(dhash) }
    public var ahashHex: String { Self.hex(ahash) }
    public var phash256Hex: String? { phash256.isEmpty ? nil : phash256.map(Self.hex).joined() }

    /// Parses 64 hex digits into four words.
    public static func words256(_ hex: String) -> [UInt64]? {
        guard hex.utf8.count == 64 else { return nil }
        let chars = Array(hex)
        let words = (0..<4).compactMap { UInt64(String(chars[($0 * 16)..<($0 * 16 + 16)]), radix: 16) }
        return words.count == 4 ? words : nil
    }
}

/// pHash, dHash and aHash of a luma plane, as written in `docs/pairdx-phash-v1.md`.
public enum PerceptualHash {
    /// `cos(π·k·(2n+1)/(2N))` for k < low, n < N, row-major.
    static func cosines(size n: Int, low: Int) -> [Double] {
        (0..<low).flatMap { k in (0..<n).map { i in cos(Double.pi * Double(k) * Double(2 * i + 1) / Double(2 * n)) } }
    }
    static let cos32 = cosines(size: 32, low: 8)
    static let cos64 = cosines(size: 64, low: 16)

    /// All three hashes (and the 256-bit pHash when `wide`) of a whole luma plane, fed row by row through
    /// `PlaneHasher`. O(width·height·taps) for the resizes.
    public static func hashes(luma: [UInt8], width: Int, height: Int, wide: Bool = false, crops: Bool = false)
        -> ImageHashes
    {
        precondition(luma.count == width * height)
        var hasher = PlaneHasher(width: width, height: height, wide: wide, crops: crops)
        luma.withUnsafeBufferPointer { p in
            for y in 0..<height { hasher.push(p.baseAddress! + y * width, y: y) }
        }
        return hasher.hashes()
    }

    /// The hashes from the resized planes: 32×32 (pHash), 9×8 (dHash), 8×8 (aHash), 64×64 (wide pHash).
    static func hashes(p32: [UInt8], p98: [UInt8], p88: [UInt8], p64: [UInt8]?, p128: [UInt8]? = nil) -> ImageHashes {
        let words = p64.map { dctBits($0, size: 64, low: 16, cosines: cos64) } ?? []
        return ImageHashes(
            phash: phash(from32: p32), dhash: dhash(from9x8: p98), ahash: ahash(from8x8: p88),
            phash256: words, crops: p128.map(CropSignature.signature) ?? [],
            thumbnail: p128.map(AlignedDetail.thumbnail) ?? [])
    }

    /// The low `low`×`low` block of the unnormalised 2-D DCT-II of a `size`×`size` plane, thresholded
    /// at its median, packed row-major most significant bit first into `low²/64` words.
    static func dctBits(_ p: [UInt8], size: Int, low: Int, cosines c: [Double]) -> [UInt64] {
        dctBits(p.map(Double.init), size: size, low: low, cosines: c)
    }

    /// The same on a plane of real samples.
    static func dctBits(_ p: [Double], size: Int, low: Int, cosines c: [Double]) -> [UInt64] {
        precondition(p.count == size * size && (low * low) % 64 == 0)
        var a = [Double](repeating: 0, count: low * size)
        var d = [Double](repeating: 0, count: low * low)
        p.withUnsafeBufferPointer { p in
            c.withUnsafeBufferPointer { c in
                a.withUnsafeMutableBufferPointer { a in
                    for k in 0..<low {
                        for j in 0..<size {
                            var s = 0.0
                            for n in 0..<size { s += c[k &* size &+ n] * p[n &* size &+ j] }
                            a[k &* size &+ j] = 2 * s
                        }
                    }
                    for k in 0..<low {
                        for l in 0..<low {
                            var s = 0.0
                            for j in 0..<size { s += c[l &* size &+ j] * a[k &* size &+ j] }
                            d[k &* low &+ l] = 2 * s
                        }
                    }
                }
            }
        }
        let sorted = d.sorted()
        let m = d.count / 2
        let median = (sorted[m - 1] + sorted[m]) / 2
        return (0..<(d.count / 64)).map { w in pack(64) { d[w * 64 + $0] > median } }
    }

    /// Low 8×8 of the unnormalised 2-D DCT-II (`X_k = 2 Σ x_n cos(πk(2n+1)/2N)` down the columns, then
    /// along the rows) of a 32×32 plane, DC included; bit (u, v) = `D[u][v] > median(D)`, where the
    /// median of the 64 values is the mean of the 32nd and 33rd smallest.
    static func phash(from32 p: [UInt8]) -> UInt64 {
        dctBits(p, size: 32, low: 8, cosines: cos32)[0]
    }

    /// Bit (r, c) = `p[r][c+1] > p[r][c]` on a 9-wide, 8-high plane.
    static func dhash(from9x8 p: [UInt8]) -> UInt64 {
        precondition(p.count == 72)
        return pack(64) { i in p[(i / 8) * 9 + i % 8 + 1] > p[(i / 8) * 9 + i % 8] }
    }

    /// Bit i = `p[i] > mean` on an 8×8 plane (compared exactly as `64·p[i] > Σp`).
    static func ahash(from8x8 p: [UInt8]) -> UInt64 {
        precondition(p.count == 64)
        let sum = p.reduce(0) { $0 + Int($1) }
        return pack(64) { 64 * Int(p[$0]) > sum }
    }

    @inline(__always) static func pack(_ n: Int, _ bit: (Int) -> Bool) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<n where bit(i) { v |= 1 << UInt64(63 - i) }
        return v
    }

    /// Hamming distance.
    @inline(__always) public static func distance(_ a: UInt64, _ b: UInt64) -> Int { (a ^ b).nonzeroBitCount }
}

/// The hashes of a luma plane that arrives a row at a time: the four Lanczos resizes run per row, so the
/// memory is a row of the width plus the small output planes, whatever the height.
struct PlaneHasher {
    private var r32: RowResizer, r98: RowResizer, r88: RowResizer
    private var r64: RowResizer?
    private var r128: RowResizer?

    init(width: Int, height: Int, wide: Bool, crops: Bool = false) {
        r32 = RowResizer(width: width, height: height, toWidth: 32, toHeight: 32)
        r98 = RowResizer(width: width, height: height, toWidth: 9, toHeight: 8)
        r88 = RowResizer(width: width, height: height, toWidth: 8, toHeight: 8)
        r64 = wide ? RowResizer(width: width, height: height, toWidth: 64, toHeight: 64) : nil
        r128 =
            crops
            ? RowResizer(
                width: width, height: height, toWidth: CropSignature.planeSide,
                toHeight: CropSignature.planeSide) : nil
    }

    /// Row `y` of `width` luma samples; rows must come in order.
    mutating func push(_ row: UnsafePointer<UInt8>, y: Int) {
        r32.push(row, y: y)
        r98.push(row, y: y)
        r88.push(row, y: y)
        r64?.push(row, y: y)
        r128?.push(row, y: y)
    }

    func hashes() -> ImageHashes {
        PerceptualHash.hashes(
            p32: r32.result(), p98: r98.result(), p88: r88.result(), p64: r64?.result(), p128: r128?.result())
    }
}
