import Foundation
import Testing
import PairDxCore
@testable import Training

/// The recipe the tests use: the synthetic-corpus recipe's shape with tiny models.
func toyRecipe(sources: String = "embedded") throws -> Recipe {
    let hyper = try String(data: JSONEncoder().encode(toyHyper(epochs: 4, lr: 1e-2)), encoding: .utf8)!
    let json = """
    {"schema": "pairdx-recipe/1", "name": "toy", "description": "test", "provenance": {},
     "sources": [{"kind": "\(sources)"}],
     "classes": [{"name": "ct", "prompt": "a CT scan", "include": ["ct"], "exclude": [], "caseSensitive": []}],
     "excludeAll": [], "minImageSide": 8, "minCaptionWords": 1, "dedupe": {"radius": 4, "hash": "phash"},
     "balance": {"policy": "equalize"}, "split": {"train": 0.6, "val": 0.2, "test": 0.2, "mode": "balanced", "grouping": ["article"]},
     "seed": 7, "training": {"image": \(hyper), "text": \(hyper), "fusion": \(hyper)},
     "validation": {"tolerancePoints": 2.0, "promptTemplates": ["{}"]}}
    """
    return try JSONDecoder().decode(Recipe.self, from: Data(json.utf8))
}

func publishedPath() -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Manifests/published-results.json").path
}

@Suite("Validation against the published figures") struct ModelsValidationTests {
    @Test func publishedResultsHoldEveryFigureOfTheAbstract() throws {
        let p = try PublishedResults.load(publishedPath())
        #expect(p.source.doi == "10.3390/s25247596")
        let values = Dictionary(uniqueKeysWithValues: p.figures.map { ($0.id, $0.value) })
        #expect(values["dataset-pairs"] == .number(22665) && values["dataset-classes"] == .number(6))
        #expect(values["clip-zero-shot-accuracy"] == .number(61.18) && values["biomedclip-accuracy"] == .number(66.3))
        #expect(values["biomedclip-test-time"] == .number(0.387) && values["pairdx-clip-accuracy"] == .number(93))
        #expect(values["pairdx-clip-training-time"] == .number(65 * 60 + 52))
        #expect(values["pairdx-fusion-accuracy"] == .number(94) && values["pairdx-fusion-training-time"] == .number(17 * 60 + 55))
        #expect(values["pairdx-fusion-faster-than-biomedclip"] == .claim(true))
    }

    @Test func validateOnAToyCorpusWritesAllReportsWithVerdicts() throws {
        let toy = try ToyCorpus()
        defer { toy.remove() }
        let out = toy.root + "/report"
        let r = try Validation.run(split: toy.splitDir, data: toy.work.root, out: out, recipe: try toyRecipe(), threads: 1,
                                   published: publishedPath())
        for ext in ["json", "md", "html"] { #expect(FileSystem.exists("\(out)/validation.\(ext)")) }
        #expect(r.models.map(\.model) == [.image, .text, .fusion])
        #expect(!r.comparable)
        let verdict = Dictionary(uniqueKeysWithValues: r.rows.map { ($0.id, $0.verdict) })
        #expect(verdict["pairdx-fusion-accuracy"] == .notComparable)
        #expect(verdict["pairdx-clip-accuracy"] == .notRun && verdict["clip-zero-shot-accuracy"] == .notRun)
        #expect(verdict["biomedclip-accuracy"] == .notRun && verdict["pairdx-fusion-faster-than-biomedclip"] == .notRun)
        #expect(verdict["dataset-pairs"] == .notComparable && verdict["dataset-balanced"] == .reproduced)
        #expect(verdict["dataset-classes"] == .below, "3 toy classes vs 6 published")
        #expect(r.rows.allSatisfy { !$0.note.isEmpty })
        let md = try FileSystem.readString(out + "/validation.md")
        #expect(md.contains("not run") && md.contains("10.3390/s25247596") && md.contains("Gate"))
        let back = try JSONDecoder().decode(ValidationReport.self, from: FileSystem.read(out + "/validation.json"))
        #expect(back.gate.passed == r.gate.passed && back.rows.count == 11)
    }

    @Test func verdictsFollowTheToleranceOnAComparableSplitAndTheGateIsStrict() throws {
        let pub = try PublishedResults.load(publishedPath())
        let classes = ["ct", "mri", "xray", "ultrasound", "histopathology", "endoscopy"]
        let rows = try splitRows(count: 22_665, classes: classes)
        let split = SplitSet(directory: "x", classes: classes, name: "real", recipe: "r",
                               train: Array(rows[0..<15_865]), val: Array(rows[15_865..<18_132]), test: Array(rows[18_132...]))
        let recipe = try toyRecipe(sources: "pmc-cloud")
        func outcome(_ k: ValidatedModel, _ acc: Double) -> ModelOutcome {
            let n = 1000, right = Int(acc * Double(n))
            let m = Metrics(predictions: (0..<n).map { $0 < right ? 0 : 1 }, labels: Array(repeating: 0, count: n), classes: ["a", "b"])
            return ModelOutcome(model: k, metrics: m, trainSeconds: 60, testSecondsPerImage: 0.01, parameters: 1, epochs: [],
                                embeddings: nil, oovShare: nil, hyperparameters: "", skipped: 0)
        }
        func fusionVerdict(_ acc: Double) -> Verdict {
            Validation.compare(published: pub, outcomes: [outcome(.image, 0.5), outcome(.text, 0.5), outcome(.fusion, acc)],
                               split: split, recipe: recipe, threads: 2, seconds: 1).rows.first { $0.id == "pairdx-fusion-accuracy" }!.verdict
        }
        #expect(fusionVerdict(0.94) == .reproduced)
        #expect(fusionVerdict(0.925) == .reproduced)
        #expect(fusionVerdict(0.91) == .below)
        #expect(fusionVerdict(0.97) == .above)
        let r = Validation.compare(published: pub, outcomes: [outcome(.image, 0.8), outcome(.text, 0.9), outcome(.fusion, 0.9)],
                                   split: split, recipe: recipe, threads: 2, seconds: 1)
        #expect(r.comparable && !r.gate.passed, "a tie with a baseline does not pass")
        #expect(r.rows.first { $0.id == "dataset-pairs" }!.verdict == .reproduced)
        #expect(r.rows.first { $0.id == "pairdx-fusion-training-time" }!.verdict == .notComparable)
        #expect(Validation.compare(published: pub, outcomes: [outcome(.image, 0.8), outcome(.text, 0.85), outcome(.fusion, 0.9)],
                                   split: split, recipe: recipe, threads: 2, seconds: 1).gate.passed)
    }
}
