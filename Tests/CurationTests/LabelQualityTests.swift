import Foundation
import PairDxTestSupport
import PairDxCore
import Testing
@testable import Curation

/// Context rules of the recipe and the label-quality arithmetic (`pairdx label-eval`).
@Suite(.scratch) struct LabelContextTests {
    /// pairdx-v1 with one context on xray: "structure" or "diffraction" up to 2 tokens after the match.
    func labeler(before: Int = 0, after: Int = 2) throws -> Labeler {
        var r = try Fixture.recipe("pairdx-v1")
        let i = r.classes.firstIndex { $0.name == "xray" }!
        r.classes[i].contexts = [
            .init(name: "crystallography", terms: ["structure", "diffraction"], before: before, after: after)
        ]
        return Labeler(recipe: r)
    }

    @Test func contextCancelsOnlyTheMatchItSitsNear() throws {
        let l = try labeler()
        let v = l.label(caption: "Fitting of the X-ray structure within the EM density map.")
        #expect(v.class == nil)
        #expect(v.matched.contains("xray:context:crystallography"))
        #expect(l.label(caption: "X-ray powder diffraction pattern of the sample shown here.").class == nil)
        // Outside the window (3 tokens after): the match counts.
        #expect(l.label(caption: "Chest X-ray of the patient; structure of the ribs is normal.").class == "xray")
        // A second, plain match in the same caption still counts.
        #expect(l.label(caption: "Unlike the X-ray structure, the chest X-ray shows a nodule.").class == "xray")
        // pairdx-v1 itself has no contexts.
        #expect(
            Labeler(recipe: try Fixture.recipe("pairdx-v1")).label(
                caption: "Fitting of the X-ray structure within the EM density map."
            ).class == "xray")
    }

    @Test func beforeWindowAndWholeCaption() throws {
        let near = try labeler(before: 1, after: 0)
        #expect(near.label(caption: "The structure X-ray image of the left hand here.").class == nil)
        #expect(near.label(caption: "The structure of this X-ray image of the left hand.").class == "xray")
        let wide = try labeler(before: Recipe.ContextRule.wholeCaption, after: Recipe.ContextRule.wholeCaption)
        #expect(wide.label(caption: "The structure of this hand, as shown on the X-ray image here.").class == nil)
    }

    @Test func negativeWindowIsRejected() throws {
        var r = try Fixture.recipe("pairdx-v1")
        r.classes[0].contexts = [.init(name: "bad", terms: ["x"], before: -1, after: 0)]
        #expect(throws: PairDxError.self) { try r.validate(source: "recipe.json") }
        r.classes[0].contexts = [.init(name: "empty", terms: [], before: 0, after: 0)]
        #expect(throws: PairDxError.self) { try r.validate(source: "recipe.json") }
    }

    /// The false positives of pairdx-v1 that made pairdx-v2 (written out here, not read from the gold set).
    @Test(arguments: [
        ("MUSE (Medigus) endoscopic stapling device and its components.", "none"),
        ("Trocar position for the endoscopic repair on the right side of the abdomen.", "none"),
        ("Transmission electron photomicrograph of an extracellular gametocyte with distinct membranes.", "none"),
        ("Subtraction ictal SPECT coregistered to MRI during an episode in the patient.", "none"),
        ("Axial projection of the cranium obtained from a CBCT radiograph of the patient.", "ct"),
        ("Fitting of the X-ray structure within the EM density of the complex.", "none"),
        ("Endoscopic view of the upper third of the esophagus with diffuse bleeding.", "endoscopy"),
        ("Duodenal mucosa revealed marked villous atrophy (H&E, ×10) in the biopsy.", "histopathology")
    ])
    func pairdxV2OnTheReportedCases(_ caption: String, _ expected: String) throws {
        let v1 = Labeler(recipe: try Fixture.recipe("pairdx-v1")).label(caption: caption)
        let v2 = Labeler(recipe: try Fixture.recipe("pairdx-v2")).label(caption: caption)
        #expect((v2.class ?? "none") == expected, "v2 matched \(v2.matched)")
        if expected == "none" { #expect(v1.class != nil, "pairdx-v1 already left this out") }
    }

    @Test func pairdxV1IsUnchangedAndV2DiffersOnlyInLabelling() throws {
        let v1 = try Fixture.recipe("pairdx-v1"), v2 = try Fixture.recipe("pairdx-v2")
        #expect(v1.classes.allSatisfy { $0.contexts == nil })
        // Recipes without contexts encode (and so digest) exactly as before the field existed.
        #expect(!String(decoding: try CanonicalJSON.encode(v1), as: UTF8.self).contains("contexts"))
        var same = v2
        same.classes = v1.classes; same.name = v1.name; same.description = v1.description;
        same.provenance = v1.provenance
        same.excludeAll = v1.excludeAll
        #expect(same == v1, "pairdx-v2 changes only the class rules, excludeAll, name, description and provenance")
        #expect(Set(v1.excludeAll).isSubset(of: Set(v2.excludeAll)))
        #expect(v2.provenance["labels"]?.contains("gold") == true)
    }
}

