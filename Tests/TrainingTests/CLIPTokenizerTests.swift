import Foundation
import PairDxTestSupport
import Testing
@testable import Training

/// CLIP tokeniser against open_clip's `SimpleTokenizer` on 1,000 ROCO captions (fixture `clip/tokens.json.gz`,
/// written by scripts/fixtures/gen_clip_fixtures.py). Needs the merges file (`$PAIRDX_CLIP_BPE`, the
/// `bpe_simple_vocab_16e6.txt.gz` shipped with open_clip/CLIP) and ../shared/data/roco-captions; skips otherwise.
struct CLIPTokenizerTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let captionsRoot = packageRoot.deletingLastPathComponent().appendingPathComponent(
        "shared/data/roco-captions")

    static func fixture(_ name: String) throws -> Data {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/clip/\(name)", withExtension: nil))
        return try Data(contentsOf: url)
    }

    /// scripts/test.sh sets it from the .venv that scripts/python-env.sh makes.
    static let bpe = Prerequisite.environmentFile(
        "PAIRDX_CLIP_BPE", what: "CLIP's bpe_simple_vocab_16e6.txt.gz", installedByCI: true)
    static let rocoCaptions = Prerequisite.path("../shared/data/roco-captions", what: "ROCO captions")

    struct Row: Decodable { let file: String; let id: String; let tokens: [Int32] }
    struct Reference: Decodable { let contextLength: Int; let captions: [Row] }

    @Test func gzipReaderDecodesTheFixtureAndRejectsCorruption() throws {
        let compressed = try Self.fixture("tokens.json.gz")
        let json = try Gzip.decompress(compressed)
        let reference = try JSONDecoder().decode(Reference.self, from: json)
        #expect(reference.captions.count == 1000)
        var corrupt = [UInt8](compressed)
        corrupt[corrupt.count - 6] ^= 0xFF  // inside the size/CRC trailer
        #expect(throws: Gzip.FormatError.self) { try Gzip.decompress(Data(corrupt)) }
        #expect(throws: Gzip.FormatError.self) { try Gzip.decompress(Data(compressed.prefix(compressed.count / 2))) }
        #expect(throws: Gzip.FormatError.self) { try Gzip.decompress(json) }
        // A multi-member file is every member's output in order (as `cat a.gz b.gz` makes it).
        #expect(try Gzip.decompress(compressed + compressed) == json + json)
    }

    @Test func cleaningFollowsCLIP() {
        #expect(CLIPTextCleaner.clean("  Axial\u{A0}MRI\t(Coronal)  view.\n") == "axial mri (coronal) view.")
        #expect(
            CLIPTextCleaner.clean("the “target sign” at the patient’s knee")
                == "the \"target sign\" at the patient's knee")
        #expect(CLIPTextCleaner.clean("A &amp;amp; B &#x3B1; &lt;5 \u{FB01}ne") == "a & b α <5 fine")
    }

    @Test(bpe.trait, rocoCaptions.trait) func matchesOpenCLIPOnThousandCaptions() throws {
        let bpe = try Self.bpe.require()
        try Self.rocoCaptions.require()
        let reference = try JSONDecoder().decode(Reference.self, from: Gzip.decompress(Self.fixture("tokens.json.gz")))
        let tokenizer = try CLIPTokenizer(mergesFile: bpe, contextLength: reference.contextLength)
        var captions = ROCOCaptionFiles(root: Self.captionsRoot)
        var mismatches: [String] = []
        for row in reference.captions {
            let caption = try #require(
                try captions.caption(file: row.file, id: row.id), "caption \(row.file) \(row.id) missing")
            let ids = tokenizer.tokenize(caption)
            if ids != row.tokens { mismatches.append("\(row.file) \(row.id): \(ids) vs \(row.tokens)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) of 1000 captions differ; first: \(mismatches.prefix(3))")
        #expect(tokenizer.startOfText == 49406 && tokenizer.endOfText == 49407)
    }
}

/// ROCO caption files (`ROCO_id<TAB>caption` per line) read once each, for looking captions up by file and id.
struct ROCOCaptionFiles {
    let root: URL
    private var files: [String: [String: String]] = [:]

    init(root: URL) { self.root = root }

    /// The caption of `id` in `file` (a path under `root`), or nil when the file has no such id.
    mutating func caption(file: String, id: String) throws -> String? {
        if files[file] == nil {
            let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
            var map: [String: String] = [:]
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                guard let tab = line.firstIndex(of: "\t") else { continue }
                map[String(line[..<tab])] = String(line[line.index(after: tab)...])
            }
            files[file] = map
        }
        return files[file]?[id]
    }
}
