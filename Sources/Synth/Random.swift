import PairDxCore

/// A small, fast, deterministic generator (xoshiro256** seeded through SplitMix64).
///
/// Every article and every figure owns one, seeded from `KeyedHash.value(seed:domain:id:)`, so the bytes
/// drawn for a figure never depend on thread count, scheduling or which other figures exist.
/// All methods are O(1).
struct SynthRandom: Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    init(state: UInt64) {
        var seeds = SplitMix64(state: state)
        s0 = seeds.next(); s1 = seeds.next(); s2 = seeds.next(); s3 = seeds.next()
    }

    /// The generator for `id` in `domain` under the corpus seed.
    init(seed: UInt64, domain: String, id: String) {
        self.init(state: KeyedHash.value(seed: seed, domain: domain, id: id))
    }

    @inline(__always)
    mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// Uniform in [0, 1).
    @inline(__always)
    mutating func unit() -> Double { Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0) }

    /// Uniform in [lo, hi).
    @inline(__always)
    mutating func uniform(_ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * unit() }

    @inline(__always)
    mutating func float(_ lo: Float, _ hi: Float) -> Float { lo + (hi - lo) * Float(unit()) }

    /// Uniform integer in the closed range (unbiased enough for generation: 64-bit multiply-shift).
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        let span = UInt64(range.upperBound - range.lowerBound + 1)
        return range.lowerBound + Int(next().multipliedFullWidth(by: span).high)
    }

    mutating func chance(_ p: Double) -> Bool { unit() < p }

    mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }

    /// Index drawn with probability proportional to `weights` (all ≥ 0, sum > 0).
    mutating func weighted(_ weights: [Double]) -> Int {
        let total = weights.reduce(0, +)
        var r = unit() * total
        for (i, w) in weights.enumerated() {
            if r < w { return i }
            r -= w
        }
        return weights.count - 1
    }

    /// Approximately standard normal: Irwin–Hall sum of four 16-bit uniforms, rescaled (one draw, no libm).
    @inline(__always)
    mutating func gaussian() -> Float {
        let v = next()
        let a = Float(v & 0xFFFF) + Float((v >> 16) & 0xFFFF) + Float((v >> 32) & 0xFFFF) + Float(v >> 48)
        // Sum of 4 U(0,1) has mean 2, variance 1/3.
        return (a * (1.0 / 65536.0) - 2.0) * 1.7320508
    }

    /// Fisher–Yates shuffle.
    mutating func shuffle<T>(_ a: inout [T]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            let j = int(0...i)
            if i != j { a.swapAt(i, j) }
        }
    }
}
