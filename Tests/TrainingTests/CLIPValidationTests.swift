import Foundation
import Testing
import PairDxCore
@testable import Training

/// The CLIP rows of `pairdx validate` end to end: a small random CLIP written as open_clip-named safetensors, a
/// BPE merges file of CLIP's size, the toy corpus; plus configuration inference, bad files and the recipe entries.
@Suite("CLIP rows of validate") struct CLIPValidationTests {
    /// 64-wide towers (one 64-wide head each), CLIP's vocabulary so the real tokeniser's ids fit.
    static let config = CLIPConfiguration(embedDimension: 16, imageSize: 32, patchSize: 16, visionWidth: 128, visionLayers: 2,
                                          visionHeads: 2, contextLength: 16, vocabularySize: CLIPTokenizer.vocabularySize,
                                          textWidth: 64, textHeads: 1, textLayers: 1)

    /// A folder holding `clip.safetensors` (random weights, seed 3) and `merges.txt`: a merges file with CLIP's
    /// 48,894 merges (pairs of byte symbols), so the tokeniser builds CLIP's 49,408-id vocabulary without the real file.
    struct Files {
        let dir: String
        var weights: String { dir + "/clip.safetensors" }
        var merges: String { dir + "/merges.txt" }

        init() throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("pairdx-clipval-\(UUID().uuidString)").path
            try FileSystem.makeDirectory(dir)
            try CLIPWeights.save(CLIPModel(configuration: CLIPValidationTests.config, seed: 3), to: dir + "/clip.safetensors")
            var symbols: [String] = (Array(33...126) + Array(161...172) + Array(174...255)).map { String(Unicode.Scalar(UInt8($0))) }
            symbols += (0..<(256 - symbols.count)).map { String(Unicode.Scalar(UInt32(256 + $0))!) }
            var lines = ["#version: synthetic"]
            outer: for a in symbols {
                for b in symbols {
                    lines.append("\(a) \(b)")
                    if lines.count == CLIPTokenizer.vocabularySize - 512 - 2 + 1 { break outer }
                }
            }
            try AtomicFile.write(Data((lines.joined(separator: "\n") + "\n").utf8), to: dir + "/merges.txt")
        }

