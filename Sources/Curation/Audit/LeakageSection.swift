import Imaging
import PairDxCore

/// Leakage between splits: near-duplicate images (pHash within the recipe's radius), shared articles,
/// shared groups, identical bytes and repeated ids.
///
/// The near-duplicate search is multi-index hashing: the 64 bits are cut into `radius + 1` disjoint
/// chunks; two hashes within `radius` bits agree exactly on at least one chunk (pigeonhole), so only
/// items sharing a chunk value are compared. A pair is counted once, at the first chunk it agrees on.
/// Cost O(n · (radius + 1) · b) for average bucket size b, instead of O(n²).
enum LeakageSection {
    static let listLimit = 100

    /// Pairs (i, j), i < j, of `hashes` within `radius` bits and `accept(i, j)`. Returned with distances.
    static func nearPairs(_ hashes: [UInt64], radius: Int, accept: (Int, Int) -> Bool) -> [(Int, Int, Int)] {
        let n = hashes.count
        guard n > 1 else { return [] }
        let r = max(0, min(radius, 63))
        let chunks = r + 1
        // chunk c covers bits [starts[c], starts[c+1])
        var starts = [Int](repeating: 0, count: chunks + 1)
        for c in 0...chunks { starts[c] = c * 64 / chunks }
        func chunkValue(_ h: UInt64, _ c: Int) -> UInt64 {
            let w = starts[c + 1] - starts[c]
            let mask: UInt64 = w >= 64 ? ~0 : ((1 << UInt64(w)) - 1)
            return (h >> UInt64(starts[c])) & mask
        }
        var out: [(Int, Int, Int)] = []
        for c in 0..<chunks {
            var buckets: [UInt64: [Int]] = [:]
            for i in 0..<n { buckets[chunkValue(hashes[i], c), default: []].append(i) }
            for (_, members) in buckets where members.count > 1 {
                for x in 0..<members.count {
                    let i = members[x]
                    for y in (x + 1)..<members.count {
                        let j = members[y]
                        let d = (hashes[i] ^ hashes[j]).nonzeroBitCount
                        guard d <= r, accept(i, j) else { continue }
                        // Count the pair only at the first chunk both agree on.
                        var earlier = false
                        for e in 0..<c where chunkValue(hashes[i], e) == chunkValue(hashes[j], e) {
                            earlier = true; break
                        }
                        if !earlier { out.append((min(i, j), max(i, j), d)) }
                    }
                }
            }
        }
        return out
    }

    static func build(_ inputs: AuditInputs) -> AuditReport.Leakage {
        let items = inputs.allItems
        let radius = inputs.recipe.dedupe.radius
        let hashed = items.filter { $0.phash != nil }
        // The dedupe stage's rule: within the radius on the 64-bit pHash and, when both items carry 256-bit pHashes,
        // within the confirmation radius on those too. A pair dedupe would join counts as a leak. The 256-bit hashes
        // come from the split files themselves (column phash256), so the released files alone give the same figures
        // as the work directory; an item whose column is empty falls back to the work directory's images.
        var wide: [String: [UInt64]] = [:]
        for im in inputs.work?.images ?? [] {
            if let words = im.phash256.flatMap(ImageHashes.words256) { wide[im.sha256] = words }
        }
        for it in items { if let words = it.phash256 { wide[it.sha256] = words } }
        func confirmed(_ a: SplitItem, _ b: SplitItem) -> Bool {
            guard let x = wide[a.sha256], let y = wide[b.sha256] else { return true }
            return zip(x, y).reduce(0) { $0 + ($1.0 ^ $1.1).nonzeroBitCount } <= Dedupe.defaultConfirmRadius
        }
        let pairs = nearPairs(hashed.map { $0.phash! }, radius: radius) {
            hashed[$0].split != hashed[$1].split && confirmed(hashed[$0], hashed[$1])
        }
        .map { (i, j, d) -> AuditReport.LeakPair in
            let (a, b) =
                ItemID.sortKey(hashed[i].id) <= ItemID.sortKey(hashed[j].id)
                ? (hashed[i], hashed[j]) : (hashed[j], hashed[i])
            return .init(a: a.id, splitA: a.split, b: b.id, splitB: b.split, distance: d)
        }
        .sorted {
            ($0.distance, ItemID.sortKey($0.a), ItemID.sortKey($0.b)) < (
                $1.distance, ItemID.sortKey($1.a), ItemID.sortKey($1.b)
            )
        }

        func spread(_ key: (SplitItem) -> String) -> [String: Set<String>] {
            var m: [String: Set<String>] = [:]
            for it in items where !key(it).isEmpty { m[key(it), default: []].insert(it.split) }
            return m.filter { $0.value.count > 1 }
        }
        let order = Dictionary(uniqueKeysWithValues: AuditInputs.splitNames.enumerated().map { ($1, $0) })
        let articles = spread(\.article)
            .map {
                AuditReport.ArticleLeak(
                    article: $0.key, splits: $0.value.sorted { (order[$0] ?? 9) < (order[$1] ?? 9) })
            }
            .sorted { PMCID.sortKey($0.article) < PMCID.sortKey($1.article) }
        let groups = spread(\.group).count

        var bySHA: [String: [String: Int]] = [:]
        for it in items where !it.sha256.isEmpty { bySHA[it.sha256, default: [:]][it.split, default: 0] += 1 }
        var exact = 0
        for (_, perSplit) in bySHA where perSplit.count > 1 {
            let v = Array(perSplit.values)
            for x in 0..<v.count { for y in (x + 1)..<v.count { exact += v[x] * v[y] } }
        }
        var idCount: [String: Int] = [:]
        for it in items { idCount[it.id, default: 0] += 1 }

        return .init(
            radius: radius, nearDuplicatePairs: pairs.count, pairs: Array(pairs.prefix(listLimit)),
            articlesAcrossSplits: articles.count, articles: Array(articles.prefix(listLimit)),
            groupsAcrossSplits: groups, exactDuplicatesAcrossSplits: exact,
            itemsWithoutPHash: items.count - hashed.count,
            repeatedIds: idCount.values.filter { $0 > 1 }.count)
    }
}
