import Foundation
import PairDxCore
import PairDxTestSupport
import Testing
@testable import Curation

@Suite struct LabelerTests {
    let labeler: Labeler
    init() throws { labeler = Labeler(recipe: try Fixture.recipe("pairdx-v1")) }

    func cls(_ caption: String) -> String? { labeler.label(caption: caption).class }

    @Test func wordBoundariesAndCase() {
        #expect(cls("Axial CT of the chest shows a nodule.") == "ct")
        #expect(cls("The octet rule and distinct findings were noted here.") == nil)
        #expect(cls("OCT shows the absence of the inner segment junction line.") == nil)
        #expect(cls("optical coherence tomography of the macula in case one") == nil)
        #expect(cls("a ct value that was recorded in lower case text") == nil)
        #expect(cls("Contrast-enhanced CT of the abdomen shows a mass.") == "ct")
        #expect(cls("CT angiography showing an enlarged main pulmonary artery") == "ct")
    }

    @Test(arguments: [
        "Panoramic X ray taken four years later.", "The chest X-ray showed mild increase.",
        "An xray of the left hand in a child.", "Lateral radiograph of the knee joint."
    ])
    func xrayVariants(_ caption: String) { #expect(cls(caption) == "xray") }

    @Test func hyphenAwareTerms() {
        #expect(cls("Sagittal T2-weighted image shows an isointense schwannoma.") == "mri")
        #expect(cls("Sagittal T2 weighted image shows an isointense schwannoma.") == "mri")
        #expect(cls("Coronal t2-weighted fat-saturated image of the knee joint.") == "mri")
    }

    @Test func excludeTermsMaskOnlyTheirOwnMatch() {
        let v = labeler.label(caption: "CT-guided biopsy specimen stained with H&E shows granulomas.")
        #expect(v.class == "histopathology")
        #expect(v.matched.contains("histopathology:H&E"))
        #expect(
            labeler.label(caption: "CT-guided biopsy was done; a later CT shows resolution of the mass.").class == "ct")
    }

    @Test func ambiguousExcludedShortAndUnmatched() {
        let amb = labeler.label(caption: "CT and MRI of the brain show a ring-enhancing lesion.")
        #expect(amb.reason == "ambiguous")
        #expect(amb.classes == ["ct", "mri"])
        #expect(
            labeler.label(caption: "Schematic diagram of the CT acquisition protocol used here.").reason == "excluded")
        #expect(labeler.label(caption: "CT scan.").reason == "caption-too-short")
        #expect(
            labeler.label(caption: "Photograph of the patient's hand before the operation.").reason == "no-rule-matched"
        )
    }

    /// Real PMC captions (ROCO): known captions get the class a reader would give, and about a third of the
    /// radiology captions name no modality, as the data's own README says.
    static let rocoCaptions = Prerequisite.path(
        "../shared/data/roco-captions/test/radiology/captions.txt", what: "ROCO radiology captions")

    @Test(rocoCaptions.trait) func realRocoCaptions() throws {
        let path = try Self.rocoCaptions.require()
        var byID: [String: String] = [:]
        for line in try FileSystem.readString(path).split(separator: "\n") {
            let parts = line.split(separator: "\t", maxSplits: 1)
            if parts.count == 2 { byID[String(parts[0])] = String(parts[1]) }
        }
        #expect(byID.count > 8000)
        #expect(cls(byID["ROCO_00428"]!) == "mri")  // T2-weighted MR
        #expect(cls(byID["ROCO_00176"]!) == "xray")  // Panoramic X ray
        #expect(cls(byID["ROCO_00454"]!) == "xray")  // chest X-ray
        #expect(cls(byID["ROCO_05441"]!) == "ct")  // CT angiography
        #expect(cls(byID["ROCO_00006"]!) == "ct")  // computed tomography
        var reasons: [String: Int] = [:]
        var labelled = 0
        for c in byID.values {
            let v = labeler.label(caption: c)
            if v.class != nil { labelled += 1 } else { reasons[v.reason!, default: 0] += 1 }
        }
        let unmatched = Double(reasons["no-rule-matched", default: 0]) / Double(byID.count)
        #expect(unmatched > 0.15 && unmatched < 0.5, "share with no modality word: \(unmatched)")
        #expect(Double(labelled) / Double(byID.count) > 0.45)
    }
}
