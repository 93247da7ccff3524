import Foundation
import PairDxCore

/// `dedupe-report.json`: what clustering found, with examples and, given the synthetic truth,
/// precision and recall. Canonical: sorted keys, rates rounded to 4 decimals, no timestamps.
public struct DedupeReport: Codable, Sendable {
    public struct Pair: Codable, Sendable, Equatable {
        public var a: String
        public var b: String
        public var distance: Int
        /// `exact` or `near`.
        public var kind: DuplicateKind
    }

    public struct Figures: Codable, Sendable {
        public var total: Int
        public var usable: Int
        /// Why the others were left out (`figure-status`, `image-rejected`, `not-hashed`, `no-phash`).
        public var unusable: [String: Int]
    }

    public struct Clusters: Codable, Sendable {
        public var count: Int
        public var singletons: Int
        public var exact: Int
        public var near: Int
        public var crossArticle: Int
        /// Figures beyond the kept one in each cluster.
        public var duplicatesDropped: Int
        /// Cluster size → number of clusters.
        public var sizeHistogram: [String: Int]
        /// Members of the largest cluster.
        public var largest: Int
        /// Figures joined to their representative, by how (`exact`, `near`, `crop`, `panel`).
        public var joinedBy: [String: Int]
    }

    public struct Rate: Codable, Sendable, Equatable {
        public var hits: Int
        public var total: Int
        public var rate: Double?
        init(_ hits: Int, _ total: Int) {
            self.hits = hits; self.total = total
            rate = total == 0 ? nil : (Double(hits) / Double(total) * 10_000).rounded() / 10_000
        }
    }

    public struct Truth: Codable, Sendable {
        /// Share of predicted same-cluster pairs that the truth groups join (exact = identical content), and
        /// (`joined:crop`, …) of member–representative pairs by how the member joined.
        public var precision: [String: Rate]
        /// Share of truth pairs (both figures usable) that ended in one cluster, by kind (`exact`, `near`,
        /// `near:rescaled`, …).
        public var recall: [String: Rate]
        /// pHash distance → number of truth near-duplicate pairs at that distance.
        public var nearPairDistances: [String: Int]
        /// pHash distance (≤ 16) → number of pairs of distinct figures of one article at that distance.
        public var distinctSameArticleDistances: [String: Int]
        /// Truth pairs left out because a member is not usable.
        public var pairsWithUnusableMember: Int
        public var falsePositives: [Pair]
        public var missed: [Pair]
        /// Detail scores of the edges the detail check saw, by kind and truth (`crop:true`, `near:false`, …):
        /// score rounded down to 0.01 → edges.
        public var detailScores: [String: [String: Int]]
    }

    public var schema = "pairdx-dedupe-report/2"
    public var hash = "phash"
    public var spec = HashMode.v2.rawValue
    public var radius: Int
    /// Radius on the 256-bit pHash that confirms a candidate pair (nil: no confirmation).
    public var confirmRadius: Int?
    /// Whether crops and panels were searched (anchor keys, then pixel alignment).
    public var cropSearch: Bool
    /// Least detail correlation that confirms an edge, per kind (nil: no thumbnail check of near edges; crop and
    /// panel edges are then held to the default thresholds).
    public var detail: Dedupe.DetailThresholds?
    /// Hash pairs the near search compared, and the near pairs found (both hashes within their radius).
    public var candidatePairs: Int
    public var confirmedPairs: Int
    /// 64-bit pHash pairs the pixel route added as near candidates (`Dedupe.pixelRoute`; nil: no crop search).
    public var pixelRoutePairs: Int?
    /// Copy–original pairs whose sizes fit a trim or a half, those whose window codes also agree (aligned on
    /// their pixels), and the crop/panel blob pairs confirmed.
    public var cropCandidatePairs: Int
    public var cropAlignedPairs: Int
    /// Images with fewer than `AnchorKeys.sparse` anchors (nil: no crop search).
    public var cropSparseImages: Int?
    public var cropPairs: Int
    /// Edges the detail check turned down, by kind (`near`, `crop`, `panel`).
    public var detailRejected: [String: Int]
    public var figures: Figures
    public var clusters: Clusters
    /// pHash distance → number of distinct-blob pairs found within the radius.
    public var nearPairDistances: [String: Int]
    /// Up to 20 kept-member pairs, farthest first: the ones worth a look.
    public var examplePairs: [Pair]
    public var truth: Truth?
}

