import Foundation
import Testing
@testable import Training

/// BiomedCLIP's full-size image tower (timm ViT-B/16 inside open_clip's TimmModel) against open_clip itself
/// (fixture `biomedclip/vision-vitb16.safetensors`, written by scripts/fixtures/gen_biomedclip_vision_fixtures.py
/// from open_clip's `_build_vision_tower` with BiomedCLIP's vision_cfg, run in float64). Both sides fill every
/// parameter with `BiomedCLIPSyntheticWeights`, so no weights are committed.
///
/// Tolerances (ours in Float32 against the float64 reference; `worst` = max |ours − ref| / (1 + |ref|)):
/// - synthetic streams: bit for bit; parameter names and shapes: exactly open_clip's (151 tensors);
/// - image embeddings: worst ≤ 1e-4 and ‖ours − ref‖ ≤ 1e-4·‖ref‖
///   (float32 PyTorch itself is ~2e-6 from the reference, metadata `torch_f32_error.*`).
@Suite(.serialized)
struct BiomedCLIPVisionTests {
    static func fixture() throws -> SafeTensors.File {
        let name = "vision-vitb16.safetensors"
        let url = try #require(Bundle.module.url(forResource: "Fixtures/biomedclip/\(name)", withExtension: nil))
        return try SafeTensors.decode(Data(contentsOf: url), source: name)
    }

    static func images(count: Int = 2, size: Int = 224) -> Tensor {
        Tensor(
            shape: [count, 3, size, size],
            storage: CLIPSyntheticWeights.values("pixels", count: count * 3 * size * size, bound: 1.8))
    }

    static func openCLIPParameters(_ f: SafeTensors.File) throws -> [String: [Int]] {
        let listed = try #require(f.metadata["parameters"]?.data(using: .utf8))
        let expected = try #require(try JSONSerialization.jsonObject(with: listed) as? [[Any]])
        return Dictionary(
            uniqueKeysWithValues: expected.map { ($0[0] as! String, ($0[1] as! [Any]).map { $0 as! Int }) })
    }

    @Test func namesShapesAndSyntheticStreamsMatchOpenCLIP() throws {
        let f = try Self.fixture()
        let store = ParameterStore()
        var generator = SeededGenerator(seed: 1)
        _ = TimmViTImageTower(store, configuration: .vitB16, generator: &generator)
        let ours = Dictionary(uniqueKeysWithValues: store.parameters.map { ($0.name, $0.shape) })
        let theirs = try Self.openCLIPParameters(f)
        #expect(theirs.count == 151)
        #expect(ours == theirs)
        #expect(store.parameterEntry(named: "visual.head.proj.bias") == nil)

        try BiomedCLIPSyntheticWeights.apply(to: store)
        var sampled = 0
        for key in f.tensors.keys.sorted() where key.hasPrefix("sample.") && key != "sample.pixels" {
            let name = String(key.dropFirst("sample.".count))
            let entry = try #require(store.parameterEntry(named: name), "\(name) is not a parameter of the Swift tower")
            let values = Array(store.allValues[entry.offset..<(entry.offset + entry.count)])
            let mine = Array(values.prefix(4) + values.suffix(4))
            let reference = try CLIPLayerTests.tensor(f, key).storage
            #expect(mine == reference, "\(name): \(mine) vs \(reference)")
            sampled += 1
        }
        #expect(sampled == 7)
        let pixels = Self.images().storage
        #expect(Array(pixels.prefix(4) + pixels.suffix(4)) == (try CLIPLayerTests.tensor(f, "sample.pixels")).storage)
    }

    @Test func fullViTB16MatchesOpenCLIPTimmModel() throws {
        let f = try Self.fixture()
        let store = ParameterStore()
        var generator = SeededGenerator(seed: 1)
        let tower = TimmViTImageTower(store, configuration: .vitB16, generator: &generator)
        try BiomedCLIPSyntheticWeights.apply(to: store)
        defer { Compute.threads = 1 }
        Compute.threads = 2  // the batch split over threads, as the commands run it
        let embeddings = tower.forward(Self.images())
        #expect(embeddings.shape == [2, 512])
        let reference = try CLIPLayerTests.tensor(f, "image_embeddings").storage
        let worst = CLIPLayerTests.worst(embeddings.storage, reference)
        let norm = CLIPOpenCLIPTests.relativeNorm(embeddings.storage, reference)
        #expect(worst <= 1e-4 && norm <= 1e-4, "image embeddings: worst \(worst), relative norm \(norm)")
        print("biomedclip vision image_embeddings: worst \(worst), relative norm \(norm)")
    }

    /// The rule's extra cases, and that names it does not know still fail loudly.
    @Test func syntheticRuleCoversTimmNames() throws {
        #expect(try BiomedCLIPSyntheticWeights.rule(name: "visual.trunk.norm.weight", shape: [8])! == (1, 0.1))
        #expect(try BiomedCLIPSyntheticWeights.rule(name: "visual.trunk.blocks.3.norm2.bias", shape: [8])! == (0, 0.05))
        #expect(try BiomedCLIPSyntheticWeights.rule(name: "visual.trunk.pos_embed", shape: [1, 5, 16])! == (0, 0.25))
        #expect(
            try BiomedCLIPSyntheticWeights.rule(name: "visual.trunk.blocks.0.attn.qkv.bias", shape: [48])! == (0, 0.02))
        #expect(try BiomedCLIPSyntheticWeights.rule(name: "logit_scale", shape: []) == nil)
        // A 1-d weight of a module that is not a norm ("normal" is not "norm<digits>").
        #expect(throws: (any Error).self) {
            try BiomedCLIPSyntheticWeights.rule(name: "visual.normal.weight", shape: [8])
        }
    }

    /// The block's backward (the layers' own, chained through both residuals) against central finite differences.
    @Test func timmBlockBackwardMatchesFiniteDifferences() throws {
        let store = ParameterStore()
        var generator = SeededGenerator(seed: 6)
        let c = TimmViTConfiguration(imageSize: 8, patchSize: 4, width: 16, layers: 1, heads: 4, embedDimension: 8)
        let block = TimmViTImageTower.block(store, name: "trunk.blocks.0", configuration: c, generator: &generator)
        try BiomedCLIPSyntheticWeights.apply(to: store)
        #expect(store.parameters.map(\.name).contains("trunk.blocks.0.attn.qkv.weight"))
        let e = CoreFiniteDifferenceTests.check(
            block, store: store, input: CoreFiniteDifferenceTests.random([2, 5, 16], seed: 7))
        #expect(e < 2e-2, "timm block finite-difference error \(e)")
    }

    /// The inference benchmark's arithmetic on a tiny tower (speed itself: scripts/bench/infer.sh biomedclip).
    @Test func inferenceBenchmarkReportsConsistentRates() {
        let c = TimmViTConfiguration(imageSize: 32, patchSize: 8, width: 32, layers: 2, heads: 2, embedDimension: 16)
        let r = TimmViTInferenceBenchmark.run(configuration: c, batch: 4, iterations: 3, warmup: 0)
        #expect(r.model == "biomedclip" && r.batch == 4 && r.iterations == 3 && r.medianBatchSeconds > 0)
        #expect(abs(r.imagesPerSecond * r.secondsPerImage - 1) < 1e-9)
        #expect(abs(r.secondsPerImage * 4 - r.medianBatchSeconds) < 1e-12)
    }
}
