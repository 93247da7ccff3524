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
/// and a rerun scans the same prefix. Batches of that order are fetched metadata + JATS first; each figure's caption
/// is labelled by the recipe's rules and only labelled figures' media are requested; blobs are hashed (each once),
/// deduplicated and labelled over the whole prefix scanned so far. Scanning stops when every class has the recipe's
/// `perClass` usable figures (after decode, size checks and dedupe). The next batch's size is the articles the
/// observed per-class yield says are still needed, raised by the share of labelled figures lost so far (media
/// missing, undecodable, duplicates) — the margin learned from the losses; a batch that falls short is simply
/// followed by another (top-up).
///
/// The split is built from the shortest prefix that meets the target, found by bisection between the last prefix
/// known short and the first known full, so it does not depend on batch sizes, on interruptions (the state and the
/// fetch journal resume a killed scan) or on how the fetching was spread.
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
    /// In one process, or spread over shards (see `ShardedScan`).
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

    /// One evaluated prefix: usable per class and what the caption stage promised.
    struct Probe {
        var usable: [String: Int]
        /// Figures whose caption received a class (before media, decode and dedupe).
        var captionLabelled: Int
        var usableTotal: Int
        var figures = 0
    }

    /// The caption-first media rule: a figure's media are fetched only when the recipe's rules give its caption a class.
    static func mediaRule(_ recipe: Recipe) -> @Sendable (FigureRecord) -> Bool {
        let labeler = Labeler(recipe: recipe)
        return { labeler.label(caption: $0.caption).class != nil }
    }

    /// Fetches `prefix` caption-first (journalled downloads are not asked again), hashes new blobs, deduplicates
    /// and labels; the work files then describe exactly this prefix.
    func evaluate(_ prefix: [Candidate], reuse: inout [String: ImageRecord]) async throws -> Probe {
        try JSONL.write(prefix, to: work.candidates, sortedBy: \.sortKey)
        let fetcher = try Fetcher(
            source: source, work: work, client: client, wantsMedia: CaptionFirstScan.mediaRule(recipe))
        _ = try await fetcher.run(prefix)
        _ = try HashStage.run(work: work, threads: threads, reuse: reuse)
        for r in try JSONL.read(ImageRecord.self, from: work.images) { reuse[r.sha256] = r }
        return try judge()
    }

    /// Deduplicates and labels the prefix the work files hold, and counts what it gives.
    func judge() throws -> Probe {
        _ = try Dedupe.runStage(work: work, radius: recipe.dedupe.radius, threads: threads)
        let summary = try LabelStage.run(work: work, recipe: recipe)
        let figures = try JSONL.read(FigureRecord.self, from: work.figures)
        let wants = CaptionFirstScan.mediaRule(recipe)
        let promised = figures.filter { $0.status != FetchStatus.captionUnlabelled && wants($0) }.count
        return Probe(
            usable: summary.perClass, captionLabelled: promised, usableTotal: summary.labelled, figures: figures.count)
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

        var reuse =
            FileSystem.exists(work.images)
            ? Dictionary(
                try JSONL.read(ImageRecord.self, from: work.images).map { ($0.sha256, $0) },
                uniquingKeysWith: { a, _ in a }) : [:]
        let statsBefore = client.stats
        let t0 = Date().timeIntervalSince1970
        let (baseRequests, baseBytes, baseSeconds) = (state.requests, state.bytes, state.seconds)
        func spent() -> (requests: Int, bytes: Int, seconds: Double) {
            if let m = merged {
                // Sharded: what every shard task recorded (their states accumulate across reruns).
                return (m.requests, m.bytes, baseSeconds + Date().timeIntervalSince1970 - t0)
            }
            let s = client.stats
            return (
                baseRequests + s.requests - statsBefore.requests, baseBytes + s.bytes - statsBefore.bytes,
                baseSeconds + Date().timeIntervalSince1970 - t0
            )
        }
        var lastProbed = -1
        func probe(_ k: Int) async throws -> Probe {
            lastProbed = k
            switch sharding {
            case .none:
                return try await evaluate(Array(order.prefix(k)), reuse: &reuse)
            case .processes(let p):
                if merged == nil || merged!.covered < k {
                    try p.scan(articles: k)
                    merged = try ShardedScan.Merged.load(work: work, shards: p.shards, order: orderDigest)
                }
                return try merged!.evaluate(Array(order.prefix(k)), scan: self)
            case .outputs:
                return try merged!.evaluate(Array(order.prefix(k)), scan: self)
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
        var current = k > 0 ? try await probe(k) : Probe(usable: [:], captionLabelled: 0, usableTotal: 0, figures: 0)
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
                // Per-class yield so far, and the share of caption-labelled figures lost on the way to usable.
                let loss =
                    current.captionLabelled > 0
                    ? max(0, 1 - Double(current.usableTotal) / Double(current.captionLabelled)) : 0
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
            (state.requests, state.bytes, state.seconds) = spent()
            state.usable = current.usable
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
        (state.requests, state.bytes, state.seconds) = spent()
        state.usable = current.usable
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
