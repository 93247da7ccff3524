import PairDxCore

/// One selected item after balancing (`balanced.jsonl`).
public struct BalancedItem: Codable, Sendable, Hashable {
    public var id: String
    public var `class`: String
    public init(id: String, class c: String) { self.id = id; self.class = c }
    public var sortKey: String { ItemID.sortKey(id) }
}

/// Selects the labelled items that enter the splits, per the recipe's balance policy.
///
/// Within a class, items are ranked by `KeyedHash(seed, "balance", id)` and the first `k` kept, so the choice
/// depends only on the seed and the ids, never on file order. O(n log n).
public enum Balancer {
    public static func select(_ labels: [LabelRecord], recipe: Recipe) -> [BalancedItem] {
        var byClass: [String: [String]] = [:]
        for l in labels { if let c = l.class { byClass[c, default: []].append(l.id) } }
        let counts = recipe.classes.map { byClass[$0.name]?.count ?? 0 }
        let quota: Int?
        switch recipe.balance.policy {
        case "equalize": quota = counts.min() ?? 0
        case "target": quota = recipe.balance.perClass
        default: quota = nil
        }
        var out: [BalancedItem] = []
        for c in recipe.classes {
            let ids = byClass[c.name] ?? []
            let ranked = ids.map { (KeyedHash.value(seed: recipe.seed, domain: "balance", id: $0), $0) }
                .sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            let take = min(quota ?? ranked.count, ranked.count)
            out += ranked.prefix(take).map { BalancedItem(id: $0.1, class: c.name) }
        }
        return out.sorted { $0.sortKey < $1.sortKey }
    }
}
