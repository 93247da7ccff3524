import Curation
import Foundation
import Imaging
import Ingest
import PairDxCore

/// Where a rebuild's candidate articles come from.
public enum CandidateOrigin: String, Codable, Sendable, CaseIterable {
    /// `--ids FILE` when given, else the recipe's esearch query when it has one, else the source's listing.
    case auto
    case ids
    /// The recipe's `sources[].query`, searched with esearch over PMC.
    case query
    /// Every article version the source lists (S3 ListObjectsV2 or a directory).
    case listing
}

/// The order a rebuild fetches in.
public enum FetchOrder: String, Codable, Sendable, CaseIterable {
    /// Metadata and JATS in seeded batches, captions labelled, media only for labelled figures, until every class
    /// has the recipe's target of usable figures.
    case captionFirst = "caption-first"
    /// Every figure's media of every candidate, then hash, dedupe and label (the embedded demo's order).
    case allMedia = "all-media"
}

/// Limits that stop a scan cleanly with a resumable state.
public struct ScanBudget: Sendable, Equatable {
    public var maxArticles: Int?
    public var maxRequests: Int?
    /// Bytes downloaded.
    public var maxDownload: Int?
    public init(maxArticles: Int? = nil, maxRequests: Int? = nil, maxDownload: Int? = nil) {
        self.maxArticles = maxArticles; self.maxRequests = maxRequests; self.maxDownload = maxDownload
    }
}

/// The caption-first scan of a real source.
///
/// Candidates are ordered by a keyed hash of (recipe seed, PMCID), so any prefix of the order is a uniform sample
/// and a rerun scans the same prefix. Batches of that order are fetched metadata + JATS first (the caption phase);
/// each figure's caption is labelled by the recipe's rules, and the per-class media cap (`MediaCap`) picks which
/// labelled figures get their media asked for (the media phase): the first ⌈need · (1 + margin)⌉ of each class in scan
/// order, topped up while observed losses (media missing, undecodable, duplicates) leave a class short. Blobs are
/// hashed (each once), deduplicated and labelled over the selection, and scanning stops when every class has the
/// recipe's `perClass` usable figures. Captions of later batches are fetched until the rare classes are full; media of
/// classes already covered are not. The next batch's size is the articles the observed per-class yield says are still
/// needed, raised by the share of selected figures lost so far; a batch that falls short is followed by another.
///
/// The split is built from the shortest prefix that meets the target, found by bisection between the last prefix
/// known short and the first known full. A prefix's selection is a function of its records only, so the split does not
/// depend on batch sizes, on interruptions (the state and the fetch journal resume a killed scan) or on how the caption
/// phase was spread over shards.
public struct CaptionFirstScan {
    public var work: WorkDirectory
    public var recipe: Recipe
    public var source: Source
    public var client: HTTPClient
    public var threads: Int
    public var budget = ScanBudget()
    /// First batch size in articles (later ones are estimated).
    public var firstBatch = 200
    public var allowShort = false
    /// In one process, or with the caption phase spread over shards (see `ShardedScan`).
    public var sharding: ScanSharding = .none

    public init(work: WorkDirectory, recipe: Recipe, source: Source, client: HTTPClient, threads: Int) {
        self.work = work; self.recipe = recipe; self.source = source; self.client = client; self.threads = threads
    }

    public var statePath: String { work.path("scan-state.json") }

