import Curation
import Foundation
import PairDxTestSupport
import PairDxCore
import Pipeline
import Testing

/// The gold set against the committed recipes: pairdx-v2 must keep ≥ 97% precision in every class; the committed
/// label-quality file must be what `pairdx label-eval` gives today.
@Suite(.scratch) struct LabelEvaluationTests {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()
    static let data = root + "/../shared/data"
    static let gold = root + "/Tests/CurationTests/Fixtures/gold/gold-v1.jsonl"
    static let haveData = FileSystem.exists(data + "/roco-captions") && FileSystem.exists(data + "/jats")

    static func report(_ recipe: String) throws -> LabelQuality.Report {
        try LabelEvaluation.run(
            gold: gold, data: data, recipe: try Recipe.load(root + "/Manifests/\(recipe)/recipe.json"))
    }

    @Test(
        .enabled(
            if: haveData, "../shared/data (ROCO captions, JATS articles) is absent: the gold captions cannot be read"))
    func pairdxV2PrecisionAtLeast97PercentPerClass() throws {
        let r = try Self.report("pairdx-v2")
        #expect(r.unresolved.isEmpty, "\(r.unresolved.prefix(3))")
        #expect(r.items >= 600)
        for c in r.overall.perClass {
            print(
                "pairdx-v2 \(c.class): precision \(c.precision.map { String($0) } ?? "–") (\(c.truePositives)/\(c.predicted)), recall \(c.recall.map { String($0) } ?? "–") (\(c.truePositives)/\(c.gold))"
            )
            #expect(c.gold >= 30, "\(c.class): too few gold positives to measure")
        }
        #expect(r.classes(belowPrecision: 0.97).isEmpty, "below 97% precision: \(r.classes(belowPrecision: 0.97))")
        // Precision is not bought by labelling nothing.
        for c in r.overall.perClass { #expect((c.recall ?? 0) >= 0.7, "\(c.class) recall \(c.recall ?? 0)") }
    }

    @Test(
        .enabled(
            if: haveData, "../shared/data (ROCO captions, JATS articles) is absent: the gold captions cannot be read"))
    func pairdxV1FallsShortOnTheSameGate() throws {
        let below = try Self.report("pairdx-v1").classes(belowPrecision: 0.97)
        #expect(below.contains("endoscopy") && below.contains("histopathology"), "\(below)")
    }

    @Test(
        .enabled(
            if: haveData, "../shared/data (ROCO captions, JATS articles) is absent: the gold captions cannot be read"))
    func committedLabelQualityIsCurrent() throws {
        let committed = try FileSystem.read(Self.root + "/Manifests/pairdx-v2/label-quality.json")
        #expect(
            committed == (try CanonicalJSON.encode(try Self.report("pairdx-v2"), pretty: true)),
            "regenerate: pairdx label-eval --recipe pairdx-v2 --out Manifests/pairdx-v2/label-quality.json")
    }

    @Test func missingCaptionsAreCountedNotFatal() throws {
        let dir = try Scratch.directory("gold")
        try FileSystem.makeDirectory(dir + "/roco-captions/test/radiology")
        try AtomicFile.write(
            "ROCO_1\tAxial CT of the chest shows a nodule.\n", to: dir + "/roco-captions/test/radiology/captions.txt")
        func item(_ id: String, _ source: String) -> GoldItem {
            GoldItem(id: id, source: source, stratum: "t", label: "ct", half: .dev, guidelines: "pairdx-labelling/1")
        }
        let (found, missing) = LabelEvaluation.captions(
            for: [
                item("ROCO_1", "roco-captions/test/radiology"),
                item("ROCO_2", "roco-captions/test/radiology"),
                item("x#F1", "jats/absent.nxml")
            ], data: dir)
        #expect(found.map(\.caption) == ["Axial CT of the chest shows a nodule."])
        #expect(missing.map(\.id) == ["ROCO_2", "x#F1"])
        #expect(missing[0].reason.contains("no item"))
        #expect(missing[1].reason.contains("absent.nxml"))
    }
}
