import Foundation
import PairDxTestSupport
import PairDxCore
import Testing
@testable import Curation

/// The audit states the recipe's measured label precision when `label-quality.json` sits beside the recipe.
@Suite(.scratch) struct AuditLabelQualityTests {
    func report(_ recipe: Recipe) -> LabelQuality.Report {
        let item = GoldItem(
            id: "a", source: "roco-captions/test/radiology", stratum: "t", label: "ct", half: .dev,
            guidelines: "pairdx-labelling/1")
        return LabelQuality.evaluate(
            [GoldCaption(item: item, caption: "Axial CT of the chest shows a nodule.")], recipe: recipe,
            goldName: "gold-v1.jsonl", unresolved: [])
    }

    @Test func loadedWhenCurrentProblemWhenStale() throws {
        let dir = try Scratch.directory("lq")
        let v2 = try Fixture.recipe("pairdx-v2")
        try AtomicFile.write(try CanonicalJSON.encode(report(v2), pretty: true), to: dir + "/label-quality.json")
        var problems: [String] = []
        #expect(AuditLoader.loadLabelQuality(manifest: dir, recipe: v2, problems: &problems)?.recipe == "pairdx-v2")
        #expect(problems.isEmpty)
        var changed = v2
        changed.classes[0].include.append("computerised axial tomography")
        #expect(AuditLoader.loadLabelQuality(manifest: dir, recipe: changed, problems: &problems) == nil)
        #expect(problems.count == 1 && problems[0].contains("another version"))
        #expect(AuditLoader.loadLabelQuality(manifest: dir + "/absent", recipe: v2, problems: &problems) == nil)
        #expect(problems.count == 1)
    }

    @Test func datasheetAndReportStateThePrecision() throws {
        let v2 = try Fixture.recipe("pairdx-v2")
        var inputs = AuditInputs(name: "x", recipe: v2, items: [:])
        let plain = AuditBuilder.build(inputs)
        #expect(plain.labelQuality == nil)
        #expect(
            DatasheetRenderer.render(plain, recipeDescription: "", sources: []).contains(
                "Label precision: not measured"))
        inputs.labelQuality = report(v2)
        let r = AuditBuilder.build(inputs)
        #expect(r.labelQuality?.items == 1)
        let sheet = DatasheetRenderer.render(r, recipeDescription: "", sources: [])
        #expect(
            sheet.contains("Label precision, measured on the hand-labelled gold set `gold-v1.jsonl` (1 real captions"))
        #expect(sheet.contains("ct 100.0% [20.6–100.0] (recall 100.0%)"))
        #expect(MarkdownRenderer.render(r).contains("## Label precision"))
        #expect(HTMLRenderer.render(r, thumbnails: [:]).contains("Label precision (gold set)"))
    }

    @Test func labelRulesCountTheContextsThatCancelledAMatch() throws {
        let v2 = try Fixture.recipe("pairdx-v2")
        let v = Labeler(recipe: v2).label(caption: "Powder diffraction by X-ray of the sample at room temperature.")
        let rules = ContentSections.labelRules(
            [LabelRecord(id: "a", class: v.class, reason: v.reason, matched: v.matched)], recipe: v2)
        let hits = rules.rules.filter { $0.kind == "context" && $0.matches > 0 }
        #expect(hits.count == 1 && hits.first?.class == "xray", "\(v.matched)")
        #expect(!rules.rules.contains { $0.kind == "include" && $0.term.hasPrefix("context:") })
    }
}
