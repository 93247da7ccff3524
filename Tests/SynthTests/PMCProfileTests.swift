import Foundation
import PairDxTestSupport
import Testing
import PairDxCore
@testable import Synth

/// `pairdx synth --profile pmc`: PubMed Central-like proportions, captions that mention modalities in passing or
/// negate them, and a truth file that records every figure's kind.
@Suite(.scratch) struct PMCProfileTests {
    static func plan(seed: UInt64, figures: Int) -> CorpusPlan {
        var p = CorpusPlan.make(seed: seed, figureCount: figures)
        PMCProfile.apply(&p)
        return p
    }

    @Test func kindsComeInPMCLikeProportions() {
        let p = Self.plan(seed: 3, figures: 8_000)
        let n = Double(p.figures.count)
        func share(_ k: PMCProfile.Kind) -> Double {
            Double(p.figures.filter { PMCProfile.kind(of: $0) == k }.count) / n
        }
        for (k, want) in PMCProfile.shares {
            // Duplicates copy their root's kind and multi-graphic figures share one, so allow a little drift.
            #expect(abs(share(k) - want) < max(0.2 * want, 0.005), "\(k.name): \(share(k)) vs \(want)")
        }
        let six = Double(p.figures.filter { $0.other == nil }.count) / n
        #expect(six > 0.18 && six < 0.26, "six classes together \(six)")
        let endoscopy = share(.cls(.endoscopy))
        #expect(endoscopy > 0.006 && endoscopy < 0.014, "endoscopy \(endoscopy)")
        #expect(SynthClass.allCases.allSatisfy { share(.cls($0)) >= endoscopy })
    }

    @Test func duplicatesAndGraphicsOfOneFigureShareTheirKind() {
        let p = Self.plan(seed: 4, figures: 3_000)
        var copies = 0
        for f in p.figures {
            switch f.source {
            case .own: continue
            case .exactCopy(let root), .near(let root, _):
                copies += 1
                #expect(PMCProfile.kind(of: f) == PMCProfile.kind(of: p.figures[root]), "\(f.id)")
            }
        }
        #expect(copies > 20)
        for a in p.articles {
            for e in a.elements {
                if case .fig(_, _, let items, _) = e, items.count > 1 {
                    #expect(Set(items.map { PMCProfile.kind(of: p.figures[$0]).name }).count == 1)
                }
            }
        }
    }

    /// Outside the six classes a caption with no mention names no class; one that mentions a modality in passing or
    /// negates it names exactly one (so caption rules alone label some charts and diagrams: the truth says which).
    @Test func captionsOutsideTheClassesMentionModalitiesOnlyAsPlanned() {
        let p = Self.plan(seed: 5, figures: 4_000)
        var seen: [PMCProfile.Mention: Int] = [:]
        var labelledByRules = 0
        for a in p.articles {
            for e in a.elements {
                guard case .fig(_, _, let items, let caption) = e, let other = p.figures[items[0]].other else {
                    continue
                }
                let m = PMCProfile.mention(seed: p.seed, id: p.figures[items[0]].id)
                seen[m, default: 0] += 1
                let text = caption.plain
                #expect(!text.isEmpty, "\(other)")
                let named = ClassTerms.classes(in: text)
                switch m {
                case .none: #expect(named.isEmpty, "\(text)")
                case .passing, .negated:
                    #expect(
                        ClassTerms.classes(in: text.replacingOccurrences(of: "-guided", with: "")).count == 1, "\(text)"
                    )
                    if !named.isEmpty && !ClassTerms.isExcluded(text) { labelledByRules += 1 }
                }
            }
        }
        let total = Double(seen.values.reduce(0, +))
        #expect(abs(Double(seen[.none] ?? 0) / total - 0.88) < 0.03)
        #expect(abs(Double(seen[.passing] ?? 0) / total - 0.08) < 0.02)
        #expect(abs(Double(seen[.negated] ?? 0) / total - 0.04) < 0.015)
        #expect(labelledByRules > 50)
    }

    @Test func everyOtherKindPaintsAPictureOfTheAskedSize() {
        for k in OtherKind.allCases {
            var rng = SynthRandom(seed: 1, domain: "test.paint", id: k.rawValue)
            let r = k.paint(width: 300, height: 260, rng: &rng)
            #expect(r.width == 300 && r.height == 260)
            let mean = r.data.reduce(0, +) / Float(r.data.count)
            let sd = (r.data.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(r.data.count)).squareRoot()
            #expect(sd > 5, "\(k.rawValue) is nearly flat (sd \(sd))")
        }
    }

    /// The truth file records every figure's kind; `class` is `none` exactly outside the six classes; the demo
    /// profile's truth has no kinds at all (its bytes are those of the committed demo corpus).
    @Test func truthRecordsEveryFiguresKind() throws {
        let base = try Scratch.directory("synth-pmc")
        let pmc = try SynthGenerator.run(
            SynthOptions(seed: 8, out: base + "/pmc", figures: 80, threads: 2, profile: .pmc))
        let demo = try SynthGenerator.run(SynthOptions(seed: 8, out: base + "/demo", figures: 80, threads: 2))
        let t = try JSONDecoder().decode(SynthTruth.self, from: try FileSystem.read(pmc.truth))
        let d = try JSONDecoder().decode(SynthTruth.self, from: try FileSystem.read(demo.truth))
        let six = Set(SynthClass.allCases.map(\.rawValue)), others = Set(OtherKind.allCases.map(\.rawValue))
        #expect(t.figures.count == 80)
        for f in t.figures {
            let kind = try #require(f.kind, "\(f.id) has no kind")
            #expect(
                six.contains(kind) ? f.class == kind : (others.contains(kind) && f.class == "none"),
                "\(f.id): \(f.class) \(kind)")
        }
        #expect(t.figures.contains { $0.class == "none" })
        #expect(d.figures.allSatisfy { $0.kind == nil && six.contains($0.class) })
        #expect(!(try FileSystem.readString(demo.truth)).contains("\"kind\""))
        // Same plan structure: the profile changes what figures show, not which figures there are.
        #expect(t.figures.map(\.id) == d.figures.map(\.id))
    }
}
