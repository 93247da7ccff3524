import Foundation
import PairDxCore

/// CLIP's byte-level BPE tokeniser, reading the standard merges file `bpe_simple_vocab_16e6.txt.gz`.
///
/// Vocabulary (49,408 ids): the 256 byte symbols in GPT-2's byte-to-unicode order, the same 256 with the
/// end-of-word marker `</w>`, one token per merge (the first 48,894 merges of the file, in rank order), then
/// `<start_of_text>` (49406) and `<end_of_text>` (49407). Text is cleaned by `CLIPTextCleaner`, split like
/// CLIP's pattern (special tokens, the contractions 's 't 're 've 'm 'll 'd, letter runs, single digits, runs of
/// other non-space characters), each piece is byte-encoded and merged lowest-rank pair first.
/// `tokenize` wraps ids in start/end tokens and truncates to the context (the last id stays end-of-text).
/// Not thread-safe (a per-word cache); O(piece length²) per uncached piece.
public final class CLIPTokenizer {
    public static let vocabularySize = 49408
    public let startOfText: Int32
    public let endOfText: Int32
    public let contextLength: Int

    private let byteIds: [Int32]  // byte → id of its symbol
    private var ranks: [UInt64: (rank: Int32, merged: Int32)] = [:]
    private var cache: [String: [Int32]] = [:]
    private let specials: [(String, Int32)]

