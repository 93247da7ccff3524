/// Which keys each query may attend to, the one mask type of every attention in the training core.
///
/// `causal` hides later positions (query i sees keys ≤ i). `keys` hides keys per batch item: `.lengths` keeps the
/// first `lengths[b]` keys of item b (padding at the end; 0 keys means the item attends to nothing and its output
/// is the projection's bias), `.allowed` keeps the keys whose entry `allowed[b·Lk + j]` is true (padding anywhere).
/// Masked keys get probability exactly 0, and no score is computed past an item's last permitted key.
public struct AttentionMask: Sendable, Equatable {
    public enum Keys: Sendable, Equatable {
        case all
        case lengths([Int])
        case allowed([Bool])
    }

    public var causal: Bool
    public var keys: Keys

    public init(causal: Bool = false, keys: Keys = .all) {
        self.causal = causal
        self.keys = keys
    }

    /// Keys limited by `lengths` (one per batch item) when given.
    public init(causal: Bool = false, lengths: [Int]?) {
        self.init(causal: causal, keys: lengths.map { .lengths($0) } ?? .all)
    }

    public static let none = AttentionMask()

    /// The permitted length of item b, when the mask is given by lengths.
    public var lengths: [Int]? {
        if case .lengths(let l) = keys { return l }
        return nil
    }

    /// Per item of a batch of `items` with `keyCount` keys each: `span`, the keys 0..<span that scores are computed
    /// for (past it every key is masked), and `gather`, whether some key inside the span is masked too (an
    /// `.allowed` table with holes). O(items·keyCount).
    func spans(items: Int, keyCount: Int) -> [(span: Int, gather: Bool)] {
        switch keys {
        case .all:
            return Array(repeating: (keyCount, false), count: items)
        case .lengths(let lengths):
            precondition(lengths.count == items, "attention mask: \(lengths.count) lengths for \(items) items")
            return lengths.map { (min(max($0, 0), keyCount), false) }
        case .allowed(let allowed):
            precondition(
                allowed.count == items * keyCount,
                "attention mask: \(allowed.count) key flags for \(items) × \(keyCount) keys")
            return (0..<items).map { item in
                let row = allowed[(item * keyCount)..<((item + 1) * keyCount)]
                let span = (row.lastIndex(of: true).map { $0 - item * keyCount + 1 }) ?? 0
                return (span, row.prefix(span).contains(false))
            }
        }
    }
}