    /// The seeded scan order: keyed hash of (recipe seed, PMCID), ties by PMCID.
    public static func order(_ candidates: [Candidate], seed: UInt64) -> [Candidate] {
        Discoverer.dedupe(candidates)
            .map { (KeyedHash.value(seed: seed, domain: "scan-order", id: $0.pmcid), $0) }
            .sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1.sortKey < $1.1.sortKey }
            .map(\.1)
    }

    /// One evaluated prefix: usable per class and what the media phase asked for.
    struct Probe {
        var usable: [String: Int]
        /// Figures whose media were asked for (selected by the media cap; before decode and dedupe).
        var mediaSelected: Int
        var usableTotal: Int
        var figures = 0
        /// The media cap's allowance per class, and the length of each class's queue (labelled figures whose media
        /// can be asked for).
        var allowance: [String: Int] = [:]
        var queued: [String: Int] = [:]
    }

    /// The records of a prefix after its caption phase: metadata and JATS read, no media asked for.
    struct Captions {
        var prefix: [Candidate]
        var articles: [ArticleRecord]
        var figures: [FigureRecord]
    }

    /// The fetcher of the caption phase (media of no figure) whose `fetchMedia` runs the media phase; one per scan,
    /// so each unversioned article's version is listed once.
    func makeFetcher() throws -> Fetcher {
        try Fetcher(source: source, work: work, client: client, wantsMedia: { _ in false })
    }

    /// The caption phase of `prefix` in this process (journalled downloads are not asked again).
    func captions(_ prefix: [Candidate], fetcher: Fetcher) async throws -> Captions {
        try JSONL.write(prefix, to: work.candidates, sortedBy: \.sortKey)
        _ = try await fetcher.run(prefix)
        return Captions(
            prefix: prefix, articles: try JSONL.read(ArticleRecord.self, from: work.articles),
            figures: try JSONL.read(FigureRecord.self, from: work.figures))
    }

    /// The media phase of a prefix: the media cap's rounds of select → fetch → hash → dedupe → label, until every
    /// class is full or its queue is used up. The work files then describe exactly this prefix and its selection.
    func media(_ c: Captions, fetcher: Fetcher, reuse: inout [String: ImageRecord]) async throws -> Probe {
        let position = Dictionary(c.prefix.enumerated().map { ($1.pmcid, $0) }, uniquingKeysWith: { a, _ in a })
        var cap = MediaCap(figures: c.figures, position: position, recipe: recipe)
        try JSONL.write(c.prefix, to: work.candidates, sortedBy: \.sortKey)
        try JSONL.write(c.articles, to: work.articles, sortedBy: \.sortKey)
        while true {
            let selected = cap.selected, heldBack = cap.heldBack
            var figures = try await fetcher.fetchMedia(c.figures, selected: selected)
            for i in figures.indices where heldBack.contains(figures[i].id) { figures[i].status = .classCovered }
            try JSONL.write(figures, to: work.figures, sortedBy: \.sortKey)
            _ = try HashStage.run(work: work, threads: threads, reuse: reuse)
            for r in try JSONL.read(ImageRecord.self, from: work.images) { reuse[r.sha256] = r }
            var probe = try judge()
            probe.mediaSelected = selected.count
            probe.allowance = cap.allowance
            probe.queued = cap.queues.mapValues(\.count)
            if !cap.topUp(usable: probe.usable) { return probe }
        }
    }

    /// Fetches `prefix` caption-first in this process: captions, then the capped media.
    func evaluate(_ prefix: [Candidate], fetcher: Fetcher, reuse: inout [String: ImageRecord]) async throws -> Probe {
        try await media(try await captions(prefix, fetcher: fetcher), fetcher: fetcher, reuse: &reuse)
    }

    /// Deduplicates and labels the prefix the work files hold, and counts what it gives.
    func judge() throws -> Probe {
        _ = try Dedupe.runStage(
            work: work, radius: recipe.dedupe.radius, cropSearch: recipe.dedupe.cropSearch, threads: threads)
        let summary = try LabelStage.run(work: work, recipe: recipe)
        let figures = try JSONL.read(FigureRecord.self, from: work.figures)
        return Probe(
            usable: summary.perClass, mediaSelected: 0, usableTotal: summary.labelled, figures: figures.count)
    }

    /// sha256 of the seeded order (recipe seed + candidate ids): the key every scan state is checked against.
    static func digest(_ order: [Candidate], seed: UInt64) -> String {
        let h = Hasher256()
        h.update("seed\t\(seed)\n")
        for c in order { h.update("\(c.pmcid)\t\(c.version.map(String.init) ?? "")\n") }
        return h.finalizeHex()
    }

    public func run(candidates: [Candidate]) async throws -> ScanState {
        let order = CaptionFirstScan.order(candidates, seed: recipe.seed)
        let orderDigest = CaptionFirstScan.digest(order, seed: recipe.seed)

        var state = ScanState(
            order: orderDigest, candidates: order.count, scanned: 0, kept: nil, batches: 0,
            requests: 0, bytes: 0, seconds: 0, stoppedBy: nil, usable: [:])
        // What the shard tasks of a cluster run covered: the finish job scans nothing itself.
        var limit: (articles: Int, reason: String)?
        var merged: ShardedScan.Merged?
        switch sharding {
        case .outputs(let n):
            let m = try ShardedScan.Merged.load(work: work, shards: n, order: orderDigest)
            merged = m
            state.scanned = m.covered
            limit = (m.covered, m.stoppedBy)
            Log.info(
                "[scan] \(n) shard tasks covered the first \(m.covered) of \(order.count) articles of the seeded order")
        case .none, .processes:
            if let data = try? FileSystem.read(statePath),
                let old = try? JSONDecoder().decode(ScanState.self, from: data),
                old.order == orderDigest
            {
                state = old
                state.stoppedBy = nil; state.kept = nil
                Log.info("[scan] resuming: \(old.scanned) of \(old.candidates) articles scanned before")
            }
        }
        if case .processes = sharding {
            let stale = try ShardMerge.removeShardOutputs(work: work)
            if !stale.isEmpty {
                Log.info(
                    "[scan] removed \(stale.count) shard file(s) of an earlier run: \(stale.joined(separator: ", "))")
            }
        }
        let need = recipe.balance.policy == .target ? recipe.balance.perClass : nil
        let classes = recipe.classes.map(\.name)
        func full(_ p: Probe) -> Bool { need.map { n in classes.allSatisfy { (p.usable[$0] ?? 0) >= n } } ?? false }

        let fetcher = try makeFetcher()
        if let m = merged { fetcher.remember(listed: m.listed) }
        var reuse =
            FileSystem.exists(work.images)
            ? Dictionary(
                try JSONL.read(ImageRecord.self, from: work.images).map { ($0.sha256, $0) },
                uniquingKeysWith: { a, _ in a }) : [:]
        let statsBefore = client.stats
        let t0 = Date().timeIntervalSince1970
        let (baseRequests, baseBytes, baseSeconds) = (state.requests, state.bytes, state.seconds)
        let (baseKinds, baseRetries) = (state.requestsByKind ?? [:], state.retries ?? 0)
        /// Requests, bytes and seconds so far: this process's (the media phase, and everything unsharded) on top of
        /// an earlier run's, or of what every shard task recorded (their states accumulate across reruns).
        func spent() -> (requests: Int, bytes: Int, seconds: Double) {
            let s = client.stats
            let (requests, bytes) = merged.map { ($0.requests, $0.bytes) } ?? (baseRequests, baseBytes)
            return (
                requests + s.requests - statsBefore.requests, bytes + s.bytes - statsBefore.bytes,
                baseSeconds + Date().timeIntervalSince1970 - t0
            )
        }
        func record(_ p: Probe) {
            (state.requests, state.bytes, state.seconds) = spent()
            let s = client.stats
            var kinds = merged?.requestsByKind ?? baseKinds
            for (k, n) in s.byKind { kinds[k, default: 0] += n - (statsBefore.byKind[k] ?? 0) }
            state.requestsByKind = kinds.filter { $0.value > 0 }
            state.retries = (merged?.retries ?? baseRetries) + s.retries - statsBefore.retries
            state.usable = p.usable
            state.mediaAllowance = p.allowance
        }
        var lastProbed = -1
        func probe(_ k: Int) async throws -> Probe {
            lastProbed = k
            switch sharding {
            case .none:
                return try await evaluate(Array(order.prefix(k)), fetcher: fetcher, reuse: &reuse)
            case .processes(let p):
                if merged == nil || merged!.covered < k {
                    try p.scan(articles: k)
                    merged = try ShardedScan.Merged.load(work: work, shards: p.shards, order: orderDigest)
                    fetcher.remember(listed: merged!.listed)
                }
                return try await media(merged!.captions(Array(order.prefix(k))), fetcher: fetcher, reuse: &reuse)
            case .outputs:
                return try await media(merged!.captions(Array(order.prefix(k))), fetcher: fetcher, reuse: &reuse)
            }
        }
        func save() throws { try AtomicFile.write(try CanonicalJSON.encode(state, pretty: true), to: statePath) }
        // One line for the whole scan: redrawn on a terminal (the fetch and hash of each batch show inside it),
        // a summary every 30 s and one at the end otherwise.
        let progress = Progress("[scan]", total: nil)
        progress.claimLine()
        defer { progress.finish() }
        func line(_ p: Probe, k: Int) {
            let s = spent()
            let rate = s.seconds > 0 ? Double(k) / s.seconds : 0
            var eta = ""
            if let n = need, k > 0 {
                let left =
                    classes.map { c -> Double in
                        let have = p.usable[c] ?? 0
                        return have >= n ? 0 : (have == 0 ? .infinity : Double(n - have) * Double(k) / Double(have))
                    }.max() ?? 0
                eta = left.isFinite && rate > 0 ? String(format: ", ETA %.0f s", left / rate) : ", ETA unknown"
            }
            progress.status(
                classes.map { c in "\(c) \(p.usable[c] ?? 0)/\(need.map(String.init) ?? "-")" }.joined(separator: ", ")
                    + String(
                        format: "; %d/%d articles, %d requests, %d bytes, %.1f articles/s", k, order.count, s.requests,
                        s.bytes, rate) + eta)
        }

        var k = state.scanned
        var current = k > 0 ? try await probe(k) : Probe(usable: [:], mediaSelected: 0, usableTotal: 0, figures: 0)
        var lastShort = full(current) ? 0 : k
        while !full(current) {
            if k >= order.count { state.stoppedBy = need == nil ? "all" : "exhausted"; break }
            if let l = limit, k >= l.articles { state.stoppedBy = l.reason; break }
            let s = spent()
            if let m = budget.maxArticles, k >= m { state.stoppedBy = "--max-articles \(m)"; break }
            if let m = budget.maxRequests, s.requests >= m { state.stoppedBy = "--max-requests \(m)"; break }
            if let m = budget.maxDownload, s.bytes >= m { state.stoppedBy = "--max-download \(m)"; break }
            var batch = firstBatch
            if let n = need, k > 0 {
                // Per-class yield so far, and the share of the selected figures lost on the way to usable.
                let loss =
                    current.mediaSelected > 0
                    ? max(0, 1 - Double(current.usableTotal) / Double(current.mediaSelected)) : 0
                let want =
                    classes.map { c -> Double in
                        let have = current.usable[c] ?? 0
                        if have >= n { return 0 }
                        if have == 0 { return Double(k) }  // nothing yet: double the prefix
                        return Double(n - have) * Double(k) / Double(have) * (1 + loss)
                    }.max() ?? Double(firstBatch)
                // At least a twentieth of the prefix, at most double it: a small sample's yield is a rough guide.
                batch = min(max(Int(want.rounded(.up)), max(20, k / 20)), max(2 * k, firstBatch))
            }
            if let m = budget.maxArticles { batch = min(batch, m - k) }
            lastShort = k
            k = min(order.count, k + batch)
            current = try await probe(k)
            state.batches += 1
            state.scanned = k
            record(current)
            try save()
            line(current, k: k)
        }
        if full(current) {
            // The shortest full prefix, whatever the batches were.
            var lo = lastShort, hi = k
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2
                let p = try await probe(mid)
                if full(p) { hi = mid; current = p } else { lo = mid }
            }
            if lastProbed != hi { current = try await probe(hi) }
            state.kept = hi
            state.stoppedBy = "target"
        } else {
            state.kept = k
        }
        record(current)
        try save()
        line(current, k: state.kept ?? k)
        progress.finish()
        Log.info(
            "[scan] stopped by \(state.stoppedBy ?? "?"): split built from the first \(state.kept ?? 0) of \(order.count) articles "
                + "(\(state.scanned) scanned, \(state.batches) batches, \(state.requests) requests, \(state.bytes) bytes)"
        )
        return state
    }
}
