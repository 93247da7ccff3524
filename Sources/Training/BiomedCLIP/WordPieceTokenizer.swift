import Foundation
import PairDxCore

/// BERT's uncased WordPiece tokeniser as open_clip's `HFTokenizer` runs it for BiomedCLIP (PubMedBERT's
/// `vocab.txt`, context 256), reproducing Hugging Face `tokenizers`' `BertTokenizer` pipeline:
///
/// 1. open_clip's "whitespace" cleaning: ftfy's `fix_text`, HTML unescaping, whitespace runs collapsed, trimmed
///    (`CLIPTextCleaner`). The special tokens
///    `[PAD] [UNK] [CLS] [SEP] [MASK]` written literally (case-sensitive) in the text stay those tokens, as the
///    Hugging Face tokeniser keeps them; the text between them is cut into separate segments.
/// 2. BERT's normaliser on each segment: NUL, U+FFFD and control/format/private-use characters dropped, other
///    whitespace turned into spaces, CJK ideographs surrounded by spaces, canonical decomposition (NFD) with
///    non-spacing marks removed (accents), lower-casing (per scalar, without context: Σ → σ always).
/// 3. Split on whitespace and around every punctuation character (ASCII punctuation and Unicode P*).
/// 4. Greedy longest-match-first WordPiece on each word (continuations prefixed `##`); a word longer than 100
///    scalars, or with a part that matches nothing, becomes one `[UNK]`.
/// 5. `[CLS]` ids… `[SEP]`, truncated to the context (the content keeps its first `contextLength − 2` ids) and
///    padded with `[PAD]` to exactly `contextLength` ids.
///
/// The character classes follow the Unicode 8.0 tables compiled into `tokenizers` (0.23), not the newer tables of
/// the Swift runtime: a character assigned after Unicode 8.0 is never dropped, never punctuation and never an
/// accent; six characters whose category changed since are special-cased; the CJK blocks are `tokenizers`' own
/// list. Vocabulary entries are compared as UTF-8 bytes (as Rust does), not by Swift's canonical equivalence.
/// Checked against `tokenizers` on every Unicode code point (139,001 strings, all equal).
///
/// Known divergences: ftfy's mojibake repair is not reproduced (text that looks like UTF-8 decoded as
/// Windows-1252, e.g. "Ã©"; 7 of the 139,008 sweep strings), nor are special-token strings produced by the
/// cleaning itself (e.g. `&#91;SEP]`, unescaped to `[SEP]`, stays ordinary text); `CLIPTextCleaner`'s HTML entity
/// table is a subset of Python's. A vocabulary without `[MASK]` leaves "[MASK]" as ordinary text (Hugging Face
/// would append it as a new id).
/// Thread-safe (immutable). O(n + Σ w²) for a text of n scalars with words of w scalars (w ≤ 100).
public struct WordPieceTokenizer: Sendable {
    /// Token strings by id (line index of vocab.txt).
    public let vocabulary: [String]
    public let padId: Int32
    public let unknownId: Int32
    public let clsId: Int32
    public let sepId: Int32
    /// `[MASK]`, when the vocabulary has it (only used to recognise it in text).
    public let maskId: Int32?
    /// Where the vocabulary came from (the file path), for error messages.
    public let source: String
    /// Words longer than this many scalars become `[UNK]`.
    public static let maxInputCharsPerWord = 100

    private let ids: [[UInt8]: Int32]
    /// Special tokens recognised in raw text, longest first.
    private let specials: [(text: String, id: Int32)]

