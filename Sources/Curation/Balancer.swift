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
///
/// Policy `target` asks for exactly `perClass` items in every class. When a class has fewer, selection either
/// fails (`Shortfall` names each short class with have/need) or, when the caller allows a short set, balances
/// every class down to the smallest class's count: never an unbalanced set that looks like the recipe's.
public enum Balancer {
    /// What a `target` policy could not deliver.
    public struct Shortfall: Sendable, Equatable, CustomStringConvertible {
        /// The recipe's items per class.
        public var need: Int
        /// Usable items of every class that has fewer than `need`, by class, in recipe order.
        public var short: [(class: String, have: Int)]
        /// What a short set holds per class: the smallest class's count.
        public var smallest: Int

        public static func == (a: Shortfall, b: Shortfall) -> Bool {
            a.need == b.need && a.smallest == b.smallest && a.short.map(\.class) == b.short.map(\.class)
                && a.short.map(\.have) == b.short.map(\.have)
        }

        public var description: String {
            short.map { "\($0.class) have \($0.have)/need \(need)" }.joined(separator: ", ")
        }
    }

    /// Labelled items per class name.
    static func byClass(_ labels: [LabelRecord]) -> [String: [String]] {
        var out: [String: [String]] = [:]
        for l in labels { if let c = l.class { out[c, default: []].append(l.id) } }
        return out
    }

    /// The classes a `target` policy cannot fill from `labels`; nil when every class can be filled or the
    /// policy asks for no fixed count. O(n).
    public static func shortfall(_ labels: [LabelRecord], recipe: Recipe) -> Shortfall? {
        guard recipe.balance.policy == .target, let need = recipe.balance.perClass else { return nil }
        let groups = byClass(labels)
        let counts = recipe.classes.map { ($0.name, groups[$0.name]?.count ?? 0) }
        let short = counts.filter { $0.1 < need }
        guard !short.isEmpty else { return nil }
        return Shortfall(
            need: need, short: short.map { (class: $0.0, have: $0.1) }, smallest: counts.map(\.1).min() ?? 0)
    }

    /// The selection. With policy `target` and a short source, every class gets the smallest class's count when
    /// `allowShort`; otherwise the caller must have checked `shortfall` first (this then returns a set short of
    /// the target in some classes only if asked to, never silently: see `CurationStages.balance`).
    public static func select(_ labels: [LabelRecord], recipe: Recipe, allowShort: Bool = false) -> [BalancedItem] {
        let byClass = byClass(labels)
        let counts = recipe.classes.map { byClass[$0.name]?.count ?? 0 }
        let quota: Int?
        switch recipe.balance.policy {
        case .equalize: quota = counts.min() ?? 0
        case .target:
            let n = recipe.balance.perClass ?? 0
            quota = allowShort ? min(n, counts.min() ?? 0) : n
        case .none: quota = nil
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
