import Curation
import Foundation
import Imaging
import Ingest
import PairDxCore
import Synth

/// `pairdx rebuild`: every stage in order over one work directory, each skipped when its fingerprint is
/// unchanged. With no source, the embedded corpus is generated first (`<work>/mirror`, seed from `synthSeed`).
public struct Rebuild {
    public struct Options: Sendable {
        public var recipePath: String
        public var source: String?
        public var ids: String?
        public var work: WorkDirectory
        public var splitsRoot = "Splits"
        public var manifestsRoot = "Manifests"
        public var reportDir = "report"
        public var threads = Platform.coreCount
        /// Embedded corpus seed and size; nil: the recipe's `sources[0]` (`seed`, `figures`), else 1 and 1,500.
        public var synthSeed: UInt64?
        public var synthFigures: Int?
        public var client = HTTPClientOptions()
        /// The command-line form of the client options (limits, timeouts, retries, rate, contact), given to every
        /// `fetch` shard process of a sharded rebuild so the shards run under the same rules as the command.
        public var clientArguments: [String] = []
        public var force = false
        /// Where candidates come from (`auto`: `ids` when given, else the recipe's query, else the listing).
        public var candidates: CandidateOrigin = .auto
        /// esearch endpoint for the recipe's query (default: the source's `esearch.fcgi` when it is http, else NCBI's).
        public var esearch: String?
        public var apiKey: String?
        /// nil: caption-first for a given source, all-media for the embedded corpus.
        public var order: FetchOrder?
        public var budget = ScanBudget()
        /// First batch of the caption-first scan, in articles.
        public var firstBatch = 200
        /// Balance down to the smallest class when the source cannot fill a `target` policy (else exit 1).
        public var allowShort = false
        public var audit = true
        /// Item stages run as this many concurrent processes of `executable`, then merge: fetch and hash in all-media
        /// order, the caption-first scan's caption phase (`pairdx rebuild --scan-shard I/N`) in caption-first order.
        public var shards = 1
        /// The finish of a cluster run: the caption-first scan's N shard tasks already read the captions; merge what
        /// they covered, select and fetch the media (the media cap), and run the global stages.
        public var fromShards: Int?
        /// Shard task of a cluster run: scan this shard of the first `scanArticles` articles, then stop (`scanShard()`).
        public var scanShard: Shard?
        /// Articles of the seeded order the shard tasks cover (nil: the plan's upper estimate).
        public var scanArticles: Int?
        /// The `pairdx` executable that runs shard processes.
        public var executable: String?

        public init(recipePath: String, work: WorkDirectory) { self.recipePath = recipePath; self.work = work }
    }

    public struct Result: Sendable {
        public var recipe: Recipe
        public var splitDir: String
        public var manifestDir: String
        public var reportDir: String?
        public var stages: [(name: String, ran: Bool, seconds: Double)]
        public var summary: SplitsSummary
        /// sha256 of `Splits/<name>/SHA256SUMS`, as recorded in `Manifests/<name>/split.sha256`.
        public var digest: String
        public var audit: AuditReport?
        /// Where the candidates came from, and the order fetched in.
        public var candidateOrigin: CandidateOrigin
        public var order: FetchOrder
        /// The caption-first scan's final state (nil in all-media order).
        public var scan: ScanState?
    }

    public let options: Options
    public init(_ options: Options) { self.options = options }

