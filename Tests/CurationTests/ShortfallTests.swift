import Foundation
import PairDxTestSupport
import PairDxCore
import Testing
@testable import Curation

/// A recipe that asks for N per class either gets exactly N per class or a failure naming each short class;
/// `allowShort` balances down and every output says so in words.
@Suite(.scratch) struct ShortfallTests {
    static func targetRecipe(perClass: Int) throws -> Recipe {
        var r = try Fixture.recipe("pairdx-synth-v1")
        r.name = "short-test"
        r.balance.policy = .target; r.balance.perClass = perClass
        return r
    }

    static func labelled(_ work: WorkDirectory, recipe: Recipe) throws -> [String: Int] {
        let s = try LabelStage.run(work: work, recipe: recipe)
        return s.perClass
    }

    @Test func shortSourceFailsNamingEachShortClass() throws {
        let work = try Fixture.makeWork(articles: 60)
        let probe = try Self.targetRecipe(perClass: 1)
        let per = try Self.labelled(work, recipe: probe)
        let counts = probe.classes.map { per[$0.name] ?? 0 }
        let need = counts.sorted()[3]  // the two or three smallest classes fall short, the largest do not
        let r = try Self.targetRecipe(perClass: need)
        var thrown: PairDxError?
        do { try CurationStages.balance(work: work, recipe: r) } catch let e as PairDxError { thrown = e }
        let e = try #require(thrown)
        #expect(e.exitCode == 1)
        for c in r.classes {
            let have = per[c.name] ?? 0
            if have < need {
                #expect(e.message.contains("\(c.name) have \(have)/need \(need)"), "\(e.message)")
            } else {
                #expect(!e.message.contains("\(c.name) have"), "\(e.message)")
            }
        }
        #expect(!FileSystem.exists(work.balanced))
        // Exactly enough: exactly N per class, no failure.
        let exact = try Self.targetRecipe(perClass: counts.min()!)
        let selected = try CurationStages.balance(work: work, recipe: exact)
        #expect(Dictionary(grouping: selected, by: \.class).values.allSatisfy { $0.count == counts.min()! })
    }

    @Test func allowShortBalancesDownAndEveryOutputSaysSo() throws {
        let work = try Fixture.makeWork(articles: 60)
        let r = try Self.targetRecipe(perClass: 1000)
        let per = try Self.labelled(work, recipe: r)
        let smallest = r.classes.map { per[$0.name] ?? 0 }.min()!
        let selected = try CurationStages.balance(work: work, recipe: r, allowShort: true)
        let byClass = Dictionary(grouping: selected, by: \.class)
        #expect(byClass.count == 6 && byClass.values.allSatisfy { $0.count == smallest })

        let root = try Scratch.directory("short")
        let split = root + "/Splits/short-test", manifest = root + "/Manifests/short-test"
        try CurationStages.split(work: work, recipe: r, name: r.name, splitDir: split)
        try CurationStages.manifest(work: work, recipe: r, name: r.name, splitDir: split, manifestDir: manifest)
        let croissant = try FileSystem.readString(manifest + "/croissant.json")
        #expect(croissant.contains("Short of the recipe: \(smallest) pairs per class"))
        #expect(croissant.contains("not the published size"))
        let report = try Audit.run(splitDir: split, data: work.root, out: root + "/report", manifest: manifest)
        let gate = try #require(report.gates.first { $0.rule == "recipe-balance" })
        #expect(gate.passed && gate.detail.contains("short of the recipe's 1000"))
        #expect(report.findings.contains { $0.hasPrefix("Short of the recipe") })
        #expect(try FileSystem.readString(root + "/report/report.md").contains("not the published size"))
    }

    @Test func unbalancedSplitNeverPassesTheRecipeGate() {
        // Policy equalize, classes 3/3/2 overall: the recipe gate fails without any CLI limit.
        let items = AuditFixtures.clean(perClass: ["train": 2, "test": 1])
        var unbalanced = items
        unbalanced["test"]!.removeLast()
        let bad = AuditBuilder.build(
            AuditInputs(name: "u", recipe: AuditFixtures.recipe(), items: unbalanced), options: .init())
        let gate = bad.gates.first { $0.rule == "recipe-balance" }
        #expect(gate?.passed == false && gate?.detail.contains("xray 2") == true)
        #expect(!bad.passed)
        #expect(!MarkdownRenderer.render(bad).contains("All gates passed"))
        let good = AuditBuilder.build(
            AuditInputs(name: "b", recipe: AuditFixtures.recipe(), items: items), options: .init())
        #expect(good.gates.first { $0.rule == "recipe-balance" }?.passed == true && good.passed)
        // Policy none: no such gate.
        let none = AuditBuilder.build(
            AuditInputs(name: "n", recipe: AuditFixtures.recipe(policy: "none"), items: unbalanced), options: .init())
        #expect(none.gates.allSatisfy { $0.rule != "recipe-balance" })
    }
}
