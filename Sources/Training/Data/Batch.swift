/// One mini-batch as the models consume it.
///
/// Invariants: `labels.count == count`; `tokens.count == count · tokenLength` (row-major, padded with id 0);
/// `lengths[b] ≤ tokenLength` valid tokens in row b; `images`, when present, is `[count, 3, R, R]`.
public struct Batch: Sendable {
    public var ids: [String]
    public var labels: [Int]
    public var images: Tensor?
    public var tokens: [Int32]
    public var tokenLength: Int
    public var lengths: [Int]

    public init(ids: [String], labels: [Int], images: Tensor?, tokens: [Int32], tokenLength: Int, lengths: [Int]) {
        precondition(labels.count == ids.count && lengths.count == ids.count && tokens.count == ids.count * tokenLength)
        self.ids = ids; self.labels = labels; self.images = images
        self.tokens = tokens; self.tokenLength = tokenLength; self.lengths = lengths
    }

    public var count: Int { ids.count }

    /// Pads token rows to the longest (at least 1) and builds the flat id array.
    public static func packTokens(_ rows: [[Int32]]) -> (tokens: [Int32], tokenLength: Int, lengths: [Int]) {
        let t = max(1, rows.map(\.count).max() ?? 1)
        var flat = [Int32](repeating: 0, count: rows.count * t)
        for (b, r) in rows.enumerated() { for (j, id) in r.enumerated() { flat[b * t + j] = id } }
        return (flat, t, rows.map(\.count))
    }
}
