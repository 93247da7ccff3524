import Foundation
import Imaging
import PairDxCore
import PairDxTestSupport
import Testing
@testable import Training

/// The whole CLIP model in the tiny configuration against the plain-PyTorch mirror of open_clip's ViT-B-32
/// (fixtures `clip/tiny-clip.safetensors` weights under open_clip names, `clip/tiny-clip-io.safetensors` inputs,
/// outputs and gradients; both Float32). Tolerances: embeddings, logits and zero-shot scores element-wise
/// |ours − torch| ≤ 1e-4·(1 + |torch|); loss relative 1e-5; each parameter gradient ‖ours − torch‖ ≤ 1e-3·‖torch‖.
@Suite(.scratch) struct CLIPModelTests {
    static func model() throws -> CLIPModel {
        let model = CLIPModel(configuration: .tinyTest, seed: 1)
        let url = try #require(
            Bundle.module.url(forResource: "Fixtures/clip/tiny-clip.safetensors", withExtension: nil))
        let report = try CLIPWeights.load(model, from: url.path)
        #expect(report.ignored.isEmpty, "unexpected tensors \(report.ignored)")
        return model
    }

    static func io() throws -> SafeTensors.File { try CLIPLayerTests.fixture("tiny-clip-io.safetensors") }
    static func tensor(_ name: String, _ f: SafeTensors.File) throws -> Tensor { try CLIPLayerTests.tensor(f, name) }
    static func ids(_ name: String, _ f: SafeTensors.File) throws -> [Int32] {
        try tensor(name, f).storage.map { Int32($0) }
    }

    @Test func embeddingsLogitsAndGradientsMatchPyTorch() throws {
        let model = try Self.model(), f = try Self.io()
        let images = try Self.tensor("images", f)
        let texts = try Self.ids("texts", f), classes = try Self.ids("class_texts", f)
        let labels = try Self.tensor("labels", f).storage.map { Int($0) }

        let imageEmbeddings = model.encodeImages(images)
        let textEmbeddings = model.encodeTexts(texts)
        #expect(CLIPLayerTests.worst(imageEmbeddings.storage, try Self.tensor("image_embeddings", f).storage) < 1e-4)
        #expect(CLIPLayerTests.worst(textEmbeddings.storage, try Self.tensor("text_embeddings", f).storage) < 1e-4)
        let logits = model.logits(imageEmbeddings: imageEmbeddings, textEmbeddings: textEmbeddings)
        #expect(CLIPLayerTests.worst(logits.storage, try Self.tensor("logits", f).storage) < 1e-4)

        let tuner = CLIPFineTuner(model: model, mode: .both, schedule: ConstantSchedule(base: 1e-3))
        model.store.zeroGrad()
        let loss = tuner.lossAndGradients(images: images, captions: texts, classPrompts: classes, labels: labels)
        let reference = try Self.tensor("loss", f).storage[0]
        #expect(abs(loss - reference) <= 1e-5 * abs(reference), "loss \(loss) vs \(reference)")
        for entry in model.store.parameters {
            let ours = Array(model.store.allGrads[entry.offset..<(entry.offset + entry.count)])
            let theirs = try Self.tensor("grad.\(entry.name)", f).storage
            let diff = zip(ours, theirs).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
            let norm = theirs.map { $0 * $0 }.reduce(0, +).squareRoot()
            #expect(diff <= 1e-3 * norm + 1e-7, "gradient of \(entry.name): ‖Δ‖ \(diff), ‖torch‖ \(norm)")
        }
    }

    /// Inference splits a batch over the compute threads, each encoding its items start to finish. With 2 threads
    /// the split embeddings match PyTorch's as the serial ones do, repeat to the bit, and agree with 1 thread and with
    /// each item encoded alone (an odd batch of 7) to float rounding. OpenBLAS's sums depend on a GEMM's row count,
    /// so only the same thread count promises the same bits.
    @Test func inferenceSplitsTheBatchOverThreads() throws {
        let model = try Self.model(), f = try Self.io()
        let images = try Self.tensor("images", f), texts = try Self.ids("texts", f)
        let s = model.configuration.imageSize, l = model.configuration.contextLength, n = 7
        var g = SeededGenerator(seed: 5)
        let odd = Tensor(shape: [n, 3, s, s], storage: (0..<(n * 3 * s * s)).map { _ in g.nextNormal() })
        defer { Compute.threads = 1 }
        Compute.threads = 1
        let serial = model.encodeImages(odd), serialTexts = model.encodeTexts(texts)
        let alone = (0..<n).flatMap { model.encodeImages(odd.items($0..<($0 + 1))).storage }
        Compute.threads = 2
        let split = model.encodeImages(odd), splitTexts = model.encodeTexts(texts)
        #expect(texts.count / l >= 2 && images.shape[0] >= 2, "the fixture's images and captions must be batches")
        #expect(
            CLIPLayerTests.worst(model.encodeImages(images).storage, try Self.tensor("image_embeddings", f).storage)
                < 1e-4)
        #expect(CLIPLayerTests.worst(splitTexts.storage, try Self.tensor("text_embeddings", f).storage) < 1e-4)
        #expect(model.encodeImages(odd) == split && model.encodeTexts(texts) == splitTexts)
        #expect(
            CLIPLayerTests.worst(split.storage, serial.storage) < 1e-5
                && CLIPLayerTests.worst(split.storage, alone) < 1e-5)
        #expect(CLIPLayerTests.worst(splitTexts.storage, serialTexts.storage) < 1e-5)
    }

    @Test func zeroShotClassWeightsAndScoresMatchPyTorch() throws {
        let model = try Self.model(), f = try Self.io()
        let prompts = try Self.ids("zeroshot.prompts", f), l = model.configuration.contextLength
        let perClass = (0..<3).map { Array(prompts[($0 * 2 * l)..<(($0 + 1) * 2 * l)]) }
        let classifier = ZeroShotClassifier(model: model, prompts: perClass)
        #expect(
            CLIPLayerTests.worst(classifier.classWeights.storage, try Self.tensor("zeroshot.weights", f).storage) < 1e-4
        )
        let embeddings = model.encodeImages(try Self.tensor("images", f))
        let scores = try Self.tensor("zeroshot.scores", f)
        #expect(CLIPLayerTests.worst(classifier.scores(imageEmbeddings: embeddings).storage, scores.storage) < 1e-4)
        let expected = (0..<4).map { r in (0..<3).max { scores[r, $0] < scores[r, $1] }! }
        #expect(classifier.predict(imageEmbeddings: embeddings) == expected)
    }

    /// The MLP activation is not in a state dict: `save` records it, `loadModel` reads it back, an explicit choice
    /// wins, a file without the record is QuickGELU (OpenAI's), and an unknown record names the key.
    @Test func activationIsRecordedAndCanBeChosen() throws {
        let dir = URL(fileURLWithPath: try Scratch.directory("clip-act"))
        var exact = CLIPConfiguration.tinyTest
        exact.activation = .erf
        let model = CLIPModel(configuration: exact, seed: 3)
        let saved = dir.appendingPathComponent("erf.safetensors").path
        try CLIPWeights.save(model, to: saved)
        #expect(try CLIPWeights.loadModel(from: saved).configuration.activation == .erf)
        #expect(try CLIPWeights.loadModel(from: saved, activation: .quick).configuration.activation == .quick)
        let images = Tensor(shape: [1, 3, 32, 32], repeating: 0.5)
        #expect(
            try CLIPWeights.loadModel(from: saved).encodeImages(images)
                != CLIPWeights.loadModel(from: saved, activation: .quick).encodeImages(images))
        let bare = dir.appendingPathComponent("bare.safetensors").path
        try SafeTensors.write(model.store.namedTensors(metadata: [:]), to: bare)
        #expect(try CLIPWeights.loadModel(from: bare).configuration.activation == .quick)
        let odd = dir.appendingPathComponent("odd.safetensors").path
        try SafeTensors.write(model.store.namedTensors(metadata: [CLIPWeights.activationKey: "swish"]), to: odd)
        #expect { try CLIPWeights.loadModel(from: odd) } throws: {
            "\($0)".contains("pairdx.activation") && "\($0)".contains("swish")
        }
    }

    @Test func fineTuningLowersTheLossAndImageOnlyModeFreezesText() throws {
        let f = try Self.io()
        let images = try Self.tensor("images", f)
        let texts = try Self.ids("texts", f), classes = try Self.ids("class_texts", f)
        let labels = try Self.tensor("labels", f).storage.map { Int($0) }
        for mode in CLIPFineTuner.Mode.allCases {
            let model = try Self.model()
            let textBefore = model.textParameterNames.map { model.store.parameterEntry(named: $0)! }
                .map { Array(model.store.allValues[$0.offset..<($0.offset + $0.count)]) }
            let tuner = CLIPFineTuner(
                model: model, mode: mode, schedule: CosineSchedule(base: 2e-3, totalSteps: 8, warmupSteps: 3))
            #expect(tuner.schedule.learningRate(atStep: 0) < tuner.schedule.learningRate(atStep: 2))
            var losses: [Float] = []
            for _ in 0..<8 {
                losses.append(tuner.train(images: images, captions: texts, classPrompts: classes, labels: labels))
            }
            #expect(losses.last! < 0.8 * losses.first!, "\(mode): losses \(losses)")
            let textAfter = model.textParameterNames.map { model.store.parameterEntry(named: $0)! }
                .map { Array(model.store.allValues[$0.offset..<($0.offset + $0.count)]) }
            #expect(
                (textBefore == textAfter) == (mode == .image),
                "\(mode): text tower \(textBefore == textAfter ? "unchanged" : "changed")")
            #expect(model.store.value(model.logitScale).pointee <= Float(log(100.0)))
        }
    }

    @Test func weightsRoundTripAndBadFilesAreNamed() throws {
        let model = try Self.model()
        let dir = URL(fileURLWithPath: try Scratch.directory("clip"))
        let path = dir.appendingPathComponent("w.safetensors").path
        try CLIPWeights.save(model, to: path)
        let copy = CLIPModel(configuration: .tinyTest, seed: 99)
        try CLIPWeights.load(copy, from: path)
        #expect(Array(copy.store.allValues) == Array(model.store.allValues))
        // A file for other shapes is refused with the tensor's name.
        var other = CLIPConfiguration.tinyTest
        other.textWidth = 48
        do {
            try CLIPWeights.load(CLIPModel(configuration: other), from: path)
            Issue.record("loading mismatched shapes should fail")
        } catch {
            #expect("\(error)".contains("token_embedding.weight"))
        }
        try Data("not safetensors".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: (any Error).self) { try CLIPWeights.load(copy, from: path) }
    }

    /// The patch grid comes from the position rows (G² patches plus the class token), by the one rule the CLIP and
    /// BiomedCLIP readers share; a row count that is not a square plus one is refused with the tensor's shape.
    @Test func patchGridIsReadFromThePositionRows() throws {
        #expect(StateDictShapes.patchGrid(positions: 50) == 7 && StateDictShapes.patchGrid(positions: 197) == 14)
        #expect(StateDictShapes.patchGrid(positions: 2) == 1)
        for bad in [1, 3, 49, 51, 196] { #expect(StateDictShapes.patchGrid(positions: bad) == nil, "\(bad)") }
        var shapes = CLIPModel(configuration: .tinyTest, seed: 1).store.namedTensors(metadata: [:]).tensors.mapValues(
            \.shape)
        let rows = try #require(shapes["visual.positional_embedding"]?[0])
        let inferred = try CLIPWeights.configuration(shapes: shapes, source: "tiny")
        #expect(inferred.imageSize == CLIPConfiguration.tinyTest.imageSize && inferred.grid * inferred.grid + 1 == rows)
        shapes["visual.positional_embedding"]![0] = rows + 1
        let e = #expect(throws: PairDxError.self) { try CLIPWeights.configuration(shapes: shapes, source: "tiny") }
        #expect(e?.message.contains("visual.positional_embedding [\(rows + 1),") == true, "\(e?.message ?? "")")
    }
}