    /// Reads the merges file (gzip-compressed or plain text). Throws `PairDxError` naming the file.
    public convenience init(mergesFile path: String, contextLength: Int = 77) throws {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw PairDxError.io(
                "cannot read the CLIP BPE merges file \(path): \(error.localizedDescription) (give the path to bpe_simple_vocab_16e6.txt.gz)"
            )
        }
        let text: Data
        if data.starts(with: [0x1f, 0x8b]) {
            do { text = try Gzip.decompress(data) } catch {
                throw PairDxError.badInput("\(path) is not a valid gzip file: \(error)")
            }
        } else {
            text = data
        }
        try self.init(merges: String(decoding: text, as: UTF8.self), source: path, contextLength: contextLength)
    }

    /// Builds the tokeniser from the merges file's text (a version line, then one "a b" merge per line).
    public init(merges text: String, source: String = "merges", contextLength: Int = 77) throws {
        self.contextLength = contextLength
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let mergeCount = Self.vocabularySize - 256 * 2 - 2
        guard lines.count > mergeCount else {
            throw PairDxError.badInput(
                "\(source) holds \(max(0, lines.count - 1)) merges; CLIP's vocabulary needs \(mergeCount)")
        }
        // GPT-2 byte ↔ unicode table: printable bytes map to themselves, the rest to U+0100 onwards.
        var order: [Int] = Array(33...126) + Array(161...172) + Array(174...255)
        var chars = order.map { Unicode.Scalar(UInt32($0))! }
        var extra: UInt32 = 0
        for b in 0..<256 where !order.contains(b) {
            order.append(b)
            chars.append(Unicode.Scalar(256 + extra)!)
            extra += 1
        }
        var vocab = chars.map { String($0) }
        vocab += chars.map { String($0) + "</w>" }
        var merges: [(Substring, Substring)] = []
        merges.reserveCapacity(mergeCount)
        for (n, line) in lines[1...mergeCount].enumerated() {
            let parts = line.split(separator: " ")
            guard parts.count == 2 else {
                throw PairDxError.badInput("\(source) line \(n + 2): expected two symbols, got '\(line)'")
            }
            merges.append((parts[0], parts[1]))
            vocab.append(String(parts[0] + parts[1]))
        }
        vocab += ["<start_of_text>", "<end_of_text>"]
        var encoder: [String: Int32] = [:]
        encoder.reserveCapacity(vocab.count)
        for (id, token) in vocab.enumerated() { encoder[token] = Int32(id) }
        var byteIds = [Int32](repeating: 0, count: 256)
        for (position, b) in order.enumerated() { byteIds[b] = Int32(position) }
        self.byteIds = byteIds
        ranks.reserveCapacity(merges.count)
        for (rank, (a, b)) in merges.enumerated() {
            guard let ia = encoder[String(a)], let ib = encoder[String(b)], let merged = encoder[String(a + b)] else {
                throw PairDxError.badInput("\(source) line \(rank + 2): merge of unknown symbols")
            }
            let key = UInt64(UInt32(ia)) << 32 | UInt64(UInt32(ib))
            if ranks[key] == nil { ranks[key] = (Int32(rank), merged) }
        }
        startOfText = encoder["<start_of_text>"]!
        endOfText = encoder["<end_of_text>"]!
        specials = [("<start_of_text>", startOfText), ("<end_of_text>", endOfText)]
    }

    /// BPE ids of `text` after cleaning, without start/end tokens.
    public func encode(_ text: String) -> [Int32] {
        var ids: [Int32] = []
        for piece in pieces(CLIPTextCleaner.clean(text)) {
            if let special = specials.first(where: { $0.0 == piece }) {
                ids.append(special.1)
            } else {
                ids += bpe(piece)
            }
        }
        return ids
    }

    /// Start token, ids, end token, truncated to `contextLength` with the end token kept last; not padded.
    public func tokenize(_ text: String) -> [Int32] {
        var ids = [startOfText] + encode(text) + [endOfText]
        if ids.count > contextLength {
            ids.removeLast(ids.count - contextLength)
            ids[contextLength - 1] = endOfText
        }
        return ids
    }

    /// `tokenize` for each text, zero-padded into a `[texts.count × contextLength]` row-major id matrix.
    public func tokenizeBatch(_ texts: [String]) -> [Int32] {
        var out = [Int32](repeating: 0, count: texts.count * contextLength)
        for (row, text) in texts.enumerated() {
            for (j, id) in tokenize(text).enumerated() { out[row * contextLength + j] = id }
        }
        return out
    }

    // MARK: pre-tokenisation

    private enum Kind { case space, letter, number, other }

    private static func kind(_ u: Unicode.Scalar) -> Kind {
        if u.properties.isWhitespace { return .space }
        switch u.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return .letter
        case .decimalNumber, .letterNumber, .otherNumber: return .number
        default: return .other
        }
    }

    private static let contractions: [[Unicode.Scalar]] = ["s", "t", "re", "ve", "m", "ll", "d"].map {
        Array($0.unicodeScalars)
    }

    /// The pieces CLIP's regular expression finds, left to right (whitespace between them is dropped).
    func pieces(_ text: String) -> [String] {
        let u = Array(text.unicodeScalars)
        var out: [String] = []
        var i = 0
        func take(_ j: Int) {
            out.append(String(String.UnicodeScalarView(u[i..<j])))
            i = j
        }
        scan: while i < u.count {
            let k = Self.kind(u[i])
            if k == .space { i += 1; continue }
            if u[i] == "<" {
                for (name, _) in specials {
                    let s = Array(name.unicodeScalars)
                    if i + s.count <= u.count,
                        zip(u[i..<(i + s.count)], s).allSatisfy({ $0.properties.lowercaseMapping == String($1) })
                    {
                        take(i + s.count)
                        continue scan
                    }
                }
            }
            if u[i] == "'" {
                for c in Self.contractions where i + 1 + c.count <= u.count {
                    if zip(u[(i + 1)..<(i + 1 + c.count)], c).allSatisfy({
                        $0.properties.lowercaseMapping == String($1)
                    }) {
                        take(i + 1 + c.count)
                        continue scan
                    }
                }
            }
            switch k {
            case .number: take(i + 1)
            case .letter, .other:
                var j = i + 1
                while j < u.count, Self.kind(u[j]) == k { j += 1 }
                take(j)
            case .space: break
            }
        }
        return out
    }

    // MARK: BPE

    private func bpe(_ piece: String) -> [Int32] {
        if let hit = cache[piece] { return hit }
        var word = piece.utf8.map { byteIds[Int($0)] }
        word[word.count - 1] += 256
        while word.count > 1 {
            var best: (rank: Int32, merged: Int32)? = nil
            var bestFirst: Int32 = 0, bestSecond: Int32 = 0
            for p in 0..<(word.count - 1) {
                if let r = ranks[UInt64(UInt32(word[p])) << 32 | UInt64(UInt32(word[p + 1]))],
                    best == nil || r.rank < best!.rank
                {
                    best = r
                    bestFirst = word[p]
                    bestSecond = word[p + 1]
                }
            }
            guard let best else { break }
            var merged: [Int32] = []
            merged.reserveCapacity(word.count)
            var p = 0
            while p < word.count {
                if p + 1 < word.count, word[p] == bestFirst, word[p + 1] == bestSecond {
                    merged.append(best.merged)
                    p += 2
                } else {
                    merged.append(word[p])
                    p += 1
                }
            }
            word = merged
        }
        cache[piece] = word
        return word
    }
}
