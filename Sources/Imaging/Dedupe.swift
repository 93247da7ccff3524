import Foundation
import PairDxCore

/// Duplicate clusters over figures (`pairdx dedupe`), the rules of `docs/pairdx-phash-v2.md` §2–3.
///
/// Edges between distinct blobs of usable figures:
/// - **exact**: the same bytes (one blob) or the same decoded pixels;
/// - **near**: 256-bit pHashes within `confirmRadius` (found directly by `WideJoin` on the 256-bit hashes)
///   and 64-bit pHashes within `radius` (both hashes must agree); when a blob has no 256-bit hash, or the
///   confirmation is off, 64-bit pHashes within `radius` (`HammingIndex`), confirmed where both have one;
/// - **crop** / **panel**: one blob's whole-image window hash within `cropRadius` of a centred (crop) or half
///   (panel) window hash of the other (`CropSignature`, both blobs need a signature);
/// - and, for near, crop and panel edges between blobs that both have a thumbnail, the detail check
///   (`AlignedDetail.score` at least `detail`'s threshold for the kind).
///
/// Clusters without chaining: blobs with the same pixels form units; units are taken in keep order (most
/// pixels, then smallest item id); a unit not yet placed founds a cluster and becomes its representative, and
/// every unplaced unit with an edge to it joins. A figure is thus in the cluster of a representative it is a
/// confirmed duplicate of, never of a duplicate's duplicate. The edges are a set (exact search) and the order
/// is fixed, so the clusters do not depend on threads or shards. A usable figure is one with status `ok`
/// whose blob hashed without a reject.
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
        /// The crop signature (36 words), when hashed with `pairdx-phash-v2`.
        public var crops: [UInt64]?
        /// The 32×32 thumbnail (`AlignedDetail`), when hashed with `pairdx-phash-v2`.
        public var thumb: [UInt8]?
        public var pixels: Int
    }

    /// A candidate edge the detail check scored (`AlignedDetail.score`), kept or not.
    public struct Scored: Sendable {
        public var a: Int32
        public var b: Int32
        public var match: Match
        public var score: Double
        public var kept: Bool
    }

    /// How two blobs were found to be duplicates.
    public enum Match: String, Sendable, CaseIterable, Codable {
        case exact, near, crop, panel
    }

    /// A crop or panel edge: `whole`'s whole-image hash near window `window` of `windowed`.
    public struct CropPair: Sendable, Hashable {
        public var whole: Int32
        public var windowed: Int32
        public var window: UInt8
        public var distance: UInt16
        public var match: Match { CropSignature.windows[Int(window)].isHalf ? .panel : .crop }
    }

    public struct Result: Sendable {
        public var clusters: [ClusterRecord]
        public var items: [Item]
        public var blobs: [Blob]
        /// Near blob pairs (indices into `blobs`, distance on the 64-bit pHash).
        public var nearPairs: [HammingPair]
        /// Crop and panel blob pairs (one per unordered pair: the closest window).
        public var cropPairs: [CropPair]
        /// Point pairs the near search compared (the cost that grows with look-alike images).
        public var candidatePairs: Int
        /// Point pairs the crop search compared.
        public var cropCandidatePairs: Int
        /// Every near/crop/panel edge the detail check scored (none when it is off or thumbnails are missing).
        public var scored: [Scored]
        /// Item id → how it joined its cluster's representative (absent for representatives).
        public var joined: [String: Match]
        public var unusable: [String: Int]
        public var totalFigures: Int
    }

    /// Clusters `figures` using `images`. O(n) plus the index joins.
    public static func run(
        figures: [FigureRecord], images: [ImageRecord], radius: Int,
        confirmRadius: Int? = defaultConfirmRadius, cropRadius: Int? = defaultCropRadius,
        detail: DetailThresholds? = defaultDetail, threads: Int
    ) -> Result {
        var byBlob = [String: ImageRecord]()
        for r in images { byBlob[r.sha256] = r }
        var unusable = [String: Int]()
        var blobIndex = [String: Int]()
        var blobs = [Blob]()
        var items = [Item]()
        for f in figures.sorted(by: { ItemID.sortKey($0.id).utf8.lexicographicallyPrecedes(ItemID.sortKey($1.id).utf8) }
        ) {
            guard f.status.isOK, let sha = f.sha256 else { unusable["figure-status", default: 0] += 1; continue }
            guard let img = byBlob[sha] else { unusable["not-hashed", default: 0] += 1; continue }
            if img.reject != nil { unusable["image-rejected", default: 0] += 1; continue }
            guard let hex = img.phash, let code = Hex.decode64(hex) else {
                unusable["no-phash", default: 0] += 1; continue
            }
            let b: Int
            if let known = blobIndex[sha] {
                b = known
            } else {
                b = blobs.count
                blobIndex[sha] = b
                blobs.append(
                    Blob(
                        sha256: sha, pixelSHA256: img.pixelSHA256, phash: code,
                        phash256: img.phash256.flatMap(ImageHashes.words256),
                        crops: img.crop256.flatMap(CropSignature.words),
                        thumb: img.thumb32.flatMap(AlignedDetail.parse),
                        pixels: (img.width ?? 0) * (img.height ?? 0)))
            }
            items.append(Item(id: f.id, article: f.pmcid, blob: b))
        }
        // Units: blobs with the same decoded pixels.
        var sets = UnionFind(blobs.count)
        var byPixels = [String: Int]()
        for (i, b) in blobs.enumerated() {
            guard let p = b.pixelSHA256 else { continue }
            if let first = byPixels[p] { sets.union(first, i) } else { byPixels[p] = i }
        }
        // Near pairs.
        var pairs = [HammingPair]()
        var candidates = 0
        if let limit = confirmRadius, !blobs.isEmpty, blobs.allSatisfy({ $0.phash256 != nil }) {
            let out = WideJoin.selfJoin(blobs.flatMap { $0.phash256! }, radius: limit, threads: threads)
            candidates = out.compared
            for m in out.matches {
                let d = PerceptualHash.distance(blobs[Int(m.a)].phash, blobs[Int(m.b)].phash)
                if d <= radius { pairs.append(HammingPair(i: m.a, j: m.b, distance: UInt8(d))) }
            }
        } else {
            let found = HammingIndex(blobs.map(\.phash)).pairs(radius: radius, threads: threads)
            candidates = found.count
            pairs = found.filter { p in
                guard let limit = confirmRadius, let a = blobs[Int(p.i)].phash256, let b = blobs[Int(p.j)].phash256
                else { return true }
                return distance256(a, b) <= limit
            }
        }
        // Crop and panel pairs.
        var crops = [CropPair]()
        var cropCandidates = 0
        if let limit = cropRadius, !blobs.isEmpty, blobs.allSatisfy({ $0.crops != nil }) {
            let w = CropSignature.windows.count, wpw = CropSignature.wordsPerWindow
            let queries = blobs.flatMap { $0.crops![0..<wpw] }
            let targets = blobs.flatMap { $0.crops![wpw...] }
            let perBlob = Int32(w - 1)
            let out = WideJoin.join(
                queries: queries, targets: targets, radius: limit, threads: threads,
                sameOwner: { q, t in q == t / perBlob })
            cropCandidates = out.compared
            var best = [Int64: CropPair]()
            for m in out.matches {
                let p = CropPair(
                    whole: m.a, windowed: m.b / perBlob, window: UInt8(m.b % perBlob + 1), distance: m.distance)
                let key = Int64(min(p.whole, p.windowed)) << 32 | Int64(max(p.whole, p.windowed))
                if let old = best[key], (old.distance, old.whole, old.window) <= (p.distance, p.whole, p.window) {
                    continue
                }
                best[key] = p
            }
            crops = best.values.sorted {
                (min($0.whole, $0.windowed), max($0.whole, $0.windowed)) < (
                    min($1.whole, $1.windowed), max($1.whole, $1.windowed)
                )
            }
        }
        // The detail check: every near, crop and panel edge between blobs that both have a thumbnail must align
        // and correlate (AlignedDetail); pairs whose blob lacks one keep the hash rule alone.
        var scored = [Scored]()
        if let threshold = detail {
            var jobs = [(a: Int, b: Int, match: Match, box: AlignedDetail.Box, slack: Double)]()
            for p in pairs { jobs.append((Int(p.i), Int(p.j), .near, .whole, nearSlack)) }
            for c in crops {
                let (x0, y0, x1, y1) = CropSignature.windows[Int(c.window)].box
                jobs.append((Int(c.whole), Int(c.windowed), c.match, AlignedDetail.Box(x0, y0, x1, y1), cropSlack))
            }
            let frozen = jobs, thumbs = blobs.map(\.thumb)
            let scores = Parallel.map(count: frozen.count, threads: threads, batch: 8) { k -> Double? in
                let j = frozen[k]
                guard let ta = thumbs[j.a], let tb = thumbs[j.b] else { return nil }
                return AlignedDetail.score(ta, tb, box: j.box, slack: j.slack)
            }
            var keepNear = [Bool](), keepCrop = [Bool]()
            for (k, j) in frozen.enumerated() {
                let ok = scores[k].map { $0 >= threshold.least(for: j.match) } ?? true
                if let s = scores[k] {
                    scored.append(Scored(a: Int32(j.a), b: Int32(j.b), match: j.match, score: s, kept: ok))
                }
                if k < pairs.count { keepNear.append(ok) } else { keepCrop.append(ok) }
            }
            pairs = zip(pairs, keepNear).filter(\.1).map(\.0)
            crops = zip(crops, keepCrop).filter(\.1).map(\.0)
        }
        // Units in keep order; each unplaced unit founds a cluster and takes its unplaced neighbours.
        var unitOf = [Int](repeating: 0, count: blobs.count)
        for b in blobs.indices { unitOf[b] = sets.find(b) }
        // Blob a before blob b in keep order. Blobs are numbered in the order of their first (smallest) item id.
        func better(_ a: Int, _ b: Int) -> Bool {
            blobs[a].pixels != blobs[b].pixels ? blobs[a].pixels > blobs[b].pixels : a < b
        }
        var unitBest = [Int: Int]()
        for b in blobs.indices {
            if let cur = unitBest[unitOf[b]], !better(b, cur) { continue }; unitBest[unitOf[b]] = b
        }
        var neighbours = [Int: [(Int, Match)]]()
        func edge(_ a: Int, _ b: Int, _ how: Match) {
            let ua = unitOf[a], ub = unitOf[b]
            guard ua != ub else { return }
            neighbours[ua, default: []].append((ub, how)); neighbours[ub, default: []].append((ua, how))
        }
        for p in pairs { edge(Int(p.i), Int(p.j), .near) }
        for c in crops { edge(Int(c.whole), Int(c.windowed), c.match) }
        let order = unitBest.keys.sorted { better(unitBest[$0]!, unitBest[$1]!) }
        var clusterOfUnit = [Int: Int]()  // unit → founding unit
        var unitJoin = [Int: Match]()
        for u in order where clusterOfUnit[u] == nil {
            clusterOfUnit[u] = u
            // Near beats crop beats panel when a unit has several edges to the representative.
            for (v, how) in (neighbours[u] ?? []).sorted(by: {
                Match.allCases.firstIndex(of: $0.1)! < Match.allCases.firstIndex(of: $1.1)!
            })
            where clusterOfUnit[v] == nil {
                clusterOfUnit[v] = u
                unitJoin[v] = how
            }
        }
        var joined = [String: Match]()
        var groups = [Int: [Int]]()  // founding unit → item indices
        for (k, item) in items.enumerated() { groups[clusterOfUnit[unitOf[item.blob]]!, default: []].append(k) }
        var clusters = [ClusterRecord]()
        clusters.reserveCapacity(groups.count)
        for (_, members) in groups {
            let keep = members.min { a, b in
                let pa = blobs[items[a].blob].pixels, pb = blobs[items[b].blob].pixels
                if pa != pb { return pa > pb }
                return ItemID.sortKey(items[a].id).utf8.lexicographicallyPrecedes(ItemID.sortKey(items[b].id).utf8)
            }!
            let keepBlob = blobs[items[keep].blob]
            let ids = members.map { items[$0].id }.sorted {
                ItemID.sortKey($0).utf8.lexicographicallyPrecedes(ItemID.sortKey($1).utf8)
            }
            let articles = Set(members.map { items[$0].article }).sorted { PMCID.sortKey($0) < PMCID.sortKey($1) }
            let maxDistance =
                members.map { PerceptualHash.distance(keepBlob.phash, blobs[items[$0].blob].phash) }.max() ?? 0
            let kind: String
            if members.count == 1 {
                kind = "single"
            } else {
                let identical = members.allSatisfy { m in
                    let b = blobs[items[m].blob]
                    return b.sha256 == keepBlob.sha256
                        || (b.pixelSHA256 != nil && b.pixelSHA256 == keepBlob.pixelSHA256)
                }
                kind = identical ? "exact" : "near"
            }
            for m in members where m != keep {
                let u = unitOf[items[m].blob]
                joined[items[m].id] = u == unitOf[items[keep].blob] ? .exact : unitJoin[u]!
            }
            clusters.append(
                ClusterRecord(
                    keep: items[keep].id, members: ids, articles: articles, kind: kind,
                    maxDistance: maxDistance))
        }
        clusters.sort { $0.sortKey.utf8.lexicographicallyPrecedes($1.sortKey.utf8) }
        return Result(
            clusters: clusters, items: items, blobs: blobs, nearPairs: pairs, cropPairs: crops,
            candidatePairs: candidates, cropCandidatePairs: cropCandidates, scored: scored, joined: joined,
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
    /// Default radius between a whole-image window code and another image's crop or half window: off (nil).
    /// The code alone pairs distinct figures of one kind on the synthetic corpus (their low-frequency layout is
    /// shared); the detail check behind it turns those down, but only at a threshold that also turns down most
    /// true crops, and the code join grows quadratically there (evidence in docs/pairdx-phash-v2.md), so the
    /// search stays opt-in (`--crop-radius 24`).
    public static let defaultCropRadius: Int? = nil
    /// The crop radius the evidence supports when the crop search is asked for.
    public static let suggestedCropRadius = 24
    /// Least detail correlation (`AlignedDetail.score`) that confirms an edge, per kind of edge.
    public struct DetailThresholds: Sendable, Equatable, Codable {
        public var near: Double, crop: Double, panel: Double
        public init(near: Double, crop: Double, panel: Double) {
            self.near = near; self.crop = crop; self.panel = panel
        }
        public func least(for m: Match) -> Double {
            switch m {
            case .exact: return -1
            case .near: return near
            case .crop: return crop
            case .panel: return panel
            }
        }
    }
    /// The detail check's thresholds, from the score distributions of true and false edges on the synthetic
    /// corpus (docs/pairdx-phash-v2.md §4); nil: no check.
    public static let defaultDetail: DetailThresholds? = DetailThresholds(near: 0.97, crop: 0.99, panel: 0.95)
    /// How far the detail check searches each edge of the region: whole-image pairs, and crop/panel windows
    /// (the window ladder's 2% steps plus an off-centre trim of up to 3.75%).
    static let nearSlack = 0.02, cropSlack = 0.05
}