    public func run() async throws -> Result {
        let o = options
        let work = o.work
        let recipe = try Recipe.load(o.recipePath)
        let splitDir = "\(o.splitsRoot)/\(recipe.name)", manifestDir = "\(o.manifestsRoot)/\(recipe.name)"
        if o.fromShards != nil && o.source == nil {
            throw PairDxError.usage("--from-shards needs the --source the shard tasks scanned")
        }
        try FileSystem.makeDirectory(work.root)
        var runner = StageRunner(work: work, force: o.force)
        let threads = o.threads

        // Source: the embedded corpus unless one is given.
        let source: String
        if let s = o.source {
            source = s
        } else {
            let mirror = work.path("mirror")
            source = mirror
            let embedded = recipe.sources.first { $0.kind == "embedded" }
            let seed = o.synthSeed ?? embedded?.seed ?? 1
            let figures = o.synthFigures ?? embedded?.figures ?? 1500
            try runner.run(
                Stage(
                    .synth, inputs: [], outputs: [mirror],
                    parameters: ["seed": "\(seed)", "figures": "\(figures)"]
                ) {
                    _ = try SynthGenerator.run(
                        SynthOptions(
                            seed: seed, out: mirror, figures: figures, truth: mirror + ".truth.json",
                            threads: threads, force: true))
                })
        }
        let client = HTTPClient(options: o.client)

        // discover (the finish of a cluster run takes the list its shard tasks scanned)
        let origin: CandidateOrigin, candidates: [Candidate]
        if o.fromShards != nil {
            let path = work.path(ShardedScan.candidatesFile)
            guard FileSystem.exists(path) else {
                throw PairDxError.io(
                    "\(path) does not exist: --from-shards merges a sharded scan of this work directory; run its shard tasks first"
                )
            }
            candidates = try JSONL.read(Candidate.self, from: path)
            let plan = try? CanonicalJSON.decode(
                RebuildPlan.self, from: FileSystem.read(work.path("plan.json")), source: "plan.json")
            origin = plan.flatMap { CandidateOrigin(rawValue: $0.candidateOrigin) } ?? .auto
        } else if !o.force, let planned = try plannedCandidates(source: source, recipe: recipe) {
            (origin, candidates) = planned
        } else {
            (origin, candidates) = try await discover(source: source, client: client, recipe: recipe)
        }
        let order = o.fromShards != nil ? .captionFirst : (o.order ?? (o.source == nil ? .allMedia : .captionFirst))
        Log.info("[discover] \(candidates.count) candidates from \(Rebuild.describe(origin)); \(order.rawValue) order")
        var scan: ScanState?

        if order == .captionFirst {
            var s = CaptionFirstScan(
                work: work, recipe: recipe, source: try Source(source), client: client, threads: threads)
            s.budget = o.budget
            s.firstBatch = o.firstBatch
            if let n = o.fromShards {
                s.sharding = .outputs(n)
            } else if o.shards > 1 {
                guard let exe = o.executable else {
                    throw PairDxError.usage("sharded rebuild needs the pairdx executable path")
                }
                try JSONL.write(candidates, to: work.path(ShardedScan.candidatesFile), sortedBy: \.sortKey)
                s.sharding = .processes(
                    ShardedScan.Processes(
                        shards: o.shards, executable: exe, recipePath: o.recipePath, source: source,
                        work: work.root, threads: threads, clientArguments: o.clientArguments,
                        firstBatch: o.firstBatch))
            }
            let state = try await s.run(candidates: candidates)
            scan = state
            if let data = try? FileSystem.read(work.path("plan.json")),
                let plan = try? JSONDecoder().decode(RebuildPlan.self, from: data),
                let e = plan.estimate
            {
                Log.info(
                    String(
                        format:
                            "[plan] estimate vs actual: articles %.0f (%.0f–%.0f) vs %d; requests %.0f (%.0f–%.0f) vs %d",
                        e.articles.mid, e.articles.low, e.articles.high, state.kept ?? state.scanned,
                        e.requests.mid, e.requests.low, e.requests.high, state.requests))
            }
            if let stop = state.stoppedBy, stop.hasPrefix("--"), !o.allowShort {
                let need = recipe.balance.perClass.map(String.init) ?? "-"
                let how =
                    o.fromShards.map { n in
                        "rerun the \(n) scan tasks with more articles (--scan-articles) or a larger budget: each resumes from its "
                            + "fetch journal and scan-state.shard-I-of-\(n).json"
                    } ?? "rerun with a larger budget to resume from \(s.statePath)"
                throw PairDxError.checkFailed(
                    "scan stopped by \(stop) after \(state.scanned) of \(state.candidates) articles ("
                        + recipe.classes.map { "\($0.name) \(state.usable[$0.name] ?? 0)/\(need)" }.joined(
                            separator: ", ")
                        + "); \(how), or pass --allow-short")
            }
        } else {
            try JSONL.write(candidates, to: work.candidates, sortedBy: \.sortKey)
            if o.shards > 1 {
                try runShards(source: source)
            } else {
                // fetch resumes from its journal, so it always runs: a complete fetch costs only the metadata reads.
                try await fetch(source: source, client: client)
                try runner.run(
                    Stage(.hash, inputs: [work.figures], outputs: [work.images], parameters: [:]) {
                        _ = try HashStage.run(work: work, threads: threads)
                    })
            }
        }
        let radius = recipe.dedupe.radius, crops = recipe.dedupe.cropSearch
        // "crops" only when on, so that the stamps of recipes without the field stay valid.
        var dedupeParameters = ["radius": "\(radius)"]
        if crops { dedupeParameters["crops"] = "on" }
        try runner.run(
            Stage(
                .dedupe, inputs: [work.figures, work.images], outputs: [work.clusters, work.dedupeReport],
                parameters: dedupeParameters
            ) {
                _ = try Dedupe.runStage(work: work, radius: radius, cropSearch: crops, threads: threads)
            })
        let recipeFile = o.recipePath
        try runner.run(
            Stage(.label, inputs: [recipeFile, work.figures, work.images, work.clusters], outputs: [work.labels]) {
                _ = try LabelStage.run(work: work, recipe: recipe)
            })
        let allowShort = o.allowShort
        try runner.run(
            Stage(
                .balance, inputs: [recipeFile, work.labels], outputs: [work.balanced],
                parameters: allowShort ? ["allow-short": "true"] : [:]
            ) {
                try CurationStages.balance(work: work, recipe: recipe, allowShort: allowShort)
            })
        try runner.run(
            Stage(
                .split, inputs: [recipeFile, work.balanced, work.figures, work.images, work.clusters],
                outputs: [splitDir], parameters: ["dir": splitDir, "columns": SplitFiles.header.joined(separator: ",")]
            ) {
                try CurationStages.split(work: work, recipe: recipe, name: recipe.name, splitDir: splitDir)
            })
        try runner.run(
            Stage(
                .manifest, inputs: [recipeFile, splitDir, work.candidates, work.articles, work.figures],
                outputs: [manifestDir + "/SHA256SUMS", manifestDir + "/" + Manifest.splitDigestFile],
                parameters: ["dir": manifestDir]
            ) {
                try CurationStages.manifest(
                    work: work, recipe: recipe, name: recipe.name, splitDir: splitDir, manifestDir: manifestDir)
            })
        let verify = try Verify.run(
            splitDir: splitDir, work: work, against: nil, expect: try Verify.Expectation.recorded(in: manifestDir),
            threads: o.threads)
        guard verify.ok else {
            throw PairDxError.checkFailed(
                "verify \(splitDir) failed right after the rebuild: "
                    + verify.problems.map(\.description).joined(separator: "; "))
        }
        Log.info(
            "[verify] \(verify.items) items, \(verify.imagesChecked) images: OK; split digest \(verify.digest ?? "")")
        var audit: AuditReport?
        if o.audit {
            audit = try Audit.run(
                splitDir: splitDir, data: work.root, out: o.reportDir, manifest: manifestDir,
                options: AuditOptions())
            Log.info("[audit] → \(o.reportDir)/report.html")
        }
        let summary = try CanonicalJSON.decode(
            SplitsSummary.self, from: FileSystem.read(splitDir + "/splits.json"), source: splitDir)
        return Result(
            recipe: recipe, splitDir: splitDir, manifestDir: manifestDir, reportDir: o.audit ? o.reportDir : nil,
            stages: runner.log, summary: summary, digest: verify.digest ?? "", audit: audit, candidateOrigin: origin,
            order: order, scan: scan)
    }

