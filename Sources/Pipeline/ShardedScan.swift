import Curation
import Foundation
import Imaging
import Ingest
import PairDxCore

/// How a caption-first scan spreads its caption phase.
public enum ScanSharding: Sendable {
    /// One process fetches every batch itself.
    case none
    /// Local processes (`pairdx rebuild --scan-shard I/N`) read the captions of each prefix the scan asks for; the scan
    /// merges them, selects and fetches the media itself.
    case processes(ShardedScan.Processes)
    /// A cluster run's finish job: the shard tasks already read the captions; the scan merges what they covered,
    /// selects, and fetches the selected media.
    case outputs(Int)
}

/// The caption-first scan spread over N shards (a Slurm array, or local processes).
///
/// The seeded order is the one `CaptionFirstScan.order` gives; shard I owns the candidates whose keyed PMCID hash
/// falls in I (`Shard.contains`), whatever their place in the order. A shard task runs the caption phase of *its*
/// candidates among the first K articles of the order — metadata and JATS, no media — writing
/// `articles/figures.shard-I-of-N.jsonl` and `scan-state.shard-I-of-N.json`. Then a barrier: the process that merges
/// the shards (`rebuild --from-shards N`, or the `rebuild --shards N` that started them) sees exactly the caption
/// records a one-process scan of those K articles has (an article's records do not depend on the other articles
/// fetched with it), and runs the scan's own rules once on them — the per-class media cap's selection and its media
/// phase (fetch, hash), dedupe over the whole prefix, labels, the shortest prefix that meets the target (bisection),
/// the shortfall rule — so the selection and the split do not depend on N.
///
/// Budgets: `--max-articles M` bounds K (the same M articles whatever N); a shard task's `--max-requests` and
/// `--max-download` are its own share of the caption phase (`deploy/slurm/submit.sh` gives each task ⌈total / N⌉). A
/// shard stopped by its budget covers the order only up to its first unscanned article, and the merged prefix is the
/// shortest any shard covered.
public enum ShardedScan {
    /// The full candidate list of a sharded scan (sorted by PMCID), written by `plan` and by the rebuild that starts the
    /// shards; `candidates.jsonl` holds the kept prefix once the scan is done.
    public static let candidatesFile = "scan-candidates.jsonl"
    /// Per shard: `scan-state.shard-I-of-N.json`.
    public static let stateFile = "scan-state.json"
    /// Per shard: `listed.shard-I-of-N.jsonl`, the size and ETag of every key the task's version listings named, for
    /// the checks of the media phase.
    public static let listedFile = "listed.jsonl"

    /// One row of `listedFile`.
    struct ListedRow: Codable, Sendable {
        var key: String
        var size: Int?
        var md5: String?
    }

    /// What one shard task scanned (`scan-state.shard-I-of-N.json`).
    public struct ShardState: Codable, Sendable, Equatable {
        public var schema = "pairdx-scan-shard/1"
        /// The seeded order's digest (as `ScanState.order`).
        public var order: String
        public var shard: String
        /// The prefix of the order this task was asked to cover.
        public var articles: Int
        /// This shard's candidates in that prefix, and how many of them are scanned.
        public var items: Int
        public var scanned: Int
        /// The prefix of the whole order this shard has covered: `articles` when done, else the order position of its
        /// first unscanned candidate.
        public var reach: Int
        /// Requests and bytes over every run of this task (a rerun resumes from the fetch journal).
        public var requests: Int
        public var bytes: Int
        /// `requests` by kind (`listing`, `metadata`, `jats`), and how many were retries.
        public var requestsByKind: [String: Int]? = nil
        public var retries: Int? = nil
        /// nil when every item was scanned, else the budget that stopped it (`--max-requests 500`).
        public var stoppedBy: String?
    }

