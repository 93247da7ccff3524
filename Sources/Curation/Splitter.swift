import PairDxCore

/// The three splits, in file order.
public enum SplitName: String, CaseIterable, Codable, Sendable {
    case train, val, test
}

/// Assigns balanced items to splits.
///
/// Groups: items are joined when they share an article and, when the recipe groups by `cluster`, when their
/// duplicate cluster spans articles (the kept item's group absorbs every article its cluster touched). A group
/// never spans two splits.
///
/// `balanced` mode: groups are placed largest first (ties by `KeyedHash(seed, "split", group)`), each into the split
/// where it most reduces Σ_class (count − target)², targets being `n_class × ratio`. With singleton groups this
/// leaves every class within ±1 of its target in every split. O(groups × splits × classes).
///
/// `stable` mode: a group goes to train/val/test by the threshold of `KeyedHash.unit(seed, "split", group)` against
/// the cumulative ratios, so adding new items never moves an existing one (unless the new item merges groups).
public enum Splitter {
    public struct Item: Sendable, Hashable {
        public var id: String
        public var `class`: String
        public var article: String
        public var figure: String
        public var sha256: String
        public var phash: String
        /// The 256-bit pHash (64 hex digits) that confirms near duplicates; empty when the image had none.
        public var phash256: String
        public var group: String
    }

    public struct Assignment: Sendable {
        public var items: [SplitName: [Item]]
        public var groupCount: Int
        public var largestGroup: Int
    }

    /// Builds the groups: union-find over item ids and article nodes.
    public static func group(
        _ selected: [BalancedItem], figures: [String: FigureRecord], images: [String: ImageRecord],
        clusters: [ClusterRecord], grouping: [Recipe.Grouping]
    ) -> [Item] {
        var uf = UnionFind()
        let byArticle = grouping.contains(.article)
        for s in selected {
            let article = figures[s.id]?.pmcid ?? ItemID.article(of: s.id)
            uf.add(s.id)
            if byArticle { uf.union(s.id, "A:" + article) }
        }
        if grouping.contains(.cluster) {
            let selectedIDs = Set(selected.map(\.id))
            for c in clusters where selectedIDs.contains(c.keep) {
                for a in c.articles { uf.union(c.keep, "A:" + a) }
            }
        }
        // A group is named by its smallest article (articles are the unit that grows), then its smallest item.
        var members: [Int: [String]] = [:]
        for s in selected { members[uf.find(s.id), default: []].append(s.id) }
        var name: [Int: String] = [:]
        for (root, ids) in members {
            let arts = ids.map { figures[$0]?.pmcid ?? ItemID.article(of: $0) }
            let a = arts.min { PMCID.sortKey($0) < PMCID.sortKey($1) }!
            name[root] = byArticle ? a : ids.min { ItemID.sortKey($0) < ItemID.sortKey($1) }!
        }
        return selected.map { s in
            let f = figures[s.id]
            let sha = f?.sha256 ?? ""
            return Item(
                id: s.id, class: s.class, article: f?.pmcid ?? ItemID.article(of: s.id), figure: f?.figure ?? "",
                sha256: sha, phash: images[sha]?.phash ?? "", phash256: images[sha]?.phash256 ?? "",
                group: name[uf.find(s.id)]!)
        }
    }

    /// Larger groups first, then by keyed hash, then by name.
    static func placementOrder(_ a: (Int, UInt64, String), _ b: (Int, UInt64, String)) -> Bool {
        if a.0 != b.0 { return a.0 > b.0 }
        if a.1 != b.1 { return a.1 < b.1 }
        return a.2 < b.2
    }

    public static func assign(_ items: [Item], recipe: Recipe, classes: [String]) -> Assignment {
        let seed = recipe.seed
        var groups: [String: [Item]] = [:]
        for it in items { groups[it.group, default: []].append(it) }
        let ratios: [SplitName: Double] = [.train: recipe.split.train, .val: recipe.split.val, .test: recipe.split.test]
        var out: [SplitName: [Item]] = [.train: [], .val: [], .test: []]
        let largest = groups.values.map(\.count).max() ?? 0

        if recipe.split.mode == .stable {
            for (g, members) in groups {
                let u = KeyedHash.unit(seed: seed, domain: "split", id: g)
                let s: SplitName =
                    u < recipe.split.train ? .train : (u < recipe.split.train + recipe.split.val ? .val : .test)
                out[s]! += members
            }
        } else {
            let classIndex = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
            var total = [Int](repeating: 0, count: classes.count)
            for it in items { total[classIndex[it.class]!] += 1 }
            let splits = SplitName.allCases
            let target: [[Double]] = splits.map { s in total.map { Double($0) * ratios[s]! } }
            var count: [[Double]] = splits.map { _ in [Double](repeating: 0, count: classes.count) }
            let order: [(Int, UInt64, String)] = groups.keys.map { g in
                (groups[g]!.count, KeyedHash.value(seed: seed, domain: "split", id: g), g)
            }.sorted(by: Splitter.placementOrder)
            for (_, key, g) in order {
                var comp = [Double](repeating: 0, count: classes.count)
                for it in groups[g]! { comp[classIndex[it.class]!] += 1 }
                var best = -1
                var bestCost = Double.infinity
                // Ties rotate through the splits by the group's keyed hash, so no split is favoured.
                for k in 0..<splits.count {
                    let si = (k + Int(key % 3)) % splits.count
                    if ratios[splits[si]]! == 0 { continue }
                    var cost = 0.0
                    for c in 0..<classes.count where comp[c] > 0 {
                        cost += comp[c] * (2 * (count[si][c] - target[si][c]) + comp[c])
                    }
                    if cost < bestCost - 1e-9 { bestCost = cost; best = si }
                }
                for c in 0..<classes.count { count[best][c] += comp[c] }
                out[splits[best]]! += groups[g]!
            }
        }
        for s in SplitName.allCases { out[s]!.sort { ItemID.sortKey($0.id) < ItemID.sortKey($1.id) } }
        return Assignment(items: out, groupCount: groups.count, largestGroup: largest)
    }
}

/// Union-find over strings with path halving and union by size. Near O(α(n)) per operation.
struct UnionFind {
    private var index: [String: Int] = [:]
    private var parent: [Int] = []
    private var size: [Int] = []

    mutating func add(_ k: String) { _ = id(k) }

    private mutating func id(_ k: String) -> Int {
        if let i = index[k] { return i }
        let i = parent.count
        index[k] = i; parent.append(i); size.append(1)
        return i
    }

    private mutating func root(_ i: Int) -> Int {
        var i = i
        while parent[i] != i { parent[i] = parent[parent[i]]; i = parent[i] }
        return i
    }

    mutating func find(_ k: String) -> Int { root(id(k)) }

    mutating func union(_ a: String, _ b: String) {
        var ra = root(id(a)), rb = root(id(b))
        if ra == rb { return }
        if size[ra] < size[rb] { swap(&ra, &rb) }
        parent[rb] = ra; size[ra] += size[rb]
    }
}
