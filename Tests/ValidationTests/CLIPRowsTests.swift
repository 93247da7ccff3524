import Curation
import Foundation
import PairDxTestSupport
import PairDxCore
import Testing
import Training
import TrainingTestSupport
@testable import Validation

/// The CLIP rows of `pairdx validate` end to end: a small random CLIP written as open_clip-named safetensors, a BPE
/// merges file of CLIP's size, the toy corpus; bad files stop the run before training and name the file.
@Suite("CLIP rows of validate", .scratch) struct CLIPRowsTests {
    @Test func badWeightFilesStopValidateBeforeTrainingAndNameTheFile() throws {
        let files = try CLIPTestModel.Files()
        let toy = try ToyCorpus(perClass: ["train": 2, "val": 1, "test": 1])
        let recipe = try CLIPTestModel.recipe()
        let out = toy.root + "/report"
        func message(weights: String, bpe: String?) -> String {
            do {
                _ = try Validation.run(
                    split: toy.splitDir, data: toy.work.root, out: out, recipe: recipe, threads: 1,
                    published: publishedPath(), clip: .init(weights: weights, bpe: bpe))
                return "no error"
            } catch { return "\(error)" }
        }
        let missing = files.dir + "/absent.safetensors"
        #expect(message(weights: missing, bpe: files.merges).contains(missing))
        let garbage = files.dir + "/garbage.safetensors"
        try AtomicFile.write(Data("not safetensors at all".utf8), to: garbage)
        #expect(message(weights: garbage, bpe: files.merges).contains(garbage))
        // A safetensors file without CLIP's tensors (a ResNet, say) is named with the tensor it lacks.
        let other = files.dir + "/other.safetensors"
        try SafeTensors.write(
            SafeTensors.File(tensors: ["fc.weight": .init(shape: [2, 2], values: [1, 2, 3, 4])]), to: other)
        let m = message(weights: other, bpe: files.merges)
        #expect(m.contains(other) && m.contains("visual."))
        #expect(message(weights: files.weights, bpe: nil).contains("PAIRDX_CLIP_BPE"))
        #expect(message(weights: files.weights, bpe: files.dir + "/no-merges.txt").contains("no-merges.txt"))
        var wrongSize = recipe
        wrongSize.training["clip"]!.resolution = 224
        let sizeMessage: String
        do {
            _ = try Validation.run(
                split: toy.splitDir, data: toy.work.root, out: out, recipe: wrongSize, threads: 1,
                published: publishedPath(), clip: .init(weights: files.weights, bpe: files.merges))
            sizeMessage = "no error"
        } catch { sizeMessage = "\(error)" }
        #expect(sizeMessage.contains(files.weights) && sizeMessage.contains("training.clip.resolution"))
        #expect(!FileSystem.exists(out + "/validation.json"), "nothing was trained or written")
    }

    @Test func validateRunsBothCLIPRowsWithWeights() throws {
        let files = try CLIPTestModel.Files()
        let toy = try ToyCorpus(perClass: ["train": 6, "val": 2, "test": 3])
        let out = toy.root + "/report", checkpoints = toy.root + "/checkpoints"
        let r = try Validation.run(
            split: toy.splitDir, data: toy.work.root, out: out, recipe: try CLIPTestModel.recipe(), threads: 1,
            published: publishedPath(), checkpoints: checkpoints,
            clip: .init(weights: files.weights, bpe: files.merges))
        #expect(r.models.map(\.model) == [.image, .text, .fusion, .clipZeroShot, .clip])
        let rows = Dictionary(uniqueKeysWithValues: r.rows.map { ($0.id, $0) })
        for id in ["clip-zero-shot-accuracy", "pairdx-clip-accuracy", "pairdx-clip-training-time"] {
            let row = try #require(rows[id])
            #expect(row.reproduced != nil, "\(id) has a reproduced value")
            #expect(row.verdict == .notComparable, "the toy corpus is not the published dataset: \(id)")
            #expect(!row.note.contains("not run"))
        }
        #expect(rows["biomedclip-accuracy"]?.verdict == .notRun)
        let zero = try #require(r.models.first { $0.model == .clipZeroShot })
        let tuned = try #require(r.models.first { $0.model == .clip })
        #expect(zero.metrics.count == 9 && tuned.metrics.count == 9, "every test image scored")
        #expect(rows["clip-zero-shot-accuracy"]?.reproduced == String(format: "%.2f%%", 100 * zero.metrics.accuracy))
        #expect(rows["pairdx-clip-accuracy"]?.reproduced == String(format: "%.2f%%", 100 * tuned.metrics.accuracy))
        #expect(zero.trainSeconds == 0 && tuned.trainSeconds > 0 && tuned.epochs.count == 2)
        #expect(tuned.epochs.allSatisfy { $0.valAccuracy != nil && $0.meanLoss.isFinite })
        #expect(zero.hyperparameters.contains("a figure showing an MRI image"))
        let md = try FileSystem.readString(out + "/validation.md")
        #expect(md.contains("clip-zero-shot") && md.contains("clip-fine-tuned"))
        // The fine-tuned checkpoint holds changed weights and the prompts to classify with.
        let saved = try SafeTensors.read(checkpoints + "/toy-clip.safetensors")
        let prompts = try #require(CLIPClassification.checkpointPrompts(saved.metadata))
        #expect(
            prompts.classes == ToyCorpus.classes
                && prompts.promptTexts[1] == ["an MRI image", "a figure showing an MRI image"])
        let original = try SafeTensors.read(files.weights)
        #expect(saved.tensors["visual.proj"] != original.tensors["visual.proj"], "fine-tuning changed the image tower")
        #expect(saved.tensors["text_projection"] != original.tensors["text_projection"], "both towers learn")
    }
}
