import Foundation
import PairDxCore
import PairDxTestSupport
import Testing
@testable import Training

/// WordPiece tokeniser against open_clip's `HFTokenizer` (Hugging Face `BertTokenizer`, uncased, context 256) with a
/// vocabulary trained on half of the ROCO captions (fixtures `biomedclip/text-vocab.txt` and
/// `biomedclip/text-tokens.json.gz`, written by scripts/fixtures/gen_biomedclip_text_fixtures.py): every id equal on
/// 1,000 held-out captions (read from ../shared/data/roco-captions; skipped when absent) and on 1,855 hostile strings
/// (accents, CJK, emoji, control characters, long words, literal special tokens, empty, and a sweep of every code
/// point U+0000–U+2FFF plus chosen higher blocks, spaced and glued), which need no shared data. Opt-in: every
/// Unicode code point (139,001 strings; `gen_biomedclip_text_fixtures.py --full-sweep OUT.json.gz`, then
/// `PAIRDX_WORDPIECE_SWEEP=OUT.json.gz`). The sweeps leave out the few strings ftfy's mojibake repair changes
/// (7 of 139,008), which `CLIPTextCleaner` does not reproduce.
@Suite(.scratch) struct BiomedCLIPTextTokenizerTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let captionsRoot = packageRoot.deletingLastPathComponent().appendingPathComponent(
        "shared/data/roco-captions")

    static func fixtureURL(_ name: String) throws -> URL {
        try #require(Bundle.module.url(forResource: "Fixtures/biomedclip/\(name)", withExtension: nil))
    }

    static func tokenizer() throws -> WordPieceTokenizer {
        try WordPieceTokenizer(vocabularyFile: try fixtureURL("text-vocab.txt").path)
    }

    struct Caption: Decodable { let file: String; let id: String; let tokens: [Int32] }
    struct Text: Decodable { let text: String; let tokens: [Int32] }
    struct Reference: Decodable { let contextLength: Int; let captions: [Caption]; let strings: [Text] }

    static func reference() throws -> Reference {
        try JSONDecoder().decode(
            Reference.self, from: Gzip.decompress(Data(contentsOf: fixtureURL("text-tokens.json.gz"))))
    }

    /// The reference ids padded with [PAD] to the context, as open_clip returns them.
    static func padded(_ ids: [Int32], _ context: Int, pad: Int32) -> [Int32] {
        ids + [Int32](repeating: pad, count: context - ids.count)
    }

    @Test func vocabularyFileErrorsNameTheFile() throws {
        let dir = URL(fileURLWithPath: try Scratch.directory("wordpiece"))
        let missing = dir.appendingPathComponent("absent-vocab.txt").path
        let error = try #require(throws: PairDxError.self) { try WordPieceTokenizer(vocabularyFile: missing) }
        #expect(error.kind == .io && error.message.contains(missing))
        let empty = dir.appendingPathComponent("empty.txt")
        try Data().write(to: empty)
        let emptyError = try #require(throws: PairDxError.self) { try WordPieceTokenizer(vocabularyFile: empty.path) }
        #expect(
            emptyError.kind == .badInput && emptyError.message.contains(empty.path)
                && emptyError.message.contains("empty"))
        let noSep = dir.appendingPathComponent("nosep.txt")
        try "[PAD]\n[UNK]\n[CLS]\nhello\n".write(to: noSep, atomically: false, encoding: .utf8)
        let sepError = try #require(throws: PairDxError.self) { try WordPieceTokenizer(vocabularyFile: noSep.path) }
        #expect(sepError.message.contains(noSep.path) && sepError.message.contains("[SEP]"))
    }

    @Test func smallVocabularyBehaviour() throws {
        // ids are line indices; ## continuations; greedy longest match; [UNK] for a word with an unmatched part.
        let t = try WordPieceTokenizer(vocabulary: "[PAD]\n[UNK]\n[CLS]\n[SEP]\nct\n##s\nscan\n##an\nsc\n,\ncafe\n")
        #expect(t.padId == 0 && t.unknownId == 1 && t.clsId == 2 && t.sepId == 3 && t.maskId == nil)
        #expect(t.pieces("CT scans, Café") == [4, 6, 5, 9, 10])
        #expect(t.pieces("scanx") == [1])
        #expect(t.encode("ct", contextLength: 5) == [2, 4, 3, 0, 0])
        #expect(t.encode("ct ct ct ct", contextLength: 4) == [2, 4, 4, 3])
        #expect(t.encode("", contextLength: 2) == [2, 3])
        #expect(t.encodeBatch(["ct", "scan"], contextLength: 3) == [2, 4, 3, 2, 6, 3])
    }

    @Test func hostileStringsAndCodePointSweepMatchOpenCLIP() throws {
        let reference = try Self.reference()
        #expect(reference.strings.count >= 1800)
        try Self.expectEqualIds(reference.strings, context: reference.contextLength)
    }

    /// Opt-in: the sweep file is large and made by gen_biomedclip_text_fixtures.py --full-sweep.
    static let sweep = Prerequisite.environmentFile(
        "PAIRDX_WORDPIECE_SWEEP", what: "the full Unicode sweep (gen_biomedclip_text_fixtures.py --full-sweep)",
        installedByCI: false)
    static let rocoCaptions = Prerequisite.path("../shared/data/roco-captions", what: "ROCO captions")

    @Test(sweep.trait) func fullUnicodeSweepMatchesOpenCLIP() throws {
        let path = try Self.sweep.require()
        let reference = try JSONDecoder().decode(
            Reference.self, from: Gzip.decompress(Data(contentsOf: URL(fileURLWithPath: path))))
        #expect(reference.strings.count > 130_000)
        try Self.expectEqualIds(reference.strings, context: reference.contextLength)
    }

    /// Every string's ids equal the reference padded to `context`; lists the first differences.
    static func expectEqualIds(_ strings: [Text], context: Int) throws {
        let tokenizer = try Self.tokenizer()
        var mismatches: [String] = []
        for row in strings {
            let ours = tokenizer.encode(row.text, contextLength: context)
            let theirs = Self.padded(row.tokens, context, pad: tokenizer.padId)
            if ours != theirs {
                mismatches.append(
                    "\(row.text.unicodeScalars.map { String($0.value, radix: 16) }.prefix(30)): ours \(ours.prefix(40)) theirs \(theirs.prefix(40))"
                )
            }
        }
        #expect(
            mismatches.isEmpty,
            "\(mismatches.count) of \(strings.count) differ:\n\(mismatches.prefix(8).joined(separator: "\n"))")
    }

    @Test(rocoCaptions.trait) func matchesOpenCLIPOnThousandCaptions() throws {
        try Self.rocoCaptions.require()
        let tokenizer = try Self.tokenizer()
        let reference = try Self.reference()
        #expect(reference.captions.count == 1000)
        var captions = ROCOCaptionFiles(root: Self.captionsRoot)
        var mismatches: [String] = []
        for row in reference.captions {
            let caption = try #require(
                try captions.caption(file: row.file, id: row.id), "caption \(row.file) \(row.id) missing")
            let ours = tokenizer.encode(caption, contextLength: reference.contextLength)
            if ours != Self.padded(row.tokens, reference.contextLength, pad: tokenizer.padId) {
                mismatches.append("\(row.file) \(row.id)")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) captions differ: \(mismatches.prefix(10))")
    }
}
