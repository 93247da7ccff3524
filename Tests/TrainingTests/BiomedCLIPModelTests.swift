import Foundation
import PairDxTestSupport
import PairDxCore
import Testing
@testable import Training

/// The whole BiomedCLIP model against open_clip's `CustomTextCLIP` (fixture `biomedclip/model-full.safetensors`,
/// written by scripts/fixtures/gen_biomedclip_model_fixtures.py from the hub's model_cfg, full size, float64), and
/// `BiomedCLIPWeights` / zero-shot on tiny random models.
///
/// Tolerances against the float64 reference (`worst` = max |ours − ref| / (1 + |ref|)): parameter names and shapes
/// exactly open_clip's (351 tensors); image embeddings, text embeddings and logits worst ≤ 1e-4 and
/// ‖ours − ref‖ ≤ 1e-4·‖ref‖ (float32 PyTorch: ≤ 1.6e-6, metadata `torch_f32_error.*`).
/// Serialized: the full model holds 196 M parameters and as many gradient slots (1.6 GB).
@Suite(.serialized, .scratch)
struct BiomedCLIPModelTests {
    static func fixture() throws -> SafeTensors.File {
        let name = "model-full.safetensors"
        let url = try #require(Bundle.module.url(forResource: "Fixtures/biomedclip/\(name)", withExtension: nil))
        return try SafeTensors.decode(Data(contentsOf: url), source: name)
    }

    /// Small shapes: 32² images in 8² patches, widths 64 (one 64-wide head, what `configuration(of:)` infers).
    static let tiny = BiomedCLIPConfiguration(
        vision: TimmViTConfiguration(imageSize: 32, patchSize: 8, width: 64, layers: 2, heads: 1, embedDimension: 16),
        text: BERTTextConfiguration(
            vocabularySize: 40, width: 64, layers: 2, heads: 1, mlpWidth: 96, maxPositions: 256,
            contextLength: 256, outputDimension: 16))

    @Test func fullModelMatchesOpenCLIPCustomTextCLIP() throws {
        let f = try Self.fixture()
        let model = BiomedCLIPModel()
        let ours = Dictionary(uniqueKeysWithValues: model.store.parameters.map { ($0.name, $0.shape) })
        let theirs = try BiomedCLIPVisionTests.openCLIPParameters(f)
        #expect(theirs.count == 351)
        #expect(ours == theirs)
        try BiomedCLIPSyntheticWeights.apply(to: model.store)
        #expect(model.temperature == expf(Float(log(1 / 0.07))))

        let ids = try CLIPLayerTests.tensor(f, "texts").storage.map { Int32($0) }
        let images = BiomedCLIPVisionTests.images()
        let imageEmbeddings = model.encodeImages(images), textEmbeddings = model.encodeTexts(ids)
        let logits = model.logits(imageEmbeddings: imageEmbeddings, textEmbeddings: textEmbeddings)
        #expect(textEmbeddings.shape == [4, 512] && logits.shape == [2, 4])
        for (key, value) in [
            ("image_embeddings", imageEmbeddings), ("text_embeddings", textEmbeddings), ("logits", logits)
        ] {
            let reference = try CLIPLayerTests.tensor(f, key).storage
            let worst = CLIPLayerTests.worst(value.storage, reference),
                norm = CLIPOpenCLIPTests.relativeNorm(value.storage, reference)
            #expect(worst <= 1e-4 && norm <= 1e-4, "\(key): worst \(worst), relative norm \(norm)")
            print("biomedclip model \(key): worst \(worst), relative norm \(norm)")
        }
    }

    @Test func weightsRoundTripAndConfigurationIsInferred() throws {
        let dir = try Scratch.directory("biomedclip")
        let original = BiomedCLIPModel(configuration: Self.tiny, seed: 7)
        let path = "\(dir)/tiny.safetensors"
        try BiomedCLIPWeights.save(original, to: path)
        let loaded = try BiomedCLIPWeights.loadModel(from: path)
        #expect(loaded.configuration == Self.tiny)
        #expect(Array(loaded.store.allValues) == Array(original.store.allValues))
        let images = BiomedCLIPVisionTests.images(count: 3, size: 32)
        #expect(loaded.encodeImages(images) == original.encodeImages(images))

        // Extra tensors are ignored and reported; a different seed really changes the weights.
        var file = try SafeTensors.read(path)
        file.tensors["text.transformer.embeddings.position_ids"] = .init(
            shape: [1, 256], values: [Float](repeating: 0, count: 256))
        let other = BiomedCLIPModel(configuration: Self.tiny, seed: 8)
        #expect(other.encodeImages(images) != original.encodeImages(images))
        let report = try BiomedCLIPWeights.load(other, file: file, source: "edited")
        #expect(report.ignored == ["text.transformer.embeddings.position_ids"])
        #expect(other.encodeImages(images) == original.encodeImages(images))
    }