extension DedupeReport {
    static func byID(_ a: String, _ b: String) -> Bool {
        ItemID.sortKey(a).utf8.lexicographicallyPrecedes(ItemID.sortKey(b).utf8)
    }

    /// Builds the report from a clustering result (and the truth, when given).
    public static func make(
        _ r: Dedupe.Result, radius: Int, confirmRadius: Int? = Dedupe.defaultConfirmRadius,
        cropSearch: Bool = Dedupe.defaultCropSearch, detail: Dedupe.DetailThresholds? = Dedupe.defaultDetail,
        truth: SynthTruth?
    ) -> DedupeReport {
        var joinedBy = [String: Int]()
        for (_, how) in r.joined { joinedBy[how.rawValue, default: 0] += 1 }
        var sizes = [String: Int]()
        for c in r.clusters { sizes[String(c.members.count), default: 0] += 1 }
        let clusters = Clusters(
            count: r.clusters.count, singletons: r.clusters.filter { $0.kind == .single }.count,
            exact: r.clusters.filter { $0.kind == .exact }.count,
            near: r.clusters.filter { $0.kind == .near }.count,
            crossArticle: r.clusters.filter(\.crossArticle).count,
            duplicatesDropped: r.clusters.reduce(0) { $0 + $1.members.count - 1 },
            sizeHistogram: sizes, largest: r.clusters.map(\.members.count).max() ?? 0,
            joinedBy: joinedBy)
        var distances = [String: Int]()
        for p in r.nearPairs { distances[String(p.distance), default: 0] += 1 }
        let index = Dictionary(uniqueKeysWithValues: r.items.map { ($0.id, $0) })
        func pair(_ a: String, _ b: String) -> Pair {
            let (x, y) = byID(a, b) ? (a, b) : (b, a)
            let ba = r.blobs[index[x]!.blob], bb = r.blobs[index[y]!.blob]
            let same = ba.sha256 == bb.sha256 || (ba.pixelSHA256 != nil && ba.pixelSHA256 == bb.pixelSHA256)
            return Pair(
                a: x, b: y, distance: PerceptualHash.distance(ba.phash, bb.phash), kind: same ? .exact : .near)
        }
        var examples = [Pair]()
        for c in r.clusters where c.members.count > 1 {
            for m in c.members where m != c.keep { examples.append(pair(c.keep, m)) }
        }
        examples.sort {
            ($0.distance, ItemID.sortKey($1.a), ItemID.sortKey($1.b)) > (
                $1.distance, ItemID.sortKey($0.a), ItemID.sortKey($0.b)
            )
        }
        let figures = Figures(total: r.totalFigures, usable: r.items.count, unusable: r.unusable)
        var rejected = [String: Int]()
        for s in r.scored where !s.kept { rejected[s.match.rawValue, default: 0] += 1 }
        return DedupeReport(
            radius: radius, confirmRadius: confirmRadius, cropSearch: cropSearch, detail: detail,
            candidatePairs: r.candidatePairs, confirmedPairs: r.nearPairs.count,
            pixelRoutePairs: cropSearch ? r.pixelRoutePairs : nil,
            cropCandidatePairs: r.cropCandidatePairs, cropAlignedPairs: r.cropAlignedPairs,
            cropSparseImages: cropSearch ? r.cropSparseImages : nil,
            cropPairs: r.cropPairs.count, detailRejected: rejected,
            figures: figures, clusters: clusters, nearPairDistances: distances,
            examplePairs: Array(examples.prefix(20)), truth: truth.map { evaluate(r, truth: $0, pair: pair) })
    }