    /// Reads a BERT `vocab.txt` (one token per line, id = line index, later duplicates win). Throws
    /// `PairDxError` naming the file when it is unreadable, empty, or lacks `[CLS]`, `[SEP]`, `[PAD]` or `[UNK]`.
    public init(vocabularyFile path: String) throws {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw PairDxError.io(
                "cannot read the WordPiece vocabulary \(path): \(error.localizedDescription) (give the path to the BERT vocab.txt)"
            )
        }
        try self.init(vocabulary: String(decoding: data, as: UTF8.self), source: path)
    }

    /// Builds the tokeniser from the text of a vocab.txt; `source` names it in errors.
    public init(vocabulary text: String, source: String = "vocabulary") throws {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            var s = Substring(line)
            while let last = s.unicodeScalars.last, last.properties.isWhitespace {
                s = Substring(s.unicodeScalars.dropLast())
            }
            return String(s)
        }
        if lines.last == "" { lines.removeLast() }
        guard !lines.isEmpty else { throw PairDxError.badInput("the WordPiece vocabulary \(source) is empty") }
        var ids: [[UInt8]: Int32] = [:]
        ids.reserveCapacity(lines.count)
        for (id, token) in lines.enumerated() { ids[Array(token.utf8)] = Int32(id) }
        func special(_ name: String) throws -> Int32 {
            guard let id = ids[Array(name.utf8)] else {
                throw PairDxError.badInput(
                    "the WordPiece vocabulary \(source) has no \(name) token (is it a BERT vocab.txt?)")
            }
            return id
        }
        vocabulary = lines
        self.source = source
        self.ids = ids
        clsId = try special("[CLS]")
        sepId = try special("[SEP]")
        padId = try special("[PAD]")
        unknownId = try special("[UNK]")
        maskId = ids[Array("[MASK]".utf8)]
        var specials: [(String, Int32)] = [("[PAD]", padId), ("[UNK]", unknownId), ("[CLS]", clsId), ("[SEP]", sepId)]
        if let maskId { specials.append(("[MASK]", maskId)) }
        self.specials = specials.sorted { $0.0.count > $1.0.count }
    }

    /// The ids of `text`: `[CLS] … [SEP]` then `[PAD]`s, exactly `contextLength` (≥ 2) of them.
    public func encode(_ text: String, contextLength: Int = 256) -> [Int32] {
        precondition(contextLength >= 2, "a WordPiece context holds at least [CLS] and [SEP]")
        var out: [Int32] = [clsId]
        out.reserveCapacity(contextLength)
        out += pieces(text).prefix(contextLength - 2)
        out.append(sepId)
        out += repeatElement(padId, count: contextLength - out.count)
        return out
    }

    /// `encode` of every text, rows concatenated (`texts.count × contextLength` ids).
    public func encodeBatch(_ texts: [String], contextLength: Int = 256) -> [Int32] {
        texts.flatMap { encode($0, contextLength: contextLength) }
    }

    /// The content ids of `text` (no `[CLS]`/`[SEP]`, no truncation).
    public func pieces(_ text: String) -> [Int32] {
        var out: [Int32] = []
        for segment in segments(text) {
            switch segment {
            case .special(let id): out.append(id)
            case .text(let s):
                for word in Self.preTokenise(Self.normalise(s)) { wordPiece(word, into: &out) }
            }
        }
        return out
    }

    // MARK: special tokens and cleaning

    enum Segment { case text(String.UnicodeScalarView), special(Int32) }

    /// Private-use sentinels carried through `CLIPTextCleaner`: U+E000 + k stands for the k-th special token.
    /// Private-use scalars already in the text are replaced by U+E006 first; BERT's normaliser drops every
    /// private-use scalar anyway.
    private static let sentinelBase: UInt32 = 0xE000
    private static let privateReplacement: UInt32 = 0xE006

    /// open_clip's "whitespace" cleaning (ftfy, HTML unescaping, whitespace collapsing: `CLIPTextCleaner`) cut at
    /// literal special tokens, which are recognised before cleaning. Case is irrelevant afterwards (BERT
    /// lower-cases), so the cleaner's lower-casing changes nothing but the special tokens. O(n).
    func segments(_ text: String) -> [Segment] {
        var marked = String.UnicodeScalarView()
        let scalars = Array(text.unicodeScalars)
        let patterns = specials.map { (Array($0.text.unicodeScalars), $0.id) }
        var i = 0
        outer: while i < scalars.count {
            let u = scalars[i]
            if u == "[" {
                for (k, (pattern, _)) in patterns.enumerated()
                where i + pattern.count <= scalars.count && scalars[i..<(i + pattern.count)].elementsEqual(pattern) {
                    marked.append(Unicode.Scalar(Self.sentinelBase + UInt32(k))!)
                    i += pattern.count
                    continue outer
                }
            }
            if (Self.sentinelBase...Self.privateReplacement).contains(u.value) {
                marked.append(Unicode.Scalar(Self.privateReplacement)!)
            } else {
                marked.append(u)
            }
            i += 1
        }
        var result: [Segment] = []
        var current = String.UnicodeScalarView()
        for u in CLIPTextCleaner.clean(String(marked)).unicodeScalars {
            let k = Int(u.value) - Int(Self.sentinelBase)
            if k >= 0 && k < patterns.count {
                if !current.isEmpty { result.append(.text(current)) }
                current = String.UnicodeScalarView()
                result.append(.special(patterns[k].1))
            } else {
                current.append(u)
            }
        }
        if !current.isEmpty { result.append(.text(current)) }
        return result
    }

    // MARK: BERT normaliser and pre-tokeniser

    /// Whether `u` was assigned in Unicode 8.0 (the tables of `tokenizers`' character classes).
    @inline(__always)
    static func inUnicode8(_ u: Unicode.Scalar) -> Bool {
        guard let age = u.properties.age else { return false }
        return age.major < 8 || (age.major == 8 && age.minor == 0)
    }

    /// Dropped by the normaliser: NUL, U+FFFD, and (except tab, line feed, carriage return) Cc, Cf, Co.
    static func isDropped(_ u: Unicode.Scalar) -> Bool {
        let v = u.value
        if v == 0 || v == 0xFFFD { return true }
        if v == 9 || v == 10 || v == 13 { return false }
        switch u.properties.generalCategory {
        case .control, .format, .privateUse: return inUnicode8(u)
        default: return false
        }
    }

    static func isWhitespace(_ u: Unicode.Scalar) -> Bool { u.properties.isWhitespace }

    /// ASCII punctuation (! … / : … @ [ … ` { … ~) or a Unicode 8.0 punctuation category.
    static func isPunctuation(_ u: Unicode.Scalar) -> Bool {
        let v = u.value
        if v < 0x80 {
            return (0x21...0x2F).contains(v) || (0x3A...0x40).contains(v) || (0x5B...0x60).contains(v)
                || (0x7B...0x7E).contains(v)
        }
        if v == 0x166D || v == 0x111C9 { return true }  // Po in Unicode 8.0, since recategorised
        switch u.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
            .finalPunctuation, .otherPunctuation:
            return inUnicode8(u)
        default: return false
        }
    }

    /// A non-spacing mark of Unicode 8.0 (removed with the accents).
    static func isAccent(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0x1885, 0x1886, 0xA9BD, 0x111C9: return false  // not Mn in Unicode 8.0
        case 0x1734, 0x1171E: return true  // Mn in Unicode 8.0, since recategorised
        default: return u.properties.generalCategory == .nonspacingMark && inUnicode8(u)
        }
    }

    /// The CJK blocks BERT pads with spaces.
    static func isCJK(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x2A6DF, 0x2A700...0x2B81F,
            0x2B920...0x2CEAF, 0x2F800...0x2FA1F:
            return true
        default: return false
        }
    }

    /// BERT's normaliser (clean, CJK spacing, NFD without accents, lower-case). O(n).
    static func normalise(_ text: String.UnicodeScalarView) -> String.UnicodeScalarView {
        var cleaned = String.UnicodeScalarView()
        for u in text where !isDropped(u) {
            if isWhitespace(u) {
                cleaned.append(" ")
            } else if isCJK(u) {
                cleaned.append(" "); cleaned.append(u); cleaned.append(" ")
            } else {
                cleaned.append(u)
            }
        }
        var out = String.UnicodeScalarView()
        for u in String(cleaned).decomposedStringWithCanonicalMapping.unicodeScalars where !isAccent(u) {
            out.append(contentsOf: u.properties.lowercaseMapping.unicodeScalars)
        }
        return out
    }

    /// Words: whitespace separates, each punctuation character is a word of its own. O(n).
    static func preTokenise(_ text: String.UnicodeScalarView) -> [[Unicode.Scalar]] {
        var words: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        for u in text {
            if isWhitespace(u) {
                if !current.isEmpty { words.append(current); current = [] }
            } else if isPunctuation(u) {
                if !current.isEmpty { words.append(current); current = [] }
                words.append([u])
            } else {
                current.append(u)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// Greedy longest-match-first WordPiece of one word. O(w²) lookups.
    func wordPiece(_ word: [Unicode.Scalar], into out: inout [Int32]) {
        guard word.count <= Self.maxInputCharsPerWord else { out.append(unknownId); return }
        var offsets = [0]
        var bytes: [UInt8] = []
        for u in word {
            bytes.append(contentsOf: String(u).utf8)
            offsets.append(bytes.count)
        }
        var found: [Int32] = []
        var start = 0
        while start < word.count {
            var end = word.count
            var match: Int32?
            while end > start {
                var key: [UInt8] = start > 0 ? [0x23, 0x23] : []
                key.append(contentsOf: bytes[offsets[start]..<offsets[end]])
                if let id = ids[key] { match = id; break }
                end -= 1
            }
            guard let id = match else { out.append(unknownId); return }
            found.append(id)
            start = end
        }
        out.append(contentsOf: found)
    }
}
