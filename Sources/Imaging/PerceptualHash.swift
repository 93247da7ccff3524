import Foundation

/// The three 64-bit perceptual hashes of one image. Bit 63 (most significant) is the first bit of
/// each hash's row-major bit matrix; hex is 16 lowercase digits.
public struct ImageHashes: Sendable, Hashable {
    public var phash: UInt64
    public var dhash: UInt64
    public var ahash: UInt64

    public init(phash: UInt64, dhash: UInt64, ahash: UInt64) { self.phash = phash; self.dhash = dhash; self.ahash = ahash }

    public static func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    public var phashHex: String { Self.hex(phash) }
    public var dhashHex: String { Self.hex(dhash) }
    public var ahashHex: String { Self.hex(ahash) }
}

/// pHash, dHash and aHash of a luma plane, as written in `docs/pairdx-phash-v1.md`.
public enum PerceptualHash {
    /// `cosTable[k·32 + n] = cos(π·k·(2n+1)/64)` for k < 8, n < 32.
    static let cosTable: [Double] = (0..<8).flatMap { k in
        (0..<32).map { n in cos(Double.pi * Double(k) * Double(2 * n + 1) / 64.0) }
    }

    /// All three hashes. O(width·height·taps) for the resizes, O(1) after.
    public static func hashes(luma: [UInt8], width: Int, height: Int) -> ImageHashes {
        let p32 = Resample.resize(luma, width: width, height: height, channels: 1, toWidth: 32, toHeight: 32)
        let p98 = Resample.resize(luma, width: width, height: height, channels: 1, toWidth: 9, toHeight: 8)
        let p88 = Resample.resize(luma, width: width, height: height, channels: 1, toWidth: 8, toHeight: 8)
        return ImageHashes(phash: phash(from32: p32), dhash: dhash(from9x8: p98), ahash: ahash(from8x8: p88))
    }

    /// Low 8×8 of the unnormalised 2-D DCT-II (`X_k = 2 Σ x_n cos(πk(2n+1)/2N)` down the columns, then
    /// along the rows) of a 32×32 plane, DC included; bit (u, v) = `D[u][v] > median(D)`, where the
    /// median of the 64 values is the mean of the 32nd and 33rd smallest.
    static func phash(from32 p: [UInt8]) -> UInt64 {
        precondition(p.count == 1024)
        // Columns first: A[k][j] = 2 Σ_n c[k][n] · p[n][j].
        var a = [Double](repeating: 0, count: 8 * 32)
        for k in 0..<8 {
            for j in 0..<32 {
                var s = 0.0
                for n in 0..<32 { s += cosTable[k * 32 + n] * Double(p[n * 32 + j]) }
                a[k * 32 + j] = 2 * s
            }
        }
        // Then rows: D[k][l] = 2 Σ_j c[l][j] · A[k][j].
        var d = [Double](repeating: 0, count: 64)
        for k in 0..<8 {
            for l in 0..<8 {
                var s = 0.0
                for j in 0..<32 { s += cosTable[l * 32 + j] * a[k * 32 + j] }
                d[k * 8 + l] = 2 * s
            }
        }
        let sorted = d.sorted()
        let median = (sorted[31] + sorted[32]) / 2
        return pack(64) { d[$0] > median }
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
