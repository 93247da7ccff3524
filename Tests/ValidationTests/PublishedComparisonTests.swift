import Curation
import Foundation
import PairDxTestSupport
import PairDxCore
import Testing
import Training
import TrainingTestSupport
@testable import Validation

@Suite("Validation against the published figures", .scratch) struct PublishedComparisonTests {
    @Test func publishedResultsHoldEveryFigureOfTheAbstract() throws {
        let p = try PublishedResults.load(publishedPath())
        #expect(p.source.doi == "10.3390/s25247596")
        let values = Dictionary(uniqueKeysWithValues: p.figures.map { ($0.id, $0.value) })
        #expect(values["dataset-pairs"] == .number(22665) && values["dataset-classes"] == .number(6))
        #expect(values["clip-zero-shot-accuracy"] == .number(61.18) && values["biomedclip-accuracy"] == .number(66.3))
        #expect(values["biomedclip-test-time"] == .number(0.387) && values["pairdx-clip-accuracy"] == .number(93))
        #expect(values["pairdx-clip-training-time"] == .number(65 * 60 + 52))
        #expect(
            values["pairdx-fusion-accuracy"] == .number(94)
                && values["pairdx-fusion-training-time"] == .number(17 * 60 + 55))
        #expect(values["pairdx-fusion-faster-than-biomedclip"] == .claim(true))
    }

    @Test func validateOnAToyCorpusWritesAllReportsWithVerdicts() throws {
        let toy = try ToyCorpus()
        let out = toy.root + "/report"
        let r = try Validation.run(
            split: toy.splitDir, data: toy.work.root, out: out, recipe: try toyRecipe(), threads: 1,
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
        let split = SplitSet(
            directory: "x", classes: classes, name: "real", recipe: "r",
            train: Array(rows[0..<15_865]), val: Array(rows[15_865..<18_132]), test: Array(rows[18_132...]))
        let recipe = try toyRecipe(sources: "pmc-cloud")
        func outcome(_ k: ValidatedModel, _ acc: Double) -> ModelOutcome {
            let n = 1000, right = Int(acc * Double(n))
            let m = Metrics(
                predictions: (0..<n).map { $0 < right ? 0 : 1 }, labels: Array(repeating: 0, count: n),
                classes: ["a", "b"])
            return ModelOutcome(
                model: k, metrics: m, trainSeconds: 60, testSecondsPerImage: 0.01, parameters: 1, epochs: [],
                embeddings: nil, oovShare: nil, hyperparameters: "", skipped: 0)
        }
        func fusionVerdict(_ acc: Double) -> Verdict {
            Validation.compare(
                published: pub, outcomes: [outcome(.image, 0.5), outcome(.text, 0.5), outcome(.fusion, acc)],
                split: split, recipe: recipe, threads: 2, seconds: 1
            ).rows.first { $0.id == "pairdx-fusion-accuracy" }!.verdict
        }
        #expect(fusionVerdict(0.94) == .reproduced)
        #expect(fusionVerdict(0.925) == .reproduced)
        #expect(fusionVerdict(0.91) == .below)
        #expect(fusionVerdict(0.97) == .above)
        let r = Validation.compare(
            published: pub, outcomes: [outcome(.image, 0.8), outcome(.text, 0.9), outcome(.fusion, 0.9)],
            split: split, recipe: recipe, threads: 2, seconds: 1)
        #expect(r.comparable && !r.gate.passed, "a tie with a baseline does not pass")
        #expect(r.rows.first { $0.id == "dataset-pairs" }!.verdict == .reproduced)
        #expect(r.rows.first { $0.id == "pairdx-fusion-training-time" }!.verdict == .notComparable)
        #expect(
            Validation.compare(
                published: pub, outcomes: [outcome(.image, 0.8), outcome(.text, 0.85), outcome(.fusion, 0.9)],
                split: split, recipe: recipe, threads: 2, seconds: 1
            ).gate.passed)
    }

    /// Without weights the CLIP and BiomedCLIP rows say so, with the option that would run them.
    @Test func withoutWeightsTheCLIPAndBiomedCLIPRowsSayNotRun() throws {
        let split = SplitSet(
            directory: "x", classes: ["ct"], name: "s", recipe: "r", train: [], val: [],
            test: try splitRows(count: 1, classes: ["ct"]))
        let r = Validation.compare(
            published: try PublishedResults.load(publishedPath()), outcomes: [], split: split,
            recipe: try toyRecipe(), threads: 1, seconds: 0)
        let notes = [
            "clip-zero-shot-accuracy": Validation.noWeightsNote, "pairdx-clip-accuracy": Validation.noWeightsNote,
            "pairdx-clip-training-time": Validation.noWeightsNote,
            "biomedclip-accuracy": Validation.noBiomedCLIPWeightsNote,
            "biomedclip-test-time": Validation.noBiomedCLIPWeightsNote,
            "pairdx-fusion-faster-than-biomedclip": Validation.noBiomedCLIPWeightsNote
        ]
        for (id, note) in notes {
            let row = try #require(r.rows.first { $0.id == id })
            #expect(row.verdict == .notRun && row.note == note && row.reproduced == nil, "\(id)")
        }
        #expect(Validation.noWeightsNote == "not run: no weights (--clip-weights)")
        #expect(Validation.noBiomedCLIPWeightsNote == "not run: no weights (--biomedclip-weights)")
    }
}
