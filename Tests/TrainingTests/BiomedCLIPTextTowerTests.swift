import Foundation
import PairDxCore
import Testing
@testable import Training

/// BiomedCLIP's text tower against open_clip's `HFTextEncoder` (fixture `biomedclip/text-tower.safetensors`, written
/// by scripts/fixtures/gen_biomedclip_text_fixtures.py: a `BertModel` from a local `BertConfig`, pooler
/// `cls_last_hidden_state_pooler`, projection `mlp`, run in float64). Both sides fill every parameter with the
/// `CLIPSyntheticWeights` stream under the BERT rules (`BERTSyntheticWeights`), so no weights are committed.
///
/// Four captions: short, medium, one with a literal `[PAD]` inside (a hole in the attention mask) and one filling all
/// 256 positions. Tolerances (ours in Float32 against the float64 reference, worst = max |ours − ref| / (1 + |ref|)):
/// - stream samples: bit for bit; parameter names and shapes: exactly open_clip's (tiny and full);
/// - token ids of the four captions: equal to open_clip's tokeniser;
/// - tiny configuration (2 × 32 wide): worst ≤ 1e-6 (observed 1.1e-7); full PubMedBERT-base shapes (12 × 768):
///   worst ≤ 1e-5 (observed 4.4e-7)
///   (float32 PyTorch itself: metadata `*.torch_f32_error`);
/// - an item's embedding does not depend on the other rows of its batch or on extra padding: worst ≤ 1e-5;
/// - gradients (tiny, L = Σ embeddings ⊙ R): every parameter's gradient ‖ours − ref‖ ≤ 1e-5·max(‖ref‖, 1e-3·largest
///   ‖ref‖) (the floor for the key biases, whose exact gradient is 0); word embeddings: the rows of the ids used,
///   all other rows exactly 0; the unused pooler gets none.
/// Serialized: the full model holds 110 M parameters (0.9 GB with gradients).
@Suite(.serialized)
struct BiomedCLIPTextTowerTests {
    static func fixture() throws -> SafeTensors.File {
        let url = try #require(
            Bundle.module.url(forResource: "Fixtures/biomedclip/text-tower.safetensors", withExtension: nil))
        return try SafeTensors.decode(Data(contentsOf: url), source: "text-tower.safetensors")
    }

    static func values(_ f: SafeTensors.File, _ key: String) throws -> [Float] {
        let tensor = try #require(f.tensors[key], "fixture tensor \(key) missing")
        return tensor.values
    }

    static func parameters(_ f: SafeTensors.File, _ tag: String) throws -> [String: [Int]] {
        let listed = try #require(f.metadata["\(tag).parameters"]?.data(using: .utf8))
        let rows = try #require(try JSONSerialization.jsonObject(with: listed) as? [[Any]])
        return Dictionary(uniqueKeysWithValues: rows.map { ($0[0] as! String, ($0[1] as! [Any]).map { $0 as! Int }) })
    }

    static func tower(_ configuration: BERTTextConfiguration) throws -> (ParameterStore, BERTTextTower) {
        let store = ParameterStore()
        let tower = BERTTextTower(store, prefix: "text.", configuration: configuration)
        try BERTSyntheticWeights.apply(to: store, prefix: "text.")
        return (store, tower)
    }

    static func worst(_ a: [Float], _ b: [Float]) -> Float { CLIPLayerTests.worst(a, b) }

    @Test func namesShapesAndStreamsMatchOpenCLIP() throws {
        let f = try Self.fixture()
        var full = BERTTextConfiguration.pubMedBERT
        full.poolerParameters = true  // HFTextEncoder built from a config keeps BertModel's pooler
        for (tag, configuration) in [("tiny", BERTTextConfiguration.tinyTest), ("full", full)] {
            let store = ParameterStore()
            _ = BERTTextTower(store, prefix: "text.", configuration: configuration)
            let ours = Dictionary(uniqueKeysWithValues: store.parameters.map { ($0.name, $0.shape) })
            #expect(ours == (try Self.parameters(f, tag)), "\(tag): parameter names or shapes differ from open_clip")
            for key in f.tensors.keys.sorted() where key.hasPrefix("\(tag).sample.") {
                let name = String(key.dropFirst("\(tag).sample.".count))
                let entry = try #require(store.parameterEntry(named: name))
                let (offset, bound) = try BERTSyntheticWeights.rule(name: name, shape: entry.shape)
                var stream = [Float](repeating: .nan, count: entry.count)
                stream.withUnsafeMutableBufferPointer {
                    CLIPSyntheticWeights.fill(
                        $0.baseAddress!, count: entry.count, key: CLIPSyntheticWeights.key(name), offset: offset,
                        bound: bound)
                }
                #expect(Array(stream.prefix(4) + stream.suffix(4)) == (try Self.values(f, key)), "\(key)")
            }
        }
        // The default configuration leaves the unused pooler out, as open_clip does for BiomedCLIP.
        let store = ParameterStore()
        _ = BERTTextTower(store, prefix: "text.", configuration: .tinyTest.withoutPooler)
        #expect(store.parameters.allSatisfy { !$0.name.contains("pooler") })
        #expect(throws: PairDxError.self) { try BERTSyntheticWeights.rule(name: "text.unknown", shape: [3]) }
    }

    @Test func fixtureTokensAreOurTokeniser() throws {
        let f = try Self.fixture()
        let listed = try #require(f.metadata["texts"])
        let texts = try #require(try JSONSerialization.jsonObject(with: Data(listed.utf8)) as? [String])
        let tokenizer = try BiomedCLIPTextTokenizerTests.tokenizer()
        #expect(tokenizer.encodeBatch(texts).map { Float($0) } == (try Self.values(f, "tokens")))
    }

    @Test func tokeniserCheckNamesTheVocabulary() throws {
        let tokenizer = try BiomedCLIPTextTokenizerTests.tokenizer()
        let store = ParameterStore()
        try BERTTextTower(store, prefix: "text.", configuration: .tinyTest).check(tokenizer)
        var small = BERTTextConfiguration.tinyTest
        small.vocabularySize = 100
        let error = try #require(throws: PairDxError.self) {
            try BERTTextTower(ParameterStore(), configuration: small).check(tokenizer)
        }
        #expect(
            error.kind == .badInput && error.message.contains("text-vocab.txt") && error.message.contains("100 rows"))
        #expect(throws: PairDxError.self) {
            try BERTTextTower(ParameterStore(), configuration: .tinyTest, padId: 5).check(tokenizer)
        }
    }

    @Test func tinyTowerMatchesOpenCLIP() throws {
        let f = try Self.fixture()
        let (_, tower) = try Self.tower(.tinyTest)
        let tokens = try Self.values(f, "tokens").map { Int32($0) }
        let ours = tower.forward(tokens: tokens, batch: 4)
        let error = Self.worst(ours, try Self.values(f, "tiny.embeddings"))
        print("biomedclip text tiny: worst \(error) (float32 torch \(f.metadata["tiny.torch_f32_error"] ?? "?"))")
        #expect(ours.count == 4 * 16 && error <= 1e-6, "worst \(error)")
    }

    @Test func tinyTowerGradientsMatchOpenCLIP() throws {
        let f = try Self.fixture()
        let (store, tower) = try Self.tower(.tinyTest)
        let tokens = try Self.values(f, "tokens").map { Int32($0) }
        let embeddings = tower.forwardTraining(tokens: tokens, batch: 4)
        #expect(Self.worst(embeddings.storage, try Self.values(f, "tiny.embeddings")) <= 1e-6)
        let weights = CLIPSyntheticWeights.values("text-gradient", count: embeddings.count, bound: 1)
        store.zeroGrad()
        tower.backward(Tensor(shape: embeddings.shape, storage: weights))
        let rows = try Self.values(f, "tiny.grad_rows").map { Int($0) }
        var worst: (Float, String) = (0, ""), checked = 0
        // Key biases have gradient 0 in exact arithmetic (softmax ignores a shift shared by all keys), so every
        // error is measured against at least 1e-3 of the largest reference gradient norm.
        let floor = 1e-3 * f.tensors.filter { $0.key.hasPrefix("tiny.grad.") }.map { Self.norm($0.value.values) }.max()!
        for entry in store.parameters {
            var ours = Array(store.allGrads[entry.offset..<(entry.offset + entry.count)])
            guard let theirs = f.tensors["tiny.grad.\(entry.name)"]?.values else {
                // Only BERT's unused pooler has no gradient in PyTorch; ours stays zero.
                #expect(
                    entry.name.contains("pooler") && ours.allSatisfy { $0 == 0 },
                    "\(entry.name) has no reference gradient")
                continue
            }
            if entry.name.hasSuffix("word_embeddings.weight") {
                let w = entry.shape[1]
                // Rows of ids not in the batch get no gradient.
                let used = Set(rows)
                #expect(
                    (0..<entry.shape[0]).allSatisfy {
                        used.contains($0) || ours[($0 * w)..<(($0 + 1) * w)].allSatisfy { $0 == 0 }
                    })
                ours = rows.flatMap { ours[($0 * w)..<(($0 + 1) * w)] }
            }
            let error = Self.norm(zip(ours, theirs).map { $0 - $1 }) / max(Self.norm(theirs), floor)
            #expect(error <= 1e-5, "∂L/∂\(entry.name): relative error \(error)")
            if error > worst.0 { worst = (error, entry.name) }
            checked += 1
        }
        #expect(checked == store.parameters.count - 2)
        print("biomedclip text tiny gradients (\(checked) tensors): worst relative \(worst.0) (\(worst.1))")
    }

    static func norm(_ a: [Float]) -> Float { Float(a.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()) }

    @Test func embeddingOfAnItemIgnoresItsBatchAndPadding() throws {
        let f = try Self.fixture()
        let (_, tower) = try Self.tower(.tinyTest)
        let tokens = try Self.values(f, "tokens").map { Int32($0) }
        let all = tower.forward(tokens: tokens, batch: 4)
        let l = BERTTextConfiguration.tinyTest.contextLength, e = 16
        for item in 0..<4 {
            let row = Array(tokens[(item * l)..<((item + 1) * l)])
            let alone = tower.forward(tokens: row, batch: 1)
            #expect(Self.worst(alone, Array(all[(item * e)..<((item + 1) * e)])) <= 1e-5, "item \(item)")
        }
        // Shorter rows (no padding at all) give the same embedding when the content fits.
        let short = Array(tokens[0..<l].prefix { $0 != 0 })
        #expect(Self.worst(tower.forward(tokens: short, batch: 1), Array(all[0..<e])) <= 1e-5)
    }

    @Test func fullPubMedBERTShapesMatchOpenCLIP() throws {
        let f = try Self.fixture()
        let start = Date()
        let (_, tower) = try Self.tower(.pubMedBERT)
        let built = Date()
        let tokens = try Self.values(f, "tokens").map { Int32($0) }
        let ours = tower.forward(tokens: tokens, batch: 4)
        let error = Self.worst(ours, try Self.values(f, "full.embeddings"))
        print(
            String(
                format: "biomedclip text full: worst %.3e (float32 torch %@), weights %.1f s, forward %.1f s", error,
                f.metadata["full.torch_f32_error"] ?? "?", built.timeIntervalSince(start),
                Date().timeIntervalSince(built)))
        #expect(ours.count == 4 * 512 && error <= 1e-5, "worst \(error)")
    }
}

extension BERTTextConfiguration {
    var withoutPooler: BERTTextConfiguration {
        var c = self
        c.poolerParameters = false
        return c
    }
}
