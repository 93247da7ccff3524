import Foundation
import PairDxTestSupport
import Testing
@testable import Training
import PairDxCore

@Suite("Caption text", .scratch) struct TextTests {
    @Test func tokeniserLowercasesKeepsHyphenatedWordsAndNormalisesNumbers() {
        #expect(
            Tokenizer.words("Axial T2-weighted MRI (Fig. 3), 2.5 cm lesion; 1,000 cells.")
                == ["axial", "t2-weighted", "mri", "fig", "<num>", "<num>", "cm", "lesion", "<num>", "cells"])
        #expect(Tokenizer.words("-- x-ray --") == ["x-ray"])
        #expect(Tokenizer.words("Crohn's disease") == ["crohn's", "disease"])
        #expect(Tokenizer.parts(of: "contrast-enhanced") == ["contrast", "enhanced"])
        #expect(Tokenizer.parts(of: "co-2") == ["co", "<num>"])
        #expect(Tokenizer.parts(of: "plain") == [])
    }

    @Test func vocabularyTriesTheWholeWordFirstThenItsParts() {
        let v = Vocabulary(words: ["x-ray", "contrast", "enhanced", "ct"])
        var stats = TokenStats()
        let ids = v.encode("Contrast-enhanced CT and X-ray of 3 zebras", maxTokens: 20, stats: &stats)
        #expect(
            ids.map { v.words[Int($0)] } == ["contrast", "enhanced", "ct", "<unk>", "x-ray", "<unk>", "<num>", "<unk>"])
        #expect(stats.tokens == 8 && stats.unknown == 3 && stats.hyphenSplit == 1)
        #expect(abs(stats.oovShare - 3.0 / 8.0) < 1e-12)
        var s2 = TokenStats()
        #expect(v.encode("ct ct ct ct", maxTokens: 2, stats: &s2).count == 2)
        #expect(s2.truncated == 1)
    }

    @Test func vocabularyFromCaptionsIsDeterministicAndCountsParts() {
        let v = Vocabulary.build(captions: ["MRI of brain", "brain CT-scan", "brain mri"], minCount: 2)
        #expect(v.words == ["<pad>", "<unk>", "<num>", "brain", "mri"])
        let all = Vocabulary.build(captions: ["b a", "a-c"], minCount: 1)
        #expect(all.words == ["<pad>", "<unk>", "<num>", "a", "a-c", "b", "c"])
    }

    @Test func gloveTextParsesCachesAndRejectsRaggedLines() throws {
        let dir = try Scratch.directory("glove")
        let path = dir + "/vectors.txt"
        try "the 0.5 -1.25 3\nct 1e-2 2 -0\n7 1 1 1\n".write(toFile: path, atomically: false, encoding: .utf8)
        let g = try GloVe.load(path, cacheDirectory: dir + "/cache")
        #expect(g.words == ["the", "ct", "7"] && g.dimension == 3)
        #expect(g.vectors == [0.5, -1.25, 3, 0.01, 2, 0, 1, 1, 1])
        let cached = try FileManager.default.contentsOfDirectory(atPath: dir + "/cache")
        #expect(cached.count == 1)
        let again = try GloVe.load(path, cacheDirectory: dir + "/cache")
        #expect(again.words == g.words && again.vectors == g.vectors)
        let bad = dir + "/bad.txt"
        try "a 1 2\nb 1\n".write(toFile: bad, atomically: false, encoding: .utf8)
        #expect(throws: PairDxError.self) { try GloVe.load(bad) }
        do { _ = try GloVe.load(bad) } catch let e as PairDxError { #expect(e.message.contains("bad.txt:2")) }
        // Embedding matrix: known words copied, <pad> zero, <num> the digits' mean.
        var rng = SeededGenerator(seed: 1)
        let vocab = Vocabulary(words: ["ct", "zebra"])
        let (m, covered) = g.matrix(for: vocab, rng: &rng)
        #expect(covered == 2)
        #expect(Array(m[0..<3]) == [0, 0, 0] && Array(m[6..<9]) == [1, 1, 1] && Array(m[9..<12]) == [0.01, 2, 0])
    }

    static let glove = Prerequisite.path("../shared/data/glove/glove.6B.50d.top100k.txt", what: "GloVe 6B 50d vectors")
    static let rocoCaptions = Prerequisite.path(
        "../shared/data/roco-captions/test/radiology/captions.txt", what: "ROCO radiology captions")

    /// Real GloVe vectors and real ROCO captions (skipped, with the reason, without ../shared/data).
    @Test(glove.trait, rocoCaptions.trait) func realGloveCoversRocoCaptions() throws {
        let glovePath = try Self.glove.require()
        let captionsPath = try Self.rocoCaptions.require()
        let cache = try Scratch.directory("glove-cache")
        let g = try GloVe.load(glovePath, cacheDirectory: cache)
        #expect(g.words.count == 100_000 && g.dimension == 50)
        let cached = try GloVe.load(glovePath, cacheDirectory: cache)
        #expect(cached.vectors == g.vectors)
        let vocab = g.vocabulary()
        var stats = TokenStats()
        var words = 0, wholeUnknown = 0
        let lines = try FileSystem.readString(captionsPath).split(separator: "\n").prefix(2000)
        for line in lines {
            let caption = line.split(separator: "\t", maxSplits: 1).last.map(String.init) ?? ""
            _ = vocab.encode(caption, maxTokens: 256, stats: &stats)
            for w in Tokenizer.words(caption) { words += 1; if vocab.id(w) == nil { wholeUnknown += 1 } }
        }
        #expect(stats.tokens > 10_000)
        // Measured: 12.4% of words are unknown whole, 10.7% of tokens after hyphen splitting (2,000 radiology
        // captions; the misses are clinical words outside GloVe's 100k most frequent, e.g. "radiograph").
        let wholeShare = Double(wholeUnknown) / Double(words)
        #expect(stats.hyphenSplit > 0)
        #expect(
            stats.oovShare < wholeShare, "hyphen splitting must lower the OOV share: \(stats.oovShare) vs \(wholeShare)"
        )
        #expect(stats.oovShare < 0.15, "OOV share \(stats.oovShare)")
        print("ROCO radiology test captions: OOV \(stats.oovShare) after hyphen splitting, \(wholeShare) whole words")
    }
}

/// `../shared/data` relative to the package root (or `$PAIRDX_SHARED_DATA` when set, for checkouts elsewhere).
func sharedDataRoot() -> String {
    if let env = ProcessInfo.processInfo.environment["PAIRDX_SHARED_DATA"] { return env }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/data").path
}
