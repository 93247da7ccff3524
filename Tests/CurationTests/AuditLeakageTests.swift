import Foundation
import PairDxCore
import Testing
@testable import Curation

@Suite struct AuditLeakageTests {
    /// The multi-index search must find exactly the pairs a brute-force scan finds.
    @Test(arguments: [0, 3, 8, 14])
    func nearPairsMatchBruteForce(radius: Int) {
        // Clusters of hashes with a few flipped bits, so every radius has real hits and misses.
        var hashes: [UInt64] = []
        for c in 0..<60 {
            let base = AuditFixtures.hash(c)
            for m in 0..<4 {
                var h = base
                for b in 0..<(m * 3) {
                    h ^= 1 << UInt64(KeyedHash.value(seed: 3, domain: "bit", id: "\(c)-\(m)-\(b)") % 64)
                }
                hashes.append(h)
            }
        }
        let side = { (i: Int) in i % 3 }
        let found = LeakageSection.nearPairs(hashes, radius: radius) { side($0) != side($1) }
        var brute: [String] = []
        for i in 0..<hashes.count {
            for j in (i + 1)..<hashes.count where side(i) != side(j) {
                let d = (hashes[i] ^ hashes[j]).nonzeroBitCount
                if d <= radius { brute.append("\(i)-\(j)-\(d)") }
            }
        }
        #expect(found.map { "\($0.0)-\($0.1)-\($0.2)" }.sorted() == brute.sorted())
        if radius >= 8 { #expect(!brute.isEmpty) }
    }

    @Test func leakageCountsPairsArticlesGroupsAndIds() {
        let h = AuditFixtures.hash(1)
        var items = AuditFixtures.clean(perClass: ["train": 2, "val": 1, "test": 1])
        // A near duplicate (3 bits) of a train item in test, and an article split across train and val.
        items["test"]!.append(AuditFixtures.item("PMC500/F1", "ct", "test", phash: h ^ 0b111))
        items["train"]!.append(AuditFixtures.item("PMC501/F1", "mri", "train", phash: h ^ ~UInt64(0)))
        items["val"]!.append(AuditFixtures.item("PMC501/F2", "mri", "val", phash: nil))
        let inputs = AuditInputs(name: "t", recipe: AuditFixtures.recipe(radius: 4), items: items)
        let l = LeakageSection.build(inputs)
        #expect(l.nearDuplicatePairs == 1)
        #expect(l.pairs.first?.distance == 3)
        #expect(Set([l.pairs.first?.splitA, l.pairs.first?.splitB]) == Set(["train", "test"]))
        #expect(l.articlesAcrossSplits == 1 && l.articles.first?.article == "PMC501")
        #expect(l.articles.first?.splits == ["train", "val"])
        #expect(l.groupsAcrossSplits == 1)
        #expect(l.itemsWithoutPHash == 1)
        #expect(l.repeatedIds == 0)

        let report = AuditBuilder.build(inputs, options: .init(maxLeakage: 0))
        let gate = report.gates.first { $0.rule == "max-leakage" }
        #expect(gate?.passed == false && gate?.value == 2)
        #expect(throws: PairDxError.self) { try Audit.enforceGates(report) }
        do { try Audit.enforceGates(report) } catch let e as PairDxError {
            #expect(e.exitCode == 1 && e.message.contains("max-leakage"))
        } catch { Issue.record("unexpected \(error)") }
        // The fixture is unbalanced on purpose; only the leakage gate is under test here.
        #expect(AuditBuilder.build(inputs, options: .init(maxLeakage: 2, recipeBalance: false)).passed)
    }
}
