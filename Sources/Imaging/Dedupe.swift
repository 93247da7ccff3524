import Foundation
import PairDxCore

/// Duplicate clusters over figures (`pairdx dedupe`), the rules of `docs/pairdx-phash-v2.md` §2–3.
///
/// Edges between distinct blobs of usable figures:
/// - **exact**: the same bytes (one blob) or the same decoded pixels;
/// - **near**: 256-bit pHashes within `confirmRadius` (found directly by `WideJoin` on the 256-bit hashes)
///   and 64-bit pHashes within `radius` (both hashes must agree); when a blob has no 256-bit hash, or the
///   confirmation is off, 64-bit pHashes within `radius` (`HammingIndex`), confirmed where both have one;
/// - **crop** / **panel**: one blob's pixels are a trim (crop) or a half (panel) of the other's at the same scale:
///   their sizes fit (`SubImage.fit`), content-anchored keys vote for one offset where a share of the copy's anchors
///   lie on the original's (`AnchorKeys.matches`), and the pixels aligned there agree in detail (`SubImage.align`,
///   at least `detail`'s crop or panel threshold, or `manyVotes.least` when many keys voted: `keepsAligned`); a
///   crop of a smooth figure, whose anchors are noise, is proposed by the thumbnails instead and kept on its
///   pixels' 8×8 blocks (`SmoothCrops`). The same search finds a re-encoded copy of the same size (a
///   **near** edge, at least the crop threshold), which the hashes can miss when a lower JPEG quality turns many
///   256-bit signs. The images are decoded from `pixels`; without it, no crop search;
/// - with the crop search on and a detail check (`detail` not nil), also **near** by the pixel route: 64-bit
///   pHashes within `pixelRadius` that the hashes did not find, of one aspect ratio up to a pixel of rounding
///   (`sameAspect`: a rescaled or re-encoded copy keeps it) and with thumbnails that agree (`thumbnailsAgree`),
///   checked on the pixels below at the stricter `pixelRoute.least`;
/// - and, for near edges, the detail check: with the crop search on, on the planes of the decoded pixels
///   (`SubImage.nearScore`, kept by `keepsOnPlanes`: detail at least `detail`'s crop threshold, the whole planes at
///   least `pixelRoute.whole`, or a nearly flat copy within `flatCopy`); otherwise between blobs that both have a
///   thumbnail (`AlignedDetail.score` at least `detail`'s near threshold).
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
        /// The 32×32 thumbnail (`AlignedDetail`), when hashed with `pairdx-phash-v2`.
        public var thumb: [UInt8]?
        public var width: Int
        public var height: Int
        public var pixels: Int { width * height }
    }

    /// A candidate edge the detail check scored (`AlignedDetail.score`), kept or not.
    public struct Scored: Sendable {
        public var a: Int32
        public var b: Int32
        public var match: Match
        public var score: Double
        public var kept: Bool
    }

    /// How two blobs were found to be duplicates (`exact`, `near`, `crop`, `panel`).
    public typealias Match = DuplicateKind

    /// A crop or panel edge: `copy` is the pixels of `original` at (`x`, `y`), up to re-encoding noise.
    public struct CropPair: Sendable, Hashable {
        public var copy: Int32
        public var original: Int32
        /// `.crop` or `.panel`.
        public var match: Match
        /// Anchor keys that voted for the offset (`AnchorKeys.matches`).
        public var votes: Int32
        public var x: Int32, y: Int32
    }

    /// The bytes of a blob by its sha256, for the crop and panel confirmation (which decodes both images); nil
    /// when it cannot be read.
    public typealias PixelSource = @Sendable (String) -> Data?

    public struct Result: Sendable {
        public var clusters: [ClusterRecord]
        public var items: [Item]
        public var blobs: [Blob]
        /// Near blob pairs (indices into `blobs`, distance on the 64-bit pHash).
        public var nearPairs: [HammingPair]
        /// Confirmed crop and panel blob pairs, sorted by (copy, original).
        public var cropPairs: [CropPair]
        /// Point pairs the near search compared (the cost that grows with look-alike images).
        public var candidatePairs: Int
        /// 64-bit pHash pairs within `pixelRoute.radius` that the hashes did not find, checked on their pixels.
        public var pixelRoutePairs: Int = 0
        /// Anchor pairs with one key that the crop search compared (`AnchorKeys.matches`).
        public var cropCandidatePairs: Int
        /// Copy–original pairs whose sizes fit and whose anchors agreed on an offset: aligned on their pixels.
        public var cropAlignedPairs: Int
        /// Images the crop search decoded that have fewer than `AnchorKeys.sparse` anchors (flat figures).
        public var cropSparseImages: Int = 0
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
        confirmRadius: Int? = defaultConfirmRadius, cropSearch: Bool = defaultCropSearch,
        detail: DetailThresholds? = defaultDetail, pixelRadius: Int = pixelRoute.radius, threads: Int,
        pixels: PixelSource? = nil
    ) -> Result {
        var phases = Log.Phases("dedupe")
        var byBlob = [String: ImageRecord]()
        for r in images { byBlob[r.sha256] = r }
        var unusable = [String: Int]()
        var blobIndex = [String: Int]()
        var blobs = [Blob]()
        var items = [Item]()
        for f in figures.canonicallySorted(by: \.sortKey) {
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
                        thumb: img.thumb32.flatMap(AlignedDetail.parse),
                        width: img.width ?? 0, height: img.height ?? 0))
            }
            items.append(Item(id: f.id, article: f.pmcid, blob: b))
        }
        phases.mark("blobs (\(blobs.count) of \(items.count) usable figures)")
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
        phases.mark("near search on the hashes (\(pairs.count) pairs)")
        // With the crop search on and a detail check, the pixel route: 64-bit pHashes within `pixelRadius`
        // (negative: no pixel route) that the hash route did not find are near candidates too, checked on their pixels
        // (rescaled and re-encoded copies whose 256-bit hashes disagree).
        let onPixels = cropSearch && pixels != nil && !blobs.isEmpty
        var extra = [HammingPair]()
        if onPixels, detail != nil, pixelRadius >= 0 {
            let known = Set(pairs.map { Int($0.i) << 32 | Int($0.j) })
            let near = HammingIndex(blobs.map(\.phash)).pairs(radius: min(64, pixelRadius), threads: threads)
            let frozen = blobs
            let keep = Parallel.map(count: near.count, threads: threads, batch: 1024) { k -> Bool in
                let p = near[k], a = frozen[Int(p.i)], b = frozen[Int(p.j)]
                return !known.contains(Int(p.i) << 32 | Int(p.j)) && sameAspect(a, b) && thumbnailsAgree(a, b)
            }
            extra = zip(near, keep).compactMap { $1 ? $0 : nil }
            phases.mark("pixel route's candidates (\(extra.count) pairs)")
        }
        // Crop and panel pairs: anchors voting for one offset between images whose sizes fit, then the pixels
        // aligned there (SubImage, AnchorKeys). The same decode makes the near planes of the blobs in near pairs.
        var crops = [CropPair]()
        var cropCompared = 0, cropAligned = 0, cropSparse = 0
        var scored = [Scored]()
        var planes = [SubImage.NearPlane?](repeating: nil, count: onPixels ? blobs.count : 0)
        if onPixels, let pixels {
            let shas = blobs.map(\.sha256)
            // The blobs whose near planes the detail check reads (none without a check).
            var involved = [Bool](repeating: false, count: blobs.count)
            if detail != nil { for p in pairs + extra { involved[Int(p.i)] = true; involved[Int(p.j)] = true } }
            let wanted = involved
            // count nil: not decoded (no pixels at hand, or undecodable), which is not a sparse image.
            let decoded = Parallel.map(count: blobs.count, threads: threads, batch: 4) {
                i -> (count: Int?, keyed: AnchorKeys.Keyed, plane: SubImage.NearPlane?) in
                guard let data = pixels(shas[i]), let image = try? ImageDecoder.decode(data) else {
                    return (nil, [], nil)
                }
                // One luma conversion for both planes.
                let luma = Luma.plane(image), (w, h) = (image.width, image.height)
                let anchors = AnchorKeys.anchors(SubImage.Plane(luma: luma, width: w, height: h))
                let near = wanted[i] ? SubImage.NearPlane(luma: luma, width: w, height: h) : nil
                return (anchors.count, AnchorKeys.keyed(anchors), near)
            }
            planes = decoded.map(\.plane)
            phases.mark("decode and anchors (\(blobs.count) images, \(wanted.filter { $0 }.count) near planes)")
            let found = AnchorKeys.matches(
                sizes: blobs.map { SubImage.Size($0.width, $0.height) }, keyed: decoded.map(\.keyed),
                anchorCounts: decoded.map { $0.count ?? 0 }, threads: threads)
            cropCompared = found.compared
            cropSparse = decoded.filter { ($0.count ?? AnchorKeys.sparse) < AnchorKeys.sparse }.count
            cropAligned = found.votes.count
            phases.mark("anchor matches (\(found.compared) anchor pairs, \(found.votes.count) to align)")
            // Crops of smooth figures, which get no votes: proposed by their thumbnails (SmoothCrops).
            let smooth = SmoothCrops.candidates(
                blobs, known: Set(found.votes.map { Int($0.candidate.copy) << 32 | Int($0.candidate.original) }),
                threads: threads)
            cropAligned += smooth.count
            phases.mark("smooth crops' candidates (\(smooth.count) to align)")
            let thresholds = detail ?? defaultDetail!
            let aligned = SubImage.confirm(found.votes + smooth, shas: shas, pixels: pixels, threads: threads)
            phases.mark("alignment")
            for (k, (v, al)) in zip(found.votes + smooth, aligned).enumerated() {
                guard let al else { continue }
                let c = v.candidate
                let ok =
                    k < found.votes.count
                    ? keepsAligned(score: al.score, votes: v.votes, kind: c.kind, detail: thresholds)
                    : SmoothCrops.keeps(al)
                scored.append(Scored(a: c.copy, b: c.original, match: c.kind, score: al.score, kept: ok))
                if ok {
                    crops.append(
                        CropPair(
                            copy: c.copy, original: c.original, match: c.kind, votes: Int32(v.votes), x: Int32(al.x),
                            y: Int32(al.y)))
                }
            }
        }
        // The detail check of near pairs. With the crop search on, on the planes of their pixels (`keepsOnPlanes`);
        // otherwise on the 32×32 thumbnails (`AlignedDetail`) at least the near threshold. A pair of the hashes whose
        // images cannot be compared (no thumbnail, and no pixels that decode) keeps the hash rule alone; a
        // pixel-route pair without planes is dropped. The score kept for the report is the detail correlation.
        let hashPairs = pairs.count
        if let threshold = detail {
            let frozen = pairs + extra, thumbs = blobs.map(\.thumb), planeOf = planes
            let scores = Parallel.map(count: frozen.count, threads: threads, batch: 64) {
                k -> (score: Double, kept: Bool)? in
                let a = Int(frozen[k].i), b = Int(frozen[k].j)
                if !planeOf.isEmpty, let pa = planeOf[a], let pb = planeOf[b] {
                    let s = SubImage.nearScore(pa, pb)
                    return (s.detail, keepsOnPlanes(s, hashRoute: k < hashPairs, detail: threshold))
                }
                guard k < hashPairs, let ta = thumbs[a], let tb = thumbs[b] else { return nil }
                let score = AlignedDetail.score(ta, tb, box: .whole, slack: nearSlack)
                return (score, score >= threshold.least(for: .near))
            }
            pairs = []
            for (k, (p, score)) in zip(frozen, scores).enumerated() {
                guard let score else {
                    if k < hashPairs { pairs.append(p) }
                    continue
                }
                scored.append(Scored(a: Int32(p.i), b: Int32(p.j), match: .near, score: score.score, kept: score.kept))
                if score.kept { pairs.append(p) }
            }
            phases.mark("detail check of near pairs (\(frozen.count) pairs)")
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
        for c in crops { edge(Int(c.copy), Int(c.original), c.match) }
        let order = unitBest.keys.sorted { better(unitBest[$0]!, unitBest[$1]!) }
        var clusterOfUnit = [Int: Int]()  // unit → founding unit
        var unitJoin = [Int: Match]()
        for u in order where clusterOfUnit[u] == nil {
            clusterOfUnit[u] = u
            // Near beats crop beats panel when a unit has several edges to the representative.
            for (v, how) in (neighbours[u] ?? []).sorted(by: { $0.1.rank < $1.1.rank })
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
            let kind: DuplicateKind
            if members.count == 1 {
                kind = .single
            } else {
                let identical = members.allSatisfy { m in
                    let b = blobs[items[m].blob]
                    return b.sha256 == keepBlob.sha256
                        || (b.pixelSHA256 != nil && b.pixelSHA256 == keepBlob.pixelSHA256)
                }
                kind = identical ? .exact : .near
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
        clusters = clusters.canonicallySorted(by: \.sortKey)
        phases.mark("clusters (\(clusters.count))")
        return Result(
            clusters: clusters, items: items, blobs: blobs, nearPairs: pairs, cropPairs: crops,
            candidatePairs: candidates, pixelRoutePairs: extra.count, cropCandidatePairs: cropCompared,
            cropAlignedPairs: cropAligned, cropSparseImages: cropSparse,
            scored: scored, joined: joined,
            unusable: unusable, totalFigures: figures.count)
    }
}
