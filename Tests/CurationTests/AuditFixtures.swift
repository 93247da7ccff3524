import Foundation
import PairDxCore
@testable import Curation

/// Hand-made audit inputs: a recipe with three classes and small split sets built item by item.
enum AuditFixtures {
    static func recipe(
        classes: [String] = ["ct", "mri", "xray"], radius: Int = 4, policy: String = "equalize",
        ratios: (Double, Double, Double) = (0.6, 0.2, 0.2)
    ) -> Recipe {
        let cls = classes.map { c in
            #"{"name":"\#(c)","prompt":"a \#(c) image","include":["\#(c)","\#(c) scan"],"exclude":[],"caseSensitive":[]}"#
        }.joined(separator: ",")
        let json = """
            {"schema":"pairdx-recipe/1","name":"audit-test","description":"A recipe for audit tests.",
             "provenance":{"classes":"recipe assumption","size":"paper: 22,665 pairs"},
             "sources":[{"kind":"mirror","url":"file:///mirror"}],"classes":[\(cls)],"excludeAll":["schematic"],
             "minImageSide":32,"minCaptionWords":3,"dedupe":{"radius":\(radius),"hash":"phash"},
             "balance":{"policy":"\(policy)"},
             "split":{"train":\(ratios.0),"val":\(ratios.1),"test":\(ratios.2),"mode":"balanced","grouping":["article","cluster"]},
             "seed":7,"training":{},"validation":{"tolerancePoints":2,"promptTemplates":["{}"]}}
            """
        return try! CanonicalJSON.decode(Recipe.self, from: Data(json.utf8), source: "fixture")
    }

    /// An item whose pHash is `phash`; article = the id's PMC part; group = its article.
    static func item(_ id: String, _ cls: String, _ split: String, phash: UInt64?, sha: String? = nil) -> SplitItem {
        let article = ItemID.article(of: id)
        return SplitItem(
            id: id, class: cls, article: article, figure: String(id.dropFirst(article.count + 1)),
            sha256: sha ?? SHA256.hex(id), phash: phash, group: article, split: split)
    }

    /// A well-separated pHash per index (keyed hash, so far apart from the others).
    static func hash(_ i: Int) -> UInt64 { KeyedHash.value(seed: 1, domain: "audit-test", id: "\(i)") }

    /// `n` items per class per split, every article in one split, no near duplicates.
    static func clean(perClass n: [String: Int], classes: [String] = ["ct", "mri", "xray"]) -> [String: [SplitItem]] {
        var out: [String: [SplitItem]] = [:]
        var k = 0
        for s in ["train", "val", "test"] {
            for c in classes {
                for _ in 0..<(n[s] ?? 0) {
                    k += 1
                    out[s, default: []].append(item("PMC\(k)/F1", c, s, phash: hash(k)))
                }
            }
        }
        return out
    }
}