/// The inference benchmark's arithmetic on the tiny configuration (speed itself is measured by scripts/bench/infer.sh clip).
struct CLIPInferenceBenchmarkTests {
    @Test func reportsConsistentRates() {
        let r = CLIPInferenceBenchmark.run(configuration: .tinyTest, batch: 4, iterations: 3, warmup: 0)
        #expect(r.batch == 4 && r.iterations == 3 && r.medianBatchSeconds > 0)
        #expect(abs(r.imagesPerSecond * r.secondsPerImage - 1) < 1e-9)
        #expect(abs(r.secondsPerImage * 4 - r.medianBatchSeconds) < 1e-12)
    }
}

/// CLIP's image transform: shorter side to the target size, centre crop, CLIP's mean/std, planar output.
struct CLIPImagePreprocessTests {
    static func prepare(_ pixels: [UInt8], _ w: Int, _ h: Int, _ ch: Int) -> [Float] {
        var out = [Float](repeating: .nan, count: 3 * 32 * 32)
        out.withUnsafeMutableBufferPointer {
            CLIPImagePreprocess.normalise(
                pixels: pixels, width: w, height: h, channels: ch, size: 32, into: $0.baseAddress!)
        }
        return out
    }

    @Test func centreCropKeepsTheMiddleAndNormalisesWithCLIPConstants() throws {
        // 64×32 grey: left quarter black, middle half grey 128, right quarter white. The shorter side is already
        // 32, so the crop is the middle 32 columns: all 128.
        var pixels = [UInt8](repeating: 128, count: 64 * 32)
        for y in 0..<32 { for x in 0..<16 { pixels[y * 64 + x] = 0; pixels[y * 64 + 48 + x] = 255 } }
        let out = Self.prepare(pixels, 64, 32, 1)
        for c in 0..<3 {
            let expected = (128 / 255 - CLIPImagePreprocess.mean[c]) / CLIPImagePreprocess.std[c]
            #expect(out[(c * 1024)..<((c + 1) * 1024)].allSatisfy { abs($0 - expected) < 1e-5 })
        }
        // 128×64 RGB, red 10 on the left half and 250 on the right: resized to 64×32, the crop spans the edge.
        var big = [UInt8](repeating: 0, count: 128 * 64 * 3)
        for y in 0..<64 { for x in 0..<128 { big[(y * 128 + x) * 3] = x < 64 ? 10 : 250 } }
        let rgb = Self.prepare(big, 128, 64, 3)
        let red = { (x: Int) in rgb[16 * 32 + x] * CLIPImagePreprocess.std[0] + CLIPImagePreprocess.mean[0] }
        #expect(red(0) < 0.1 && red(31) > 0.9)
        #expect(abs(rgb[1024 + 5] * CLIPImagePreprocess.std[1] + CLIPImagePreprocess.mean[1]) < 1e-5)  // green stays 0
    }