        func remove() { try? FileManager.default.removeItem(atPath: dir) }
    }

    /// The toy recipe with the toy corpus's three classes (each with a prompt), two templates and a CLIP entry.
    static func recipe(towers: String = "both", epochs: Int = 2) throws -> Recipe {
        var r = try toyRecipe()
        r.classes = try zip(ToyCorpus.classes, ["a CT scan", "an MRI image", "an X-ray radiograph"]).map {
            try JSONDecoder().decode(Recipe.ClassRule.self, from: Data(
                #"{"name": "\#($0)", "prompt": "\#($1)", "include": ["\#($0)"], "exclude": [], "caseSensitive": []}"#.utf8))
        }
        r.validation.promptTemplates = ["{}", "a figure showing {}"]
        var h = toyHyper(epochs: epochs, batch: 8, lr: 1e-3)
        h.resolution = 32
        h.warmupSteps = 2
        h.weightDecay = 0.1
        h.towers = towers
        r.training["clip"] = h
        try r.validate(source: "test recipe")
        return r
    }

    @Test func configurationIsInferredFromTensorShapes() throws {
        let files = try Files()
        defer { files.remove() }
        let file = try SafeTensors.read(files.weights)
        #expect(try CLIPWeights.configuration(of: file, source: files.weights) == Self.config)
        let model = try CLIPWeights.loadModel(from: files.weights)
        #expect(model.configuration == Self.config)
        let reference = CLIPModel(configuration: Self.config, seed: 3)
        #expect(Array(model.store.allValues) == Array(reference.store.allValues))
        withExtendedLifetime(reference) {}
    }

    /// open_clip's own ViT-B-32 state-dict names and shapes (the 302 entries listed by
    /// scripts/fixtures/gen_openclip_fixtures.py in the fixture's metadata) give exactly CLIP ViT-B/32.
    @Test func openCLIPViTB32ShapesGiveViTB32() throws {
        let f = try CLIPLayerTests.fixture("openclip-vitb32.safetensors")
        let listed = try #require(f.metadata["parameters"]?.data(using: .utf8))
        let rows = try #require(try JSONSerialization.jsonObject(with: listed) as? [[Any]])
        let shapes = Dictionary(uniqueKeysWithValues: rows.map { ($0[0] as! String, ($0[1] as! [Any]).map { $0 as! Int }) })
        #expect(shapes.count == 302)
        #expect(try CLIPWeights.configuration(shapes: shapes, source: "open_clip ViT-B-32") == CLIPConfiguration.vitB32)
        // Our model has exactly those names (ViT-B/32's depths at tiny widths, to stay small).
        let depths = CLIPConfiguration(embedDimension: 8, imageSize: 32, patchSize: 16, visionWidth: 8, visionLayers: 12, visionHeads: 1,
                                       contextLength: 4, vocabularySize: 10, textWidth: 8, textHeads: 1, textLayers: 12)
        #expect(Set(CLIPModel(configuration: depths).store.parameters.map(\.name)) == Set(shapes.keys))
        var withoutText = shapes
        withoutText["token_embedding.weight"] = nil
        #expect(throws: PairDxError.self) { try CLIPWeights.configuration(shapes: withoutText, source: "x") }
    }

    @Test func badWeightFilesStopValidateBeforeTrainingAndNameTheFile() throws {
        let files = try Files()
        let toy = try ToyCorpus(perClass: ["train": 2, "val": 1, "test": 1])
        defer { files.remove(); toy.remove() }
        let recipe = try Self.recipe()
        let out = toy.root + "/report"
        func message(weights: String, bpe: String?) -> String {
            do {
                _ = try Validation.run(split: toy.splitDir, data: toy.work.root, out: out, recipe: recipe, threads: 1,
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
        try SafeTensors.write(SafeTensors.File(tensors: ["fc.weight": .init(shape: [2, 2], values: [1, 2, 3, 4])]), to: other)
        let m = message(weights: other, bpe: files.merges)
        #expect(m.contains(other) && m.contains("visual."))
        #expect(message(weights: files.weights, bpe: nil).contains("PAIRDX_CLIP_BPE"))
        #expect(message(weights: files.weights, bpe: files.dir + "/no-merges.txt").contains("no-merges.txt"))
        var wrongSize = recipe
        wrongSize.training["clip"]!.resolution = 224
        let sizeMessage: String
        do {
            _ = try Validation.run(split: toy.splitDir, data: toy.work.root, out: out, recipe: wrongSize, threads: 1,
                                   published: publishedPath(), clip: .init(weights: files.weights, bpe: files.merges))
            sizeMessage = "no error"
        } catch { sizeMessage = "\(error)" }
        #expect(sizeMessage.contains(files.weights) && sizeMessage.contains("training.clip.resolution"))
        #expect(!FileSystem.exists(out + "/validation.json"), "nothing was trained or written")
    }

    @Test func validateRunsBothCLIPRowsWithWeights() throws {
        let files = try Files()
        let toy = try ToyCorpus(perClass: ["train": 6, "val": 2, "test": 3])
        defer { files.remove(); toy.remove() }
        let out = toy.root + "/report", checkpoints = toy.root + "/checkpoints"
        let r = try Validation.run(split: toy.splitDir, data: toy.work.root, out: out, recipe: try Self.recipe(), threads: 1,
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
        #expect(prompts.classes == ToyCorpus.classes && prompts.promptTexts[1] == ["an MRI image", "a figure showing an MRI image"])
        let original = try SafeTensors.read(files.weights)
        #expect(saved.tensors["visual.proj"] != original.tensors["visual.proj"], "fine-tuning changed the image tower")
        #expect(saved.tensors["text_projection"] != original.tensors["text_projection"], "both towers learn")
    }

    @Test func withoutWeightsTheCLIPRowsSayNotRunNoWeights() throws {
        let pub = try PublishedResults.load(publishedPath())
        let split = SplitSet(directory: "x", classes: ["ct"], name: "s", recipe: "r", train: [], val: [],
                             test: try splitRows(count: 1, classes: ["ct"]))
        let r = Validation.compare(published: pub, outcomes: [], split: split, recipe: try toyRecipe(), threads: 1, seconds: 0)
        for id in ["clip-zero-shot-accuracy", "pairdx-clip-accuracy", "pairdx-clip-training-time"] {
            let row = try #require(r.rows.first { $0.id == id })
            #expect(row.verdict == .notRun && row.note == "not run: no weights (--clip-weights)" && row.reproduced == nil)
        }
        #expect(r.rows.first { $0.id == "biomedclip-accuracy" }?.note == Validation.noBiomedCLIPWeightsNote)
    }

    @Test func imageTowerModeLeavesTheTextTowerAndTemperatureAlone() throws {
        let files = try Files()
        let toy = try ToyCorpus(perClass: ["train": 4, "val": 2, "test": 1])
        defer { files.remove(); toy.remove() }
        let recipe = try Self.recipe(towers: "image", epochs: 2)
        let setup = try CLIPClassification.Setup(weights: files.weights, bpe: files.merges)
        let before = Array(setup.model.store.allValues)
        let result = try CLIPClassification.fineTune(setup, hyper: recipe.training["clip"]!, split: try SplitSet.load(toy.splitDir),
                                                     work: toy.work, captions: try Dataset.loadCaptions(toy.work),
                                                     promptTexts: try Validation.promptTexts(recipe: recipe, classes: ToyCorpus.classes),
                                                     seed: 1, threads: 1)
        #expect(result.epochs.count == 2 && (1...2).contains(result.selectedEpoch) && result.stepLosses.count == 4)
        var changedVisual = false
        for entry in setup.model.store.parameters {
            let range = entry.offset..<(entry.offset + entry.count)
            let same = Array(setup.model.store.allValues[range]) == Array(before[range])
            if entry.name.hasPrefix("visual.") { changedVisual = changedVisual || !same } else { #expect(same, "\(entry.name) is frozen") }
        }
        #expect(changedVisual)
    }

    /// Fine-tuning takes the prompt templates in turn: with two templates the weights differ from training on the
    /// first alone, and a template given twice trains exactly as given once. A warm-up as long as the whole run is
    /// refused with the numbers, not a crash.
    @Test func fineTuningTakesEveryTemplateInTurn() throws {
        let files = try Files()
        let toy = try ToyCorpus(perClass: ["train": 4, "val": 0, "test": 1])
        defer { files.remove(); toy.remove() }
        let recipe = try Self.recipe(epochs: 2)
        let split = try SplitSet.load(toy.splitDir), captions = try Dataset.loadCaptions(toy.work)
        let prompts = ToyCorpus.classes.map { "a \($0) figure" }
        func tuned(_ templates: [String]) throws -> [Float] {
            let setup = try CLIPClassification.Setup(weights: files.weights, bpe: files.merges)
            let result = try CLIPClassification.fineTune(setup, hyper: recipe.training["clip"]!, split: split, work: toy.work,
                                                         captions: captions, promptTexts: CLIPClassification.promptTexts(prompts: prompts, templates: templates),
                                                         seed: 1, threads: 1)
            #expect(result.stepLosses.count >= 2, "the rotation needs at least two steps")
            return Array(setup.model.store.allValues)
        }
        let first = try tuned(["{}"])
        #expect(try tuned(["{}", "{}"]) == first)
        #expect(try tuned(["{}", "an image of {}"]) != first)
        let short = try Self.recipe(epochs: 1)  // 2 steps, warm-up 2
        let setup = try CLIPClassification.Setup(weights: files.weights, bpe: files.merges)
        #expect {
            try CLIPClassification.fineTune(setup, hyper: short.training["clip"]!, split: split, work: toy.work, captions: captions,
                                            promptTexts: [["a"], ["b"], ["c"]], seed: 1, threads: 1)
        } throws: { "\($0)".contains("warmupSteps is 2 but the run has only 2 steps") }
    }

    @Test func committedRecipesCarryCLIPSettingsAndBadOnesAreRefused() throws {
        let root = URL(fileURLWithPath: publishedPath()).deletingLastPathComponent().path
        for name in ["pairdx-synth-v1", "pairdx-v1"] {
            let r = try Recipe.load("\(root)/\(name)/recipe.json")
            let clip = try #require(r.training["clip"], "\(name) has training.clip")
            #expect(clip.optimizer == "adamw" && clip.towers == "both" && (clip.warmupSteps ?? 0) > 0 && clip.resolution == 224)
            #expect(r.validation.promptTemplates.count >= 2 && r.classes.allSatisfy { !$0.prompt.isEmpty })
        }
        var r = try Self.recipe()
        r.training["clip"]!.towers = "text"
        #expect(throws: PairDxError.self) { try r.validate(source: "x") }
        r = try Self.recipe()
        r.validation.promptTemplates = ["a photo"]
        #expect(throws: PairDxError.self) { try r.validate(source: "x") }
    }

    @Test func fusionInferenceBenchmarkReportsConsistentRates() {
        let spec = FusionInferenceBenchmark.spec(resolution: 32, tokens: 8, widthMultiplier: 0.125, width: 16, heads: 2)
        let r = FusionInferenceBenchmark.run(spec: spec, batch: 4, iterations: 3, warmup: 0)
        #expect(r.model == "fusion" && r.batch == 4 && r.iterations == 3 && r.medianBatchSeconds > 0)
        #expect(abs(r.imagesPerSecond * r.secondsPerImage - 1) < 1e-9)
        #expect(abs(r.secondsPerImage * 4 - r.medianBatchSeconds) < 1e-12)
    }
}
