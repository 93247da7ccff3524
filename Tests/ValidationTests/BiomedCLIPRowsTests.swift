import Curation
import Foundation
import PairDxTestSupport
import PairDxCore
import Testing
import Training
import TrainingTestSupport
@testable import Validation

/// The BiomedCLIP rows of `pairdx validate` end to end: a tiny random BiomedCLIP written as open_clip-named
/// safetensors, a WordPiece vocabulary holding the prompts' words, the toy corpus and the CLIP test recipe (its
/// class prompts and templates); plus bad files and the rows without weights.
@Suite("BiomedCLIP rows of validate", .scratch) struct BiomedCLIPRowsTests {
    static let words = ["a", "an", "ct", "scan", "mri", "image", "x", "-", "ray", "radiograph", "figure", "showing"]

    /// A folder with `biomedclip.safetensors` (random weights, seed 5; 32² images, 64-wide towers, context 64) and
    /// `vocab.txt` (BERT's special tokens, then `words`).
    struct Files {
        let dir: String
        var weights: String { dir + "/biomedclip.safetensors" }
        var vocabulary: String { dir + "/vocab.txt" }

        init() throws {
            dir = try Scratch.directory("biomedval")
            let tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + BiomedCLIPRowsTests.words
            try AtomicFile.write(Data((tokens.joined(separator: "\n") + "\n").utf8), to: vocabulary)
            let configuration = BiomedCLIPConfiguration(
                vision: TimmViTConfiguration(
                    imageSize: 32, patchSize: 8, width: 64, layers: 2, heads: 1, embedDimension: 16),
                text: BERTTextConfiguration(
                    vocabularySize: tokens.count, width: 64, layers: 1, heads: 1, mlpWidth: 96, maxPositions: 64,
                    contextLength: 64, outputDimension: 16))
            try BiomedCLIPWeights.save(BiomedCLIPModel(configuration: configuration, seed: 5), to: weights)
        }
    }

    @Test func validateRunsZeroShotBiomedCLIPWithWeights() throws {
        let files = try Files()
        let toy = try ToyCorpus(perClass: ["train": 4, "val": 1, "test": 3])
        let split = try SplitSet.load(toy.splitDir)
        // One test image made unreadable (its blob overwritten): skipped and counted, never fatal.
        let broken = try #require(split.test.first)
        try FileManager.default.removeItem(atPath: toy.work.blobs.path(for: broken.sha256))
        try AtomicFile.write(Data("not an image".utf8), to: toy.work.blobs.path(for: broken.sha256))
        let out = toy.root + "/report"
        let r = try Validation.run(
            split: toy.splitDir, data: toy.work.root, out: out, recipe: try CLIPTestModel.recipe(), threads: 1,
            published: publishedPath(), biomedclip: .init(weights: files.weights, vocabulary: files.vocabulary))
        #expect(r.models.map(\.model) == [.image, .text, .fusion, .biomedclip])
        let b = try #require(r.models.first { $0.model == .biomedclip })
        #expect(b.metrics.count == split.test.count - 1 && b.skipped == 1)
        #expect(
            b.trainSeconds == 0 && b.testSecondsPerImage > 0
                && b.hyperparameters.contains("a figure showing an MRI image"))
        let rows = Dictionary(uniqueKeysWithValues: r.rows.map { ($0.id, $0) })
        let accuracy = try #require(rows["biomedclip-accuracy"])
        #expect(accuracy.reproduced == String(format: "%.2f%%", 100 * b.metrics.accuracy))
        #expect(accuracy.verdict == .notComparable, "the toy corpus is not the published dataset")
        let time = try #require(rows["biomedclip-test-time"])
        #expect(
            time.reproduced == String(format: "%.3f s/image on %@, 1 threads", b.testSecondsPerImage, Platform.hardware)
        )
        #expect(time.verdict == .notComparable && time.note.contains("hardware"))
        let claim = try #require(rows["pairdx-fusion-faster-than-biomedclip"])
        let fusion = try #require(r.models.first { $0.model == .fusion })
        #expect(claim.verdict == (fusion.testSecondsPerImage < b.testSecondsPerImage ? .reproduced : .below))
        #expect(
            claim.reproduced?.contains("BiomedCLIP") == true && claim.reproduced?.contains(Platform.hardware) == true)
        // The CLIP rows were not asked for.
        #expect(rows["clip-zero-shot-accuracy"]?.note == Validation.noWeightsNote)
        let md = try FileSystem.readString(out + "/validation.md")
        #expect(md.contains("biomedclip") && md.contains(accuracy.reproduced!))

        // The row's predictions are the model's: the same classifier over the same test items gives the same metrics.
        let setup = try BiomedCLIPClassification.Setup(weights: files.weights, vocabulary: files.vocabulary)
        let prompts = try CLIPClassification.promptTexts(recipe: try CLIPTestModel.recipe(), classes: split.classes)
        let again = BiomedCLIPClassification.evaluate(
            setup, classifier: BiomedCLIPClassification.classifier(setup, promptTexts: prompts),
            dataset: try Dataset.load(split, part: .test, work: toy.work, captions: try Dataset.loadCaptions(toy.work)),
            blobs: toy.work.blobs, classes: split.classes, threads: 1)
        #expect(again.metrics.accuracy == b.metrics.accuracy && again.metrics.count == b.metrics.count)
    }

    @Test func badFilesStopValidateBeforeTrainingAndNameTheFile() throws {
        let files = try Files()
        let toy = try ToyCorpus(perClass: ["train": 2, "val": 1, "test": 1])
        let out = toy.root + "/report"
        func message(weights: String, vocabulary: String?) throws -> String {
            do {
                _ = try Validation.run(
                    split: toy.splitDir, data: toy.work.root, out: out, recipe: try CLIPTestModel.recipe(), threads: 1,
                    published: publishedPath(), biomedclip: .init(weights: weights, vocabulary: vocabulary))
                return "no error"
            } catch { return "\(error)" }
        }
        let missing = files.dir + "/absent.safetensors"
        #expect(try message(weights: missing, vocabulary: files.vocabulary).contains(missing))
        #expect(try message(weights: files.weights, vocabulary: nil).contains("PAIRDX_BIOMEDCLIP_VOCAB"))
        #expect(try message(weights: files.weights, vocabulary: files.dir + "/no-vocab.txt").contains("no-vocab.txt"))
        // A vocabulary larger than the model's embedding table is another model's.
        let big = files.dir + "/big-vocab.txt"
        try AtomicFile.write(
            Data((["[PAD]", "[UNK]", "[CLS]", "[SEP]"] + (0..<40).map { "w\($0)" }).joined(separator: "\n").utf8),
            to: big)
        #expect(try message(weights: files.weights, vocabulary: big).contains("big-vocab.txt"))
        // A CLIP file is not BiomedCLIP: the missing tensor is named.
        let clip = files.dir + "/clip.safetensors"
        try CLIPWeights.save(CLIPModel(configuration: .tinyTest), to: clip)
        let m = try message(weights: clip, vocabulary: files.vocabulary)
        #expect(m.contains(clip) && m.contains("visual.trunk."))
        #expect(!FileSystem.exists(out + "/validation.json"), "nothing was trained or written")
    }
}