@Suite(.scratch) struct LabelQualityTests {
    @Test func wilsonIntervals() {
        // Reference values: Wilson score interval, z = 1.96 (Newcombe 1998, table I: 81/263 → 0.2553–0.3662).
        #expect(LabelQuality.wilson(81, 263) == [0.2553, 0.3662])
        #expect(LabelQuality.wilson(10, 10)![0] == 0.7225)
        #expect(LabelQuality.wilson(10, 10)![1] == 1)
        #expect(LabelQuality.wilson(0, 0) == nil)
    }

    func item(_ id: String, _ label: String, _ half: GoldHalf = .dev) -> GoldItem {
        GoldItem(
            id: id, source: "roco-captions/test/radiology", stratum: "t", label: label, half: half,
            guidelines: "pairdx-labelling/1")
    }

    @Test func precisionRecallAndConfusion() throws {
        let r = try Fixture.recipe("pairdx-v1")
        let gold = [
            GoldCaption(item: item("a", "ct"), caption: "Axial CT of the chest shows a nodule."),
            GoldCaption(item: item("b", "ct", .holdout), caption: "Axial image of the chest shows a nodule."),
            GoldCaption(item: item("c", "none"), caption: "Fitting of the X-ray structure within the EM density map."),
            GoldCaption(item: item("d", "xray", .holdout), caption: "Chest X-ray shows a nodule in the left lung."),
            GoldCaption(item: item("e", "none"), caption: "Photograph of the patient's hand before the operation.")
        ]
        let rep = LabelQuality.evaluate(gold, recipe: r, goldName: "g.jsonl", unresolved: [])
        let ct = rep.overall.perClass.first { $0.class == "ct" }!
        #expect(ct.gold == 2 && ct.predicted == 1 && ct.truePositives == 1 && ct.precision == 1 && ct.recall == 0.5)
        let xr = rep.overall.perClass.first { $0.class == "xray" }!
        #expect(xr.predicted == 2 && xr.precision == 0.5 && xr.recall == 1)
        let mri = rep.overall.perClass.first { $0.class == "mri" }!
        #expect(mri.precision == nil && mri.recall == nil)
        let none = rep.labels.firstIndex(of: "none")!, xi = rep.labels.firstIndex(of: "xray")!,
            ci = rep.labels.firstIndex(of: "ct")!
        #expect(
            rep.overall.confusion[none][xi] == 1 && rep.overall.confusion[ci][none] == 1
                && rep.overall.confusion[none][none] == 1)
        #expect(rep.overall.accuracy == 0.6)
        #expect(rep.halves["dev"]?.items == 3 && rep.halves["holdout"]?.items == 2)
        #expect(rep.disagreements.map(\.id) == ["b", "c"])
        #expect(rep.classes(belowPrecision: 0.97) == ["mri", "xray", "ultrasound", "histopathology", "endoscopy"])
        #expect(LabelQuality.render(rep).contains("xray"))
    }

    @Test func goldLabelsMustBeClassesOfTheRecipe() throws {
        let dir = try Scratch.directory("gold")
        let good = try CanonicalJSON.string(item("ROCO_1", "ct")), bad = try CanonicalJSON.string(item("ROCO_2", "pet"))
        try AtomicFile.write(good + "\n" + bad + "\n", to: dir + "/g.jsonl")
        #expect {
            _ = try LabelQuality.readGold(
                dir + "/g.jsonl", classes: try Fixture.recipe("pairdx-v1").classes.map(\.name))
        } throws: { e in
            let m = (e as? PairDxError)?.message ?? ""
            return m.contains("item 2") && m.contains("ROCO_2") && m.contains("'pet'")
        }
    }
}