    /// Runs the caption phase of shard `shard` over the first `articles` articles of the order, in batches (the first
    /// of `firstBatch` articles, each later one twice the one before) so that a budget stops it cleanly.
    public static func runShard(
        work whole: WorkDirectory, recipe: Recipe, source: Source, client: HTTPClient, threads: Int,
        shard: Shard, articles requested: Int, budget: ScanBudget, firstBatch: Int
    ) async throws -> ShardState {
        let work = WorkDirectory(whole.root, shard: shard)
        let order = try scanOrder(work: whole, recipe: recipe)
        let digest = CaptionFirstScan.digest(order, seed: recipe.seed)
        let k = min(requested, order.count, budget.maxArticles ?? Int.max)
        let mine = order.prefix(k).enumerated().filter { shard.contains($0.element.pmcid) }
        var state = ShardState(
            order: digest, shard: shard.description, articles: k, items: mine.count, scanned: 0, reach: 0,
            requests: 0, bytes: 0, stoppedBy: nil)
        let statePath = work.path(stateFile)
        if let data = try? FileSystem.read(statePath), let old = try? JSONDecoder().decode(ShardState.self, from: data),
            old.order == digest
        {
            state.scanned = min(old.scanned, mine.count)
            state.requests = old.requests; state.bytes = old.bytes
            state.requestsByKind = old.requestsByKind; state.retries = old.retries
            if old.scanned > 0 {
                Log.info("[scan \(shard)] resuming: \(old.scanned) of this shard's articles scanned before")
            }
        }
        let fetcher = try Fetcher(source: source, work: work, client: client, wantsMedia: { _ in false })
        let before = client.stats
        let (baseRequests, baseBytes) = (state.requests, state.bytes)
        let (baseKinds, baseRetries) = (state.requestsByKind ?? [:], state.retries ?? 0)
        func account() {
            let s = client.stats
            state.requests = baseRequests + s.requests - before.requests
            state.bytes = baseBytes + s.bytes - before.bytes
            var kinds = baseKinds
            for (k, n) in s.byKind { kinds[k, default: 0] += n - (before.byKind[k] ?? 0) }
            state.requestsByKind = kinds.filter { $0.value > 0 }
            state.retries = baseRetries + s.retries - before.retries
        }
        func save() throws { try AtomicFile.write(try CanonicalJSON.encode(state, pretty: true), to: statePath) }
        var done = state.scanned, batch = max(1, firstBatch), fetched = false
        while done < mine.count {
            if let m = budget.maxRequests, state.requests >= m { state.stoppedBy = "--max-requests \(m)"; break }
            if let m = budget.maxDownload, state.bytes >= m { state.stoppedBy = "--max-download \(m)"; break }
            let next = min(mine.count, done + batch)
            _ = try await fetcher.run(mine.prefix(next).map(\.element))
            fetched = true
            done = next
            batch *= 2
            account()
            state.scanned = done
            state.reach = done == mine.count ? k : mine[done].offset
            try save()
        }
        // A rerun with nothing left to fetch still writes this shard's files (from the journal: no request).
        if !fetched || !FileSystem.exists(work.figures) { _ = try await fetcher.run(mine.prefix(done).map(\.element)) }
        state.scanned = done
        state.reach = done == mine.count ? k : mine[done].offset
        try JSONL.write(
            fetcher.listedObjects.map { ListedRow(key: $0.key, size: $0.value.size, md5: $0.value.md5) },
            to: work.path(listedFile), sortedBy: \.key)
        try save()
        Log.info(
            "[scan \(shard)] captions of \(done) of this shard's \(mine.count) articles among the first \(k) of the order"
                + " (covers the first \(state.reach)); \(state.requests) requests, \(state.bytes) bytes"
                + (state.stoppedBy.map { "; stopped by \($0)" } ?? ""))
        return state
    }

    /// The seeded order of the scan's full candidate list (`scan-candidates.jsonl`).
    public static func scanOrder(work: WorkDirectory, recipe: Recipe) throws -> [Candidate] {
        let path = work.whole.path(candidatesFile)
        guard FileSystem.exists(path) else {
            throw PairDxError.io(
                "\(path) does not exist: a sharded scan takes its candidates from it; run 'pairdx plan' (or 'pairdx rebuild --shards N') in this work directory first"
            )
        }
        return CaptionFirstScan.order(try JSONL.read(Candidate.self, from: path), seed: recipe.seed)
    }

    /// The articles to scan when none are named: the plan's upper estimate (95%), or every candidate when the plan
    /// expects the candidates to fall short or sets no target.
    public static func plannedArticles(work: WorkDirectory, candidates: Int) throws -> Int {
        let path = work.whole.path("plan.json")
        guard FileSystem.exists(path) else {
            throw PairDxError.usage(
                "--scan-shard needs --scan-articles K or a plan in \(path) ('pairdx plan' writes it)")
        }
        let plan = try CanonicalJSON.decode(RebuildPlan.self, from: FileSystem.read(path), source: path)
        guard plan.shortfall == nil, let high = plan.estimate?.articles.high, high.isFinite else { return candidates }
        return min(candidates, max(1, Int(high)))
    }

    /// The shards' outputs joined: every caption record of the covered prefix, in memory, and what the shards spent.
    public struct Merged {
        public var covered: Int
        /// Why the covered prefix ends where it does (a shard's budget, or the articles the shards were asked for).
        public var stoppedBy: String
        public var requests: Int
        public var bytes: Int
        public var requestsByKind: [String: Int]
        public var retries: Int
        var articles: [ArticleRecord]
        var figures: [FigureRecord]
        /// What the shards' version listings said of each key (`listedFile`).
        var listed: [String: ListedObject]