    struct Reference: Decodable {
        struct Entry: Decodable {
            let file: String; let mode: String; let crop_sha256: String; let tensor_sha256: String; let first: [Float]
        }
        let size: Int
        let images: [Entry]
    }

    /// open_clip's own transform (Resize(224, BICUBIC), CenterCrop, convert("RGB"), ToTensor, Normalize) on the 17
    /// real images of ../shared/data (grey, RGB and opaque RGBA PNGs, a JPEG, 102² up to 1411², portrait and
    /// landscape), fixture `clip/preprocess-reference.json` from scripts/fixtures/gen_clip_preprocess_fixtures.py:
    /// the 8-bit crop and the float32 tensor are byte-identical (SHA-256). Skipped when ../shared/data is absent.
    static let sharedData = Prerequisite.path("../shared/data", what: "the shared real-data folder")

    @Test(sharedData.trait) func matchesOpenCLIPTransformByteForByteOnRealImages() throws {
        let data = URL(fileURLWithPath: try Self.sharedData.require())
        let url = try #require(
            Bundle.module.url(forResource: "Fixtures/clip/preprocess-reference.json", withExtension: nil))
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
        #expect(reference.images.count == 17 && Set(reference.images.map(\.mode)) == ["L", "RGB", "RGBA"])
        let size = reference.size
        var mismatches: [String] = []
        for entry in reference.images {
            let bytes = try Data(contentsOf: data.appendingPathComponent(entry.file))
            let image = try ImageDecoder.decode(bytes)
            let crop = CLIPImagePreprocess.crop(
                pixels: image.pixels, width: image.width, height: image.height,
                channels: image.channels, size: size)
            var tensor = [Float](repeating: .nan, count: 3 * size * size)
            try tensor.withUnsafeMutableBufferPointer {
                try CLIPImagePreprocess.prepare(bytes, size: size, source: entry.file, into: $0.baseAddress!)
            }
            let cropDigest = SHA256.hex(Data(crop))
            let tensorDigest = tensor.withUnsafeBytes { SHA256.hex($0) }
            if cropDigest != entry.crop_sha256 || tensorDigest != entry.tensor_sha256 {
                mismatches.append(
                    "\(entry.file) (\(entry.mode)): crop \(cropDigest == entry.crop_sha256 ? "equal" : "differs"), "
                        + "tensor starts \(Array(tensor.prefix(4))) vs \(Array(entry.first.prefix(4)))")
            }
        }
        #expect(
            mismatches.isEmpty,
            "\(mismatches.count) of \(reference.images.count) differ:\n\(mismatches.joined(separator: "\n"))")
    }

    /// torchvision's size rules: the longer side truncated, crop offsets rounded half to even.
    @Test func resizeAndCropFollowTorchvisionRounding() {
        #expect(CLIPImagePreprocess.resizedSize(width: 736, height: 374, size: 224) == (440, 224))  // 440.81 → 440
        #expect(CLIPImagePreprocess.resizedSize(width: 550, height: 660, size: 224) == (224, 268))  // 268.8 → 268
        #expect(CLIPImagePreprocess.resizedSize(width: 102, height: 102, size: 224) == (224, 224))
        #expect(CLIPImagePreprocess.cropOffset(225, 224) == 0 && CLIPImagePreprocess.cropOffset(227, 224) == 2)
        #expect(CLIPImagePreprocess.cropOffset(226, 224) == 1 && CLIPImagePreprocess.cropOffset(440, 224) == 108)
    }

    @Test func undecodableBytesAreRejectedWithTheirSource() {
        var out = [Float](repeating: 0, count: 3 * 32 * 32)
        do {
            try out.withUnsafeMutableBufferPointer {
                try CLIPImagePreprocess.prepare(
                    Data("no image".utf8), size: 32, source: "PMC1/F1", into: $0.baseAddress!)
            }
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("PMC1/F1"))
        }
    }
}
