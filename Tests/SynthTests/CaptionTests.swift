import Foundation
import Testing
import PairDxCore
@testable import Synth

@Suite struct CaptionTests {
    /// Captions in the written JATS are of the kind the truth records, under the class-term rules.
    @Test func writtenCaptionsMatchTheirRecordedKind() throws {
        let c = try Corpora.seed11.get()
        var checked = 0
        for pmcid in Set(c.truth.figures.map { ItemID.article(of: $0.id) })
        where !c.truth.hazards.externalEntity.contains(pmcid) {
            let folder = c.folder(pmcid), name = (folder as NSString).lastPathComponent
            let collector = try #require(CaptionCollector.parse(try FileSystem.read("\(folder)/\(name).xml")).0)
            for f in c.truth.figures where ItemID.article(of: f.id) == pmcid {
                let fig = try #require(collector.figs[String(f.id.split(separator: "/")[1])])
                let kind = try #require(CaptionKind(rawValue: f.captionKind))
                let truth = try #require(SynthClass(rawValue: f.class))
                let caption = Caption(
                    title: fig.title.isEmpty ? nil : Markup.escape(fig.title), paragraph: Markup.escape(fig.paragraph))
                #expect(
                    CaptionWriter.check(caption, kind: kind, truth: truth),
                    "\(f.id) [\(f.captionKind), \(f.class)]: \(caption.plain)")
                checked += 1
            }
        }
        #expect(checked > 40)
    }

    /// At scale the kinds, hard share and classes come out in the proportions the corpus promises.
    @Test func planProportions() {
        let plan = CorpusPlan.make(seed: 5, figureCount: 3000)
        #expect(plan.figures.count == 3000)
        let n = Double(plan.figures.count)
        func share(_ k: CaptionKind) -> Double { Double(plan.figures.filter { $0.kind == k }.count) / n }
        #expect(abs(share(.clear) - 0.52) < 0.04)
        #expect(abs(share(.late) - 0.20) < 0.03)
        #expect(abs(share(.none) - 0.10) < 0.025)
        #expect(abs(share(.two) - 0.08) < 0.02)
        #expect(abs(share(.misleading) - 0.05) < 0.02)
        #expect(abs(share(.excluded) - 0.05) < 0.02)
        let hard = Double(plan.figures.filter { !$0.hard.isEmpty }.count) / n
        #expect(abs(hard - 0.2) < 0.03)
        for cls in SynthClass.allCases {
            let s = Double(plan.figures.filter { $0.cls == cls }.count) / n
            #expect(abs(s - 1.0 / 6) < 0.03, "\(cls) share \(s)")
        }
        #expect(abs(Double(plan.articles.count) - n / 4) <= 1)
    }

    /// Every caption of a large plan satisfies its kind; late ones hide the class past word 24.
    @Test func everyPlannedCaptionHoldsItsKind() {
        let plan = CorpusPlan.make(seed: 9, figureCount: 1500)
        var lateSeen = 0
        for a in plan.articles {
            for e in a.elements {
                var pairs: [(Caption, FigurePlan)] = []
                switch e {
                case .fig(_, _, let items, let cap): pairs = items.map { (cap, plan.figures[$0]) }
                case .group(_, _, let gcap, let children):
                    #expect(ClassTerms.classes(in: gcap.plain).isEmpty)
                    pairs = children.map { ($0.caption, plan.figures[$0.item]) }
                }
                for (cap, f) in pairs {
                    #expect(CaptionWriter.check(cap, kind: f.kind, truth: f.cls), "\(f.id): \(cap.plain)")
                    let words = Markup.words(cap.plain)
                    #expect((10...80).contains(words.count))
                    if f.kind == .late {
                        lateSeen += 1
                        #expect(words.count >= 30)
                        #expect(ClassTerms.classes(in: words.prefix(24).joined(separator: " ")).isEmpty)
                    }
                }
            }
        }
        #expect(lateSeen > 200)
    }

    @Test func termMatcherFollowsTheRules() {
        #expect(ClassTerms.classes(in: "Axial CT of the liver") == [.ct])
        #expect(ClassTerms.classes(in: "a ct scan").isEmpty, "CT is case-sensitive")
        #expect(ClassTerms.classes(in: "CT-guided biopsy").isEmpty, "CT-guided vetoes ct")
        #expect(ClassTerms.classes(in: "Chest X ray on admission") == [.xray])
        #expect(ClassTerms.classes(in: "Chest x-ray") == [.xray])
        #expect(ClassTerms.classes(in: "T2 weighted image") == [.mri])
        #expect(ClassTerms.classes(in: "MRI and ultrasound") == [.mri, .ultrasound])
        #expect(ClassTerms.classes(in: "Staining (H&E, x200)") == [.histopathology])
        #expect(ClassTerms.classes(in: "SMRI and CTAB").isEmpty, "word boundaries")
        #expect(ClassTerms.isExcluded("Kaplan Meier curves"))
        #expect(ClassTerms.isExcluded("Flow chart of patients"))
        #expect(!ClassTerms.isExcluded("A flow of patients"))
        #expect(Markup.plain("H&amp;E, <italic>n</italic> = 3") == "H&E, n = 3")
    }
}
