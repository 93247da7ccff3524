import Foundation
import PairDxTestSupport
import Testing
import PairDxCore
import TrainingTestSupport
@testable import Training

/// CLIP as a classifier of the toy corpus: configuration inference from the weights' shapes, fine-tuning (towers,
/// templates), the recipe entries, and the fusion inference benchmark.
@Suite("CLIP classification", .scratch) struct CLIPClassificationTests {
    @Test func configurationIsInferredFromTensorShapes() throws {
        let files = try CLIPTestModel.Files()
        let file = try SafeTensors.read(files.weights)
        #expect(try CLIPWeights.configuration(of: file, source: files.weights) == CLIPTestModel.config)
        let model = try CLIPWeights.loadModel(from: files.weights)
        #expect(model.configuration == CLIPTestModel.config)
        let reference = CLIPModel(configuration: CLIPTestModel.config, seed: 3)
        #expect(Array(model.store.allValues) == Array(reference.store.allValues))
        withExtendedLifetime(reference) {}
    }

    /// open_clip's own ViT-B-32 state-dict names and shapes (the 302 entries listed by
    /// scripts/fixtures/gen_openclip_fixtures.py in the fixture's metadata) give exactly CLIP ViT-B/32.
    @Test func openCLIPViTB32ShapesGiveViTB32() throws {
        let f = try CLIPLayerTests.fixture("openclip-vitb32.safetensors")
        let listed = try #require(f.metadata["parameters"]?.data(using: .utf8))
        let rows = try #require(try JSONSerialization.jsonObject(with: listed) as? [[Any]])
        let shapes = Dictionary(
            uniqueKeysWithValues: rows.map { ($0[0] as! String, ($0[1] as! [Any]).map { $0 as! Int }) })
        #expect(shapes.count == 302)
        #expect(try CLIPWeights.configuration(shapes: shapes, source: "open_clip ViT-B-32") == CLIPConfiguration.vitB32)
        // Our model has exactly those names (ViT-B/32's depths at tiny widths, to stay small).
        let depths = CLIPConfiguration(
            embedDimension: 8, imageSize: 32, patchSize: 16, visionWidth: 8, visionLayers: 12, visionHeads: 1,
            contextLength: 4, vocabularySize: 10, textWidth: 8, textHeads: 1, textLayers: 12)
        #expect(Set(CLIPModel(configuration: depths).store.parameters.map(\.name)) == Set(shapes.keys))
        var withoutText = shapes
        withoutText["token_embedding.weight"] = nil
        #expect(throws: PairDxError.self) { try CLIPWeights.configuration(shapes: withoutText, source: "x") }
    }

    @Test func imageTowerModeLeavesTheTextTowerAndTemperatureAlone() throws {
        let files = try CLIPTestModel.Files()
        let toy = try ToyCorpus(perClass: ["train": 4, "val": 2, "test": 1])
        let recipe = try CLIPTestModel.recipe(towers: .image, epochs: 2)
        let setup = try CLIPClassification.Setup(weights: files.weights, bpe: files.merges)
        let before = Array(setup.model.store.allValues)
        let result = try CLIPClassification.fineTune(
            setup, hyper: recipe.training["clip"]!, split: try SplitSet.load(toy.splitDir),
            work: toy.work, captions: try Dataset.loadCaptions(toy.work),
            promptTexts: try CLIPClassification.promptTexts(recipe: recipe, classes: ToyCorpus.classes),
            seed: 1, threads: 1)
        #expect(result.epochs.count == 2 && (1...2).contains(result.selectedEpoch) && result.stepLosses.count == 4)
        var changedVisual = false
        for entry in setup.model.store.parameters {
            let range = entry.offset..<(entry.offset + entry.count)
            let same = Array(setup.model.store.allValues[range]) == Array(before[range])
            if entry.name.hasPrefix("visual.") {
                changedVisual = changedVisual || !same
            } else {
                #expect(same, "\(entry.name) is frozen")
            }
        }
        #expect(changedVisual)
    }

    /// Fine-tuning takes the prompt templates in turn: with two templates the weights differ from training on the
    /// first alone, and a template given twice trains exactly as given once. A warm-up as long as the whole run is
    /// refused with the numbers, not a crash.
    @Test func fineTuningTakesEveryTemplateInTurn() throws {
        let files = try CLIPTestModel.Files()
        let toy = try ToyCorpus(perClass: ["train": 4, "val": 0, "test": 1])
        let recipe = try CLIPTestModel.recipe(epochs: 2)
        let split = try SplitSet.load(toy.splitDir), captions = try Dataset.loadCaptions(toy.work)
        let prompts = ToyCorpus.classes.map { "a \($0) figure" }
        func tuned(_ templates: [String]) throws -> [Float] {
            let setup = try CLIPClassification.Setup(weights: files.weights, bpe: files.merges)
            let result = try CLIPClassification.fineTune(
                setup, hyper: recipe.training["clip"]!, split: split, work: toy.work,
                captions: captions, promptTexts: CLIPClassification.promptTexts(prompts: prompts, templates: templates),
                seed: 1, threads: 1)
            #expect(result.stepLosses.count >= 2, "the rotation needs at least two steps")
            return Array(setup.model.store.allValues)
        }
        let first = try tuned(["{}"])
        #expect(try tuned(["{}", "{}"]) == first)
        #expect(try tuned(["{}", "an image of {}"]) != first)
        let short = try CLIPTestModel.recipe(epochs: 1)  // 2 steps, warm-up 2
        let setup = try CLIPClassification.Setup(weights: files.weights, bpe: files.merges)
        #expect {
            try CLIPClassification.fineTune(
                setup, hyper: short.training["clip"]!, split: split, work: toy.work, captions: captions,
                promptTexts: [["a"], ["b"], ["c"]], seed: 1, threads: 1)
        } throws: { "\($0)".contains("warmupSteps is 2 but the run has only 2 steps") }
    }

    @Test func committedRecipesCarryCLIPSettingsAndBadOnesAreRefused() throws {
        let root = URL(fileURLWithPath: publishedPath()).deletingLastPathComponent().path
        for name in ["pairdx-synth-v1", "pairdx-v1"] {
            let r = try Recipe.load("\(root)/\(name)/recipe.json")
            let clip = try #require(r.training["clip"], "\(name) has training.clip")
            #expect(
                clip.optimizer == .adamw && clip.towers == .both && (clip.warmupSteps ?? 0) > 0
                    && clip.resolution == 224)
            #expect(r.validation.promptTemplates.count >= 2 && r.classes.allSatisfy { !$0.prompt.isEmpty })
        }
        var r = try CLIPTestModel.recipe()
        r.training["clip"]!.optimizer = .sgd
        #expect(throws: PairDxError.self) { try r.validate(source: "x") }
        // A word outside a field's set is refused as the recipe is read, naming the file, the field and the words.
        let json = String(decoding: try CanonicalJSON.encode(try CLIPTestModel.recipe()), as: UTF8.self)
        let bad = json.replacingOccurrences(of: #""towers":"both""#, with: #""towers":"text""#)
        #expect(bad != json)
        #expect { try Recipe.parse(Data(bad.utf8), source: "bad.json") } throws: {
            "\($0)".contains("bad.json") && "\($0)".contains("training.clip.towers")
                && "\($0)".contains("'both' or 'image'")
        }
        r = try CLIPTestModel.recipe()
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
