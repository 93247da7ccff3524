import Foundation
import PairDxCore

/// A small, fast, seedable pseudo-random generator (SplitMix64), the only randomness source of the training core.
///
/// Same seed ⇒ same sequence on every platform and run. Used for weight initialisation, dropout masks and
/// data order; never for anything that must be independent of iteration order (use `KeyedHash` there).
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var bits: SplitMix64
    /// A cached second normal deviate from the Box–Muller pair.
    private var spareNormal: Float?

    public init(seed: UInt64) {
        bits = SplitMix64(state: seed)
        spareNormal = nil
    }

    /// Next 64 random bits. O(1).
    public mutating func next() -> UInt64 { bits.next() }

    /// Uniform in [0, 1) with 24 bits of precision.
    public mutating func nextUniform() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// Standard normal deviate (Box–Muller in double precision with `DeterministicMath`, pairs cached).
    public mutating func nextNormal() -> Float {
        if let s = spareNormal {
            spareNormal = nil
            return s
        }
        var u1 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        if u1 < 1e-300 { u1 = 1e-300 }
        let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        let r = (-2.0 * DeterministicMath.log(u1)).squareRoot()
        let (sin, cos) = DeterministicMath.sinCos(2.0 * Double.pi * u2)
        spareNormal = Float(r * sin)
        return Float(r * cos)
    }
}