    @Test func badWeightFilesNameTheFileAndTheTensor() throws {
        let dir = try Scratch.directory("biomedclip")
        let model = BiomedCLIPModel(configuration: Self.tiny)
        let path = "\(dir)/tiny.safetensors"
        try BiomedCLIPWeights.save(model, to: path)
        var file = try SafeTensors.read(path)

        var missing = file
        missing.tensors["visual.trunk.blocks.1.attn.qkv.weight"] = nil
        try SafeTensors.write(missing, to: "\(dir)/missing.safetensors")
        let e1 = #expect(throws: PairDxError.self) {
            try BiomedCLIPWeights.loadModel(from: "\(dir)/missing.safetensors")
        }
        #expect(
            "\(e1!)".contains("missing.safetensors")
                && "\(e1!)".contains("'visual.trunk.blocks.1.attn.qkv.weight' is missing"))

        file.tensors["text.proj.2.weight"] = .init(shape: [8, 64], values: [Float](repeating: 0, count: 512))
        try SafeTensors.write(file, to: "\(dir)/shapes.safetensors")
        let e2 = #expect(throws: PairDxError.self) {
            try BiomedCLIPWeights.loadModel(from: "\(dir)/shapes.safetensors")
        }
        #expect("\(e2!)".contains("shapes.safetensors") && "\(e2!)".contains("proj.2"))

        let e3 = #expect(throws: PairDxError.self) {
            try BiomedCLIPWeights.loadModel(from: "\(dir)/absent.safetensors")
        }
        #expect("\(e3!)".contains("absent.safetensors"))
        // A CLIP ViT-B/32 file is not a BiomedCLIP file.
        try CLIPWeights.save(CLIPModel(configuration: .tinyTest), to: "\(dir)/clip.safetensors")
        let e4 = #expect(throws: PairDxError.self) { try BiomedCLIPWeights.loadModel(from: "\(dir)/clip.safetensors") }
        #expect("\(e4!)".contains("visual.trunk.patch_embed.proj.weight"))
    }

    /// The encoder-agnostic class weights equal CLIP's own zero-shot classifier, and BiomedCLIP prompts go through
    /// the WordPiece tokeniser and the text tower.
    @Test func zeroShotClassWeightsAgreeWithCLIPsAndRankBiomedCLIPClasses() throws {
        let clip = CLIPModel(configuration: .tinyTest, seed: 3)
        let l = clip.configuration.contextLength
        // Three classes × two templates: rows of ids (start 1, end 2) padded to the context.
        let rows: [[Int32]] = [
            [1, 10, 11, 2], [1, 12, 10, 11, 2], [1, 20, 2], [1, 21, 20, 2], [1, 30, 31, 32, 2], [1, 33, 2]
        ]
        let padded = rows.map { $0 + [Int32](repeating: 0, count: l - $0.count) }
        let prompts = stride(from: 0, to: rows.count, by: 2).map { padded[$0] + padded[$0 + 1] }
        let reference = ZeroShotClassifier(model: clip, prompts: prompts)
        let general = ZeroShotClassifier(promptEmbeddings: prompts.map { clip.encodeTexts($0) })
        #expect(CLIPLayerTests.worst(general.classWeights.storage, reference.classWeights.storage) <= 1e-6)

        let vocabulary = [
            "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "an", "ct", "scan", "mri", "image", "of", "the", ".",
            "x", "-", "ray"
        ]
        let tokenizer = try WordPieceTokenizer(vocabulary: vocabulary.joined(separator: "\n"))
        var tiny = Self.tiny
        tiny.text.vocabularySize = vocabulary.count
        let model = BiomedCLIPModel(configuration: tiny, seed: 11)
        let texts = [["a ct scan.", "an image of a ct scan."], ["an mri image.", "an image of an mri."]]
        let classifier = ZeroShotClassifier(model: model, tokenizer: tokenizer, prompts: texts)
        #expect(classifier.classWeights.shape == [2, 16])
        // Each class weight is the normalised mean of its normalised prompt embeddings.
        let first = CLIPMath.normalised(model.encodeTexts(tokenizer.encodeBatch(texts[0], contextLength: 256)))
        let mean = CLIPMath.normalised(
            Tensor(shape: [1, 16], storage: (0..<16).map { (first.storage[$0] + first.storage[16 + $0]) / 2 }))
        #expect(CLIPLayerTests.worst(Array(classifier.classWeights.storage[0..<16]), mean.storage) <= 1e-6)
        // An image whose embedding is a class weight is assigned that class.
        #expect(classifier.predict(imageEmbeddings: classifier.classWeights) == [0, 1])
    }
}
