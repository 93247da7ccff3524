import Foundation
import PairDxCore
import Testing
@testable import Curation

@Suite struct SplitterTests {
    func recipe(seed: UInt64 = 1, mode: Recipe.SplitMode = .balanced) throws -> Recipe {
        var r = try Fixture.recipe("pairdx-synth-v1")
        r.seed = seed
        r.split.mode = mode
        return r
    }

    func items(_ n: Int, groupSize: (Int) -> Int = { _ in 1 }, seed: UInt64 = 9) -> [Splitter.Item] {
        let classes = ["ct", "mri", "xray", "ultrasound", "histopathology", "endoscopy"]
        var out: [Splitter.Item] = []
        var a = 0
        while out.count < n {
            a += 1
            for f in 0..<groupSize(a) where out.count < n {
                let id = "PMC\(a)/F\(f)"
                // Unequal class sizes: class k gets weight k+1.
                let h = Int(KeyedHash.value(seed: seed, domain: "c", id: id) % 21)
                let k = [0, 1, 1, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5][h]
                out.append(
                    .init(
                        id: id, class: classes[k], article: "PMC\(a)", figure: "F\(f)", sha256: "", phash: "",
                        phash256: "", group: "PMC\(a)"))
            }
        }
        return out
    }

    func perClass(_ a: Splitter.Assignment, _ s: SplitName) -> [String: Int] {
        var m: [String: Int] = [:]
        for it in a.items[s]! { m[it.class, default: 0] += 1 }
        return m
    }

    @Test(arguments: [1, 2, 3, 17])
    func singletonsLandWithinOneOfTarget(seed: UInt64) throws {
        let r = try recipe(seed: seed)
        let its = items(1000)
        let a = Splitter.assign(its, recipe: r, classes: r.classes.map(\.name))
        var total: [String: Int] = [:]
        for it in its { total[it.class, default: 0] += 1 }
        for s in SplitName.allCases {
            let ratio = s == .train ? r.split.train : (s == .val ? r.split.val : r.split.test)
            for (c, n) in total {
                let target = Double(n) * ratio
                let got = Double(perClass(a, s)[c] ?? 0)
                #expect(abs(got - target) <= 1.0, "\(s)/\(c): \(got) vs target \(target)")
            }
        }
        #expect(a.items.values.map(\.count).reduce(0, +) == 1000)
    }

    @Test func groupsNeverSpanSplitsAndCountsStayClose() throws {
        let r = try recipe()
        let its = items(1200, groupSize: { 1 + $0 % 5 })
        let a = Splitter.assign(its, recipe: r, classes: r.classes.map(\.name))
        var where_: [String: SplitName] = [:]
        for s in SplitName.allCases {
            for it in a.items[s]! {
                if let prev = where_[it.group] { #expect(prev == s, "group \(it.group) in \(prev) and \(s)") }
                where_[it.group] = s
            }
        }
        let trainShare = Double(a.items[.train]!.count) / 1200
        #expect(abs(trainShare - 0.7) < 0.02)
        #expect(a.largestGroup == 5)
    }

    @Test func anotherSeedGivesAnotherSplit() throws {
        let its = items(500)
        let r1 = try recipe(seed: 1), r2 = try recipe(seed: 2)
        let a = Splitter.assign(its, recipe: r1, classes: r1.classes.map(\.name))
        let b = Splitter.assign(its, recipe: r2, classes: r2.classes.map(\.name))
        let a2 = Splitter.assign(its.reversed(), recipe: r1, classes: r1.classes.map(\.name))
        #expect(a.items[.test]!.map(\.id) != b.items[.test]!.map(\.id))
        #expect(a.items[.test]!.map(\.id) == a2.items[.test]!.map(\.id), "input order must not matter")
    }

    @Test func stableModeMovesNoExistingItemWhenItemsAreAdded() throws {
        let r = try recipe(mode: .stable)
        let base = items(2000, groupSize: { 1 + $0 % 3 })
        let extra = items(2100, groupSize: { 1 + $0 % 3 }).filter {
            Int($0.article.dropFirst(3))! > Int(base.last!.article.dropFirst(3))!
        }
        #expect(extra.count >= 50)
        let before = Splitter.assign(base, recipe: r, classes: r.classes.map(\.name))
        let after = Splitter.assign(base + extra, recipe: r, classes: r.classes.map(\.name))
        var was: [String: SplitName] = [:]
        for s in SplitName.allCases { for it in before.items[s]! { was[it.id] = s } }
        var moved = 0
        for s in SplitName.allCases {
            for it in after.items[s]! where was[it.id] != nil && was[it.id] != s { moved += 1 }
        }
        #expect(moved == 0)
    }

    @Test func balancerEqualizesByKeyedHash() throws {
        let r = try recipe()
        var labels: [LabelRecord] = []
        for (k, c) in r.classes.enumerated() {
            for i in 0..<(10 + 5 * k) {
                labels.append(LabelRecord(id: "PMC\(k * 100 + i)/F1", class: c.name, reason: nil, matched: []))
            }
        }
        labels.append(LabelRecord(id: "PMC9999/F1", class: nil, reason: "ambiguous", matched: []))
        let a = Balancer.select(labels, recipe: r)
        let b = Balancer.select(labels.shuffled(), recipe: r)
        #expect(a == b)
        #expect(a.count == 60)
        var r2 = r; r2.seed = 99
        #expect(Balancer.select(labels, recipe: r2) != a)
    }
}
