import Foundation
import PairDxCore

/// Duplicate clusters over figures (`pairdx dedupe`).
///
/// Two usable figures are joined when their blobs have the same bytes, the same decoded pixels, or
/// pHashes within `radius` bits whose 256-bit pHashes are also within `confirmRadius` bits (when both
/// blobs have one and a confirm radius is given); clusters are the connected components (union-find over distinct
/// blobs, then figures). The kept member has the most pixels, then the smallest item id
/// (`ItemID.sortKey`). A usable figure is one with status `ok` whose blob hashed without a reject.
public enum Dedupe {
    /// A usable figure with what clustering needs.
    public struct Item: Sendable {
        public var id: String
        public var article: String
        public var blob: Int
    }

    /// A distinct blob among usable figures.
    public struct Blob: Sendable {
        public var sha256: String
        public var pixelSHA256: String?
        public var phash: UInt64
        public var phash256: [UInt64]?
        public var pixels: Int
    }

    public struct Result: Sendable {
        public var clusters: [ClusterRecord]
        public var items: [Item]
        public var blobs: [Blob]
        /// Blob pairs within the radius and confirmed (indices into `blobs`).
        public var nearPairs: [HammingPair]
        /// Blob pairs within the 64-bit radius before confirmation.
        public var candidatePairs: Int
        public var unusable: [String: Int]
        public var totalFigures: Int
    }

    /// Clusters `figures` using `images`. O(n) plus the index self-join.
    public static func run(figures: [FigureRecord], images: [ImageRecord], radius: Int,
                           confirmRadius: Int? = defaultConfirmRadius, threads: Int) -> Result {
        var byBlob = [String: ImageRecord]()
        for r in images { byBlob[r.sha256] = r }
        var unusable = [String: Int]()
        var blobIndex = [String: Int]()
        var blobs = [Blob]()
        var items = [Item]()
        for f in figures.sorted(by: { ItemID.sortKey($0.id).utf8.lexicographicallyPrecedes(ItemID.sortKey($1.id).utf8) }) {
            guard f.status.isOK, let sha = f.sha256 else { unusable["figure-status", default: 0] += 1; continue }
            guard let img = byBlob[sha] else { unusable["not-hashed", default: 0] += 1; continue }
            if img.reject != nil { unusable["image-rejected", default: 0] += 1; continue }
            guard let hex = img.phash, let code = Hex.decode64(hex) else { unusable["no-phash", default: 0] += 1; continue }
            let b: Int
            if let known = blobIndex[sha] { b = known } else {
                b = blobs.count
                blobIndex[sha] = b
                blobs.append(Blob(sha256: sha, pixelSHA256: img.pixelSHA256, phash: code,
                                  phash256: img.phash256.flatMap(ImageHashes.words256),
                                  pixels: (img.width ?? 0) * (img.height ?? 0)))
            }
            items.append(Item(id: f.id, article: f.pmcid, blob: b))
        }
        var sets = UnionFind(blobs.count)
        var byPixels = [String: Int]()
        for (i, b) in blobs.enumerated() {
            guard let p = b.pixelSHA256 else { continue }
            if let first = byPixels[p] { sets.union(first, i) } else { byPixels[p] = i }
        }
        let candidates = HammingIndex(blobs.map(\.phash)).pairs(radius: radius, threads: threads)
        let pairs = candidates.filter { p in
            guard let limit = confirmRadius, let a = blobs[Int(p.i)].phash256, let b = blobs[Int(p.j)].phash256 else { return true }
            return distance256(a, b) <= limit
        }
        for p in pairs { sets.union(Int(p.i), Int(p.j)) }

        var groups = [Int: [Int]]()   // root blob → item indices
        for (k, item) in items.enumerated() { groups[sets.find(item.blob), default: []].append(k) }
        var clusters = [ClusterRecord]()
        clusters.reserveCapacity(groups.count)
        for (_, members) in groups {
            let keep = members.min { a, b in
                let pa = blobs[items[a].blob].pixels, pb = blobs[items[b].blob].pixels
                if pa != pb { return pa > pb }
                return ItemID.sortKey(items[a].id).utf8.lexicographicallyPrecedes(ItemID.sortKey(items[b].id).utf8)
            }!
            let keepBlob = blobs[items[keep].blob]
            let ids = members.map { items[$0].id }.sorted { ItemID.sortKey($0).utf8.lexicographicallyPrecedes(ItemID.sortKey($1).utf8) }
            let articles = Set(members.map { items[$0].article }).sorted { PMCID.sortKey($0) < PMCID.sortKey($1) }
            let maxDistance = members.map { PerceptualHash.distance(keepBlob.phash, blobs[items[$0].blob].phash) }.max() ?? 0
            let kind: String
            if members.count == 1 {
                kind = "single"
            } else {
                let identical = members.allSatisfy { m in
                    let b = blobs[items[m].blob]
                    return b.sha256 == keepBlob.sha256 || (b.pixelSHA256 != nil && b.pixelSHA256 == keepBlob.pixelSHA256)
                }
                kind = identical ? "exact" : "near"
            }
            clusters.append(ClusterRecord(keep: items[keep].id, members: ids, articles: articles, kind: kind,
                                          maxDistance: maxDistance))
        }
        clusters.sort { $0.sortKey.utf8.lexicographicallyPrecedes($1.sortKey.utf8) }
        return Result(clusters: clusters, items: items, blobs: blobs, nearPairs: pairs, candidatePairs: candidates.count,
                      unusable: unusable, totalFigures: figures.count)
    }

    /// Hamming distance between two 256-bit hashes.
    public static func distance256(_ a: [UInt64], _ b: [UInt64]) -> Int {
        zip(a, b).reduce(0) { $0 + ($1.0 ^ $1.1).nonzeroBitCount }
    }
}

extension Dedupe {
    /// Default Hamming radius on pHash (evidence in docs/pairdx-phash-v1.md).
    public static let defaultRadius = 8
    /// Default confirmation radius on the 256-bit pHash (evidence in docs/pairdx-phash-v1.md).
    public static let defaultConfirmRadius = 16
}