    /// One shard task of a sharded caption-first scan (`pairdx rebuild --scan-shard I/N`): the caption phase of the
    /// shard's candidates among the first `scanArticles` articles of the seeded order (default: the plan's upper
    /// estimate). The media cap, the media and the global stages run later, once, in `rebuild --from-shards N` (or in
    /// the `rebuild --shards N` that started it).
    public func scanShard() async throws -> ShardedScan.ShardState {
        let o = options
        guard let shard = o.scanShard else { throw PairDxError.usage("scanShard needs --scan-shard I/N") }
        guard let source = o.source else {
            throw PairDxError.usage("--scan-shard needs --source (a mirror directory or the bucket's URL)")
        }
        let recipe = try Recipe.load(o.recipePath)
        let order = try ShardedScan.scanOrder(work: o.work, recipe: recipe)
        let k = try o.scanArticles ?? ShardedScan.plannedArticles(work: o.work, candidates: order.count)
        return try await ShardedScan.runShard(
            work: o.work, recipe: recipe, source: try Source(source), client: HTTPClient(options: o.client),
            threads: o.threads, shard: shard, articles: k, budget: o.budget, firstBatch: o.firstBatch)
    }

    /// Candidates from the `--ids` file, the recipe's esearch query or the source's listing (see `origin`).
    func discover(source: String, client: HTTPClient, recipe: Recipe) async throws -> (CandidateOrigin, [Candidate]) {
        let o = options
        let origin = try Rebuild.origin(o.candidates, ids: o.ids, recipe: recipe)
        let discoverer = Discoverer(client: client)
        switch origin {
        case .query:
            let query = recipe.sources.compactMap(\.query).first!
            let endpoint = Discoverer.esearchEndpoint(explicit: o.esearch, source: o.source)
            Log.info("[discover] esearch over PMC with the recipe's query at \(endpoint)")
            return (origin, try await discoverer.fromESearch(endpoint: endpoint, term: query, apiKey: o.apiKey))
        default:
            let (found, problems) = try await discoverer.candidates(ids: origin == .ids ? o.ids : nil, source: source)
            for p in problems { Log.warning(p) }
            return (origin, found)
        }
    }