    static func evaluate(_ r: Dedupe.Result, truth: SynthTruth, pair: (String, String) -> Pair) -> Truth {
        let usable = Set(r.items.map(\.id))
        var clusterOf = [String: Int]()
        for (k, c) in r.clusters.enumerated() { for m in c.members { clusterOf[m] = k } }
        // Truth components over all ids named in any group.
        var names = [String: Int]()
        func slot(_ id: String) -> Int {
            if let s = names[id] { return s }
            names[id] = names.count
            return names.count - 1
        }
        var groups: [(kind: String, ids: [String])] = truth.exactDuplicateGroups.map { ("exact", $0) }
        groups += truth.nearDuplicateGroups.map { ("near:" + $0.how, $0.ids) }
        for g in groups { for id in g.ids { _ = slot(id) } }
        var sets = UnionFind(names.count)
        for g in groups { for id in g.ids.dropFirst() { sets.union(slot(g.ids[0]), slot(id)) } }
        func together(_ a: String, _ b: String) -> Bool {
            guard let x = names[a], let y = names[b] else { return false }
            return sets.find(x) == sets.find(y)
        }
        // Recall over truth pairs, by kind.
        var recallHits = [String: Int](), recallTotal = [String: Int]()
        var excluded = 0
        var missed = [Pair]()
        var nearDistances = [String: Int]()
        for g in groups {
            let ids = g.ids
            for x in 0..<ids.count {
                for y in (x + 1)..<ids.count {
                    let a = ids[x], b = ids[y]
                    guard usable.contains(a), usable.contains(b) else { excluded += 1; continue }
                    let hit = clusterOf[a] == clusterOf[b]
                    let p = pair(a, b)
                    for key in Set([g.kind, g.kind.hasPrefix("near") ? "near" : "exact"]) {
                        recallTotal[key, default: 0] += 1
                        if hit { recallHits[key, default: 0] += 1 }
                    }
                    if g.kind.hasPrefix("near") { nearDistances[String(p.distance), default: 0] += 1 }
                    if !hit { missed.append(p) }
                }
            }
        }
        // Precision over predicted pairs.
        var precHits = ["exact": 0, "near": 0, "all": 0], precTotal = ["exact": 0, "near": 0, "all": 0]
        var falsePositives = [Pair]()
        for c in r.clusters where c.members.count > 1 {
            for x in 0..<c.members.count {
                for y in (x + 1)..<c.members.count {
                    let p = pair(c.members[x], c.members[y])
                    let ok = together(p.a, p.b)
                    for key in [p.kind.rawValue, "all"] {
                        precTotal[key, default: 0] += 1
                        if ok { precHits[key, default: 0] += 1 }
                    }
                    if !ok { falsePositives.append(p) }
                }
            }
        }
        // Member–representative pairs by how the member joined.
        for c in r.clusters where c.members.count > 1 {
            for m in c.members where m != c.keep {
                guard let how = r.joined[m] else { continue }
                let key = "joined:" + how.rawValue
                precTotal[key, default: 0] += 1
                if together(m, c.keep) { precHits[key, default: 0] += 1 }
            }
        }
        // Distinct figures of one article: how close do they come?
        var sameArticle = [String: Int]()
        var byArticle = [String: [String]]()
        for item in r.items { byArticle[item.article, default: []].append(item.id) }
        for (_, ids) in byArticle {
            for x in 0..<ids.count {
                for y in (x + 1)..<ids.count where !together(ids[x], ids[y]) {
                    let p = pair(ids[x], ids[y])
                    if p.distance <= 16 { sameArticle[String(p.distance), default: 0] += 1 }
                }
            }
        }
        // Scored edges by (kind, truth, score rounded down to 0.01): counted on integers, named once per bucket
        // (there are millions of edges with the pixel route). A blob's truth component is its first item's.
        // -1: a blob no usable item has; -2 - blob: a blob outside every truth group.
        var componentOfBlob = [Int](repeating: -1, count: r.blobs.count)
        for item in r.items where componentOfBlob[item.blob] == -1 {
            componentOfBlob[item.blob] = names[item.id].map { sets.find($0) } ?? -2 - item.blob
        }
        struct Bucket: Hashable { var match: Dedupe.Match; var together: Bool; var score: Int }
        var buckets = [Bucket: Int]()
        for s in r.scored {
            let ca = componentOfBlob[Int(s.a)], cb = componentOfBlob[Int(s.b)]
            guard ca != -1, cb != -1 else { continue }
            let score = s.score.isFinite ? Int((s.score * 100).rounded(.down)) : Int.min
            buckets[Bucket(match: s.match, together: ca >= 0 && ca == cb, score: score), default: 0] += 1
        }
        var detailScores = [String: [String: Int]]()
        for (b, n) in buckets {
            let name = b.score == Int.min ? "nan" : String(format: "%.2f", Double(b.score) / 100)
            detailScores["\(b.match.rawValue):\(b.together)", default: [:]][name] = n
        }
        func order(_ a: Pair, _ b: Pair) -> Bool {
            (ItemID.sortKey(a.a), ItemID.sortKey(a.b)) < (ItemID.sortKey(b.a), ItemID.sortKey(b.b))
        }
        var precision = [String: Rate](), recall = [String: Rate]()
        for (k, t) in precTotal { precision[k] = Rate(precHits[k] ?? 0, t) }
        for (k, t) in recallTotal { recall[k] = Rate(recallHits[k] ?? 0, t) }
        return Truth(
            precision: precision, recall: recall, nearPairDistances: nearDistances,
            distinctSameArticleDistances: sameArticle, pairsWithUnusableMember: excluded,
            falsePositives: Array(falsePositives.sorted(by: order).prefix(20)),
            missed: Array(missed.sorted(by: order).prefix(20)), detailScores: detailScores)
    }
}