        /// Checks that all `n` shards scanned the same order, merges their files (`ShardMerge`) and reads them.
        public static func load(work: WorkDirectory, shards n: Int, order: String) throws -> Merged {
            var states: [ShardState] = []
            var problems: [String] = []
            for i in 0..<n {
                let path = work.path(work.sharded(stateFile, shard: try Shard(index: i, count: n)))
                guard FileSystem.exists(path) else {
                    problems.append(
                        "shard \(i)/\(n): no \((path as NSString).lastPathComponent) (the task did not finish)");
                    continue
                }
                let s = try CanonicalJSON.decode(ShardState.self, from: FileSystem.read(path), source: path)
                if s.order != order {
                    problems.append(
                        "shard \(i)/\(n): \((path as NSString).lastPathComponent) is of another candidate order or recipe seed"
                    )
                }
                states.append(s)
            }
            guard problems.isEmpty else {
                throw PairDxError.io(
                    "cannot merge the scan shards in \(work.root): " + problems.joined(separator: "; "))
            }
            _ = try ShardMerge.merge(work: work, shards: n)
            let covered = states.map(\.reach).min() ?? 0
            let asked = states.map(\.articles).min() ?? 0
            let stop =
                states.first { $0.reach == covered && $0.stoppedBy != nil }?.stoppedBy ?? "--scan-articles \(asked)"
            var listed: [String: ListedObject] = [:]
            for i in 0..<n {
                let path = work.path(work.sharded(listedFile, shard: try Shard(index: i, count: n)))
                guard FileSystem.exists(path) else { continue }
                for r in try JSONL.read(ListedRow.self, from: path) {
                    listed[r.key] = ListedObject(size: r.size, md5: r.md5)
                }
            }
            return Merged(
                covered: covered, stoppedBy: stop, requests: states.reduce(0) { $0 + $1.requests },
                bytes: states.reduce(0) { $0 + $1.bytes },
                requestsByKind: states.reduce(into: [:]) { t, s in t.merge(s.requestsByKind ?? [:], uniquingKeysWith: +)
                },
                retries: states.reduce(0) { $0 + ($1.retries ?? 0) },
                articles: try JSONL.read(ArticleRecord.self, from: work.articles),
                figures: try JSONL.read(FigureRecord.self, from: work.figures), listed: listed)
        }

        /// The caption records of `prefix` (a prefix of the covered order), as its caption phase in one process gives.
        func captions(_ prefix: [Candidate]) -> CaptionFirstScan.Captions {
            let ids = Set(prefix.map(\.pmcid))
            return CaptionFirstScan.Captions(
                prefix: prefix, articles: articles.filter { ids.contains($0.pmcid) },
                figures: figures.filter { ids.contains($0.pmcid) })
        }
    }

    /// `rebuild --shards N` in caption-first order: N local processes of `pairdx rebuild --scan-shard I/N`, the same
    /// command the Slurm array tasks run.
    public struct Processes: Sendable {
        public var shards: Int
        public var executable: String
        public var recipePath: String
        public var source: String
        public var work: String
        public var threads: Int
        /// The command's client options, so every shard runs under the same rules.
        public var clientArguments: [String]
        public var firstBatch: Int

        public init(
            shards: Int, executable: String, recipePath: String, source: String, work: String, threads: Int,
            clientArguments: [String], firstBatch: Int
        ) {
            self.shards = shards; self.executable = executable; self.recipePath = recipePath; self.source = source
            self.work = work; self.threads = threads; self.clientArguments = clientArguments;
            self.firstBatch = firstBatch
        }

        /// The arguments of shard `i`'s process for the first `articles` articles.
        public func arguments(shard i: Int, articles: Int) -> [String] {
            [
                "rebuild", "--recipe", recipePath, "--source", source, "--work", work, "--scan-shard", "\(i)/\(shards)",
                "--scan-articles", "\(articles)", "--batch", "\(firstBatch)", "--threads",
                "\(max(1, threads / shards))",
                "--log-level", "warning"
            ] + clientArguments
        }

        /// Runs the N shard processes concurrently over the first `articles` articles; throws naming every shard that failed.
        public func scan(articles: Int) throws {
            let t0 = Date()
            let failed = try ShardProcesses.run(
                executable: executable, count: shards, arguments: { arguments(shard: $0, articles: articles) },
                name: { "scan shard \($0)/\(shards)" })
            guard failed.isEmpty else {
                throw PairDxError.io(
                    "caption-first scan of the first \(articles) articles: \(failed.joined(separator: ", ")); rerun to resume (completed downloads are kept)"
                )
            }
            Log.info(
                String(
                    format: "[scan ×%d shards] the first %d articles in %.1f s", shards, articles,
                    Date().timeIntervalSince(t0)))
        }
    }
}