    /// `pairdx plan` / `rebuild --plan`: discover, sample a prefix of the seeded order caption-first (long enough for
    /// the rarest class's count, at most `maxSample` articles; see `RebuildPlan.make`), and estimate the whole rebuild
    /// (`<work>/plan.json`). `rate`: requests per second assumed for the wall time.
    public func plan(maxSample: Int, rate: Double) async throws -> RebuildPlan {
        let o = options
        guard let source = o.source else {
            throw PairDxError.usage("plan needs --source (a mirror directory or the bucket's URL)")
        }
        let recipe = try Recipe.load(o.recipePath)
        try FileSystem.makeDirectory(o.work.root)
        let client = HTTPClient(options: o.client)
        let (origin, candidates) = try await discover(source: source, client: client, recipe: recipe)
        Log.info(
            "[plan] \(candidates.count) candidates from \(Rebuild.describe(origin)); sampling up to \(min(maxSample, candidates.count)) articles"
        )
        // The full list, for the shard tasks of a sharded scan (they do not discover again).
        try JSONL.write(candidates, to: o.work.path(ShardedScan.candidatesFile), sortedBy: \.sortKey)
        var scan = CaptionFirstScan(
            work: o.work, recipe: recipe, source: try Source(source), client: client, threads: o.threads)
        scan.firstBatch = o.firstBatch
        return try await RebuildPlan.make(
            scan: scan, candidates: candidates, origin: origin, maxSample: maxSample, rate: rate,
            discovery: try discoveryKey(origin, source: source, recipe: recipe))
    }

    /// The origin `auto` stands for: `ids` when a file is given, else `query` when the recipe has one, else `listing`.
    public static func origin(_ asked: CandidateOrigin, ids: String?, recipe: Recipe) throws -> CandidateOrigin {
        let hasQuery = recipe.sources.contains { $0.query != nil }
        switch asked {
        case .auto: return ids != nil ? .ids : (hasQuery ? .query : .listing)
        case .ids:
            guard ids != nil else { throw PairDxError.usage("--candidates ids needs --ids FILE") }
            return .ids
        case .query:
            guard hasQuery else {
                throw PairDxError.usage("--candidates query: recipe \(recipe.name) has no sources[].query")
            }
            return .query
        case .listing: return .listing
        }
    }

    static func describe(_ o: CandidateOrigin) -> String {
        switch o {
        case .ids: return "the --ids file"
        case .query: return "the recipe's esearch query"
        case .listing: return "the source's listing"
        case .auto: return "auto"
        }
    }

    func fetch(source: String, client: HTTPClient) async throws {
        let work = options.work
        let candidates = try JSONL.read(Candidate.self, from: work.candidates)
        let fetcher = try Fetcher(source: try Source(source), work: work, client: client)
        let t0 = Date()
        let report = try await fetcher.run(candidates)
        Log.info(String(format: "[fetch] %@ (%.1f s)", report.summary, Date().timeIntervalSince(t0)))
    }

    /// Runs fetch, then hash, as `shards` concurrent processes each, then merges their outputs.
    func runShards(source: String) throws {
        let o = options
        guard let exe = o.executable else {
            throw PairDxError.usage("sharded rebuild needs the pairdx executable path")
        }
        let n = o.shards
        let perShard = max(1, o.threads / n)
        let stale = try ShardMerge.removeShardOutputs(work: o.work)
        if !stale.isEmpty {
            Log.info(
                "[shards] removed \(stale.count) shard file(s) of an earlier run: \(stale.joined(separator: ", "))")
        }
        for stage in ["fetch", "hash"] {
            let t0 = Date()
            let failed = try ShardProcesses.run(
                executable: exe, count: n,
                arguments: { i in
                    var args = [
                        stage, "--work", o.work.root, "--shard", "\(i)/\(n)", "--log-level", "warning", "--threads",
                        "\(perShard)"
                    ]
                    if stage == "fetch" { args += ["--source", source] + o.clientArguments }
                    return args
                }, name: { "shard \($0)/\(n)" })
            guard failed.isEmpty else {
                throw PairDxError.io(
                    "\(stage): \(failed.joined(separator: ", ")); rerun to resume (completed work is kept)")
            }
            Log.info(String(format: "[%@ ×%d shards] done in %.1f s", stage, n, Date().timeIntervalSince(t0)))
        }
        let merged = try ShardMerge.merge(work: o.work, shards: n)
        Log.info(
            "[merge] " + merged.files.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        )
    }
}