extension Dedupe {
    /// The `dedupe` stage over a work directory: reads `figures.jsonl` and `images.jsonl`, writes `clusters.jsonl`
    /// and `dedupe-report.json`, and returns the report.
    public static func runStage(
        work: WorkDirectory, radius: Int, confirmRadius: Int? = defaultConfirmRadius,
        cropSearch: Bool = defaultCropSearch, detail: DetailThresholds? = defaultDetail, threads: Int,
        truth: SynthTruth? = nil
    ) throws -> DedupeReport {
        for f in [work.figures, work.images] where !FileSystem.exists(f) {
            throw PairDxError.io(
                "\(f) does not exist: run 'pairdx fetch' and 'pairdx hash' with --work \(work.root) first")
        }
        var phases = Log.Phases("dedupe")
        let figures = try JSONL.read(FigureRecord.self, from: work.figures, threads: threads)
        let images = try JSONL.read(ImageRecord.self, from: work.images, threads: threads)
        phases.mark("reading \(figures.count) figures and \(images.count) images")
        let store = work.blobs
        let result = run(
            figures: figures, images: images, radius: radius, confirmRadius: confirmRadius,
            cropSearch: cropSearch, detail: detail, threads: threads, pixels: { try? store.read($0) })
        phases.restart()
        try JSONL.write(result.clusters, to: work.clusters, sortedBy: \.sortKey)
        let report = DedupeReport.make(
            result, radius: radius, confirmRadius: confirmRadius, cropSearch: cropSearch, detail: detail, truth: truth)
        try AtomicFile.write(try CanonicalJSON.encode(report, pretty: true), to: work.dedupeReport)
        phases.mark("clusters and report written")
        return report
    }
}
