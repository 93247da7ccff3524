/// SplitMix64 (Steele, Lea and Flood): a seedable generator whose sequence is fixed by its state alone, the same on
/// every platform and run. The training core's `SeededGenerator`, the synthetic corpus's seeding, the anchor keys'
/// mix, the search benchmark's codes and the tests draw from it.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(state: UInt64) { self.state = state }

    /// Next 64 random bits. O(1).
    @inlinable public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
