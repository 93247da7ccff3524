import Foundation

/// A token vocabulary: ids 0 (`<pad>`), 1 (`<unk>`), 2 (`<num>`), then words.
///
/// Built either from GloVe's word list or from the train split's captions (words seen at least
/// `minCount` times, sorted by descending count then bytewise, so the result is deterministic).
public struct Vocabulary: Sendable, Equatable {
    public static let pad = 0, unk = 1, num = 2
    public static let specials = ["<pad>", "<unk>", Tokenizer.numberToken]

    public private(set) var words: [String]
    private var index: [String: Int]

    public init(words list: [String]) {
        var w = Vocabulary.specials
        var idx: [String: Int] = [:]
        for (i, s) in w.enumerated() { idx[s] = i }
        for s in list where idx[s] == nil { idx[s] = w.count; w.append(s) }
        words = w; index = idx
    }

    public var count: Int { words.count }
    public func id(_ word: String) -> Int? { index[word] }

    /// Vocabulary of the words in `captions` seen at least `minCount` times (hyphenated words count
    /// both whole and by their parts, so either form can be looked up later).
    public static func build(captions: [String], minCount: Int = 1, maxSize: Int? = nil) -> Vocabulary {
        var counts: [String: Int] = [:]
        for c in captions {
            for w in Tokenizer.words(c) {
                counts[w, default: 0] += 1
                for p in Tokenizer.parts(of: w) { counts[p, default: 0] += 1 }
            }
        }
        var list = counts.filter { $0.value >= minCount && !specials.contains($0.key) }
            .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            .map(\.key)
        if let maxSize, list.count > maxSize - specials.count {
            list = Array(list.prefix(max(0, maxSize - specials.count)))
        }
        return Vocabulary(words: list)
    }

    /// Token ids of one caption: each word whole when known, otherwise each of its hyphen parts
    /// (unknown parts become `<unk>`). At most `maxTokens` ids are returned.
    public func encode(_ caption: String, maxTokens: Int, stats: inout TokenStats) -> [Int32] {
        var ids: [Int32] = []
        ids.reserveCapacity(min(maxTokens, 64))
        outer: for w in Tokenizer.words(caption) {
            if let i = index[w] {
                guard ids.count < maxTokens else { break }
                ids.append(Int32(i)); stats.tokens += 1; continue
            }
            let parts = Tokenizer.parts(of: w)
            if parts.isEmpty {
                guard ids.count < maxTokens else { break }
                ids.append(Int32(Vocabulary.unk)); stats.tokens += 1; stats.unknown += 1; continue
            }
            stats.hyphenSplit += 1
            for p in parts {
                guard ids.count < maxTokens else { break outer }
                if let i = index[p] {
                    ids.append(Int32(i))
                } else {
                    ids.append(Int32(Vocabulary.unk)); stats.unknown += 1
                }
                stats.tokens += 1
            }
        }
        if ids.count == maxTokens { stats.truncated += 1 }
        stats.captions += 1
        return ids
    }
}

/// Counts gathered while encoding captions; `oovShare` is what reports print.
public struct TokenStats: Sendable, Equatable, Codable {
    public var captions = 0
    public var tokens = 0
    /// Tokens that became `<unk>`.
    public var unknown = 0
    /// Hyphenated words looked up by their parts because the whole word was unknown.
    public var hyphenSplit = 0
    /// Captions cut at `maxTokens`.
    public var truncated = 0
    public init() {}
    public var oovShare: Double { tokens == 0 ? 0 : Double(unknown) / Double(tokens) }
}
