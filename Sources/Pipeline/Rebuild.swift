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
        public var force = false
        public var audit = true
        /// Item stages (fetch, hash) run as this many concurrent processes of `executable`, then merge.
        public var shards = 1
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
    }

    public let options: Options
    public init(_ options: Options) { self.options = options }

    public func run() async throws -> Result {
        let o = options
        let work = o.work
        let recipe = try Recipe.load(o.recipePath)
        let splitDir = "\(o.splitsRoot)/\(recipe.name)", manifestDir = "\(o.manifestsRoot)/\(recipe.name)"
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
            try runner.run(Stage(name: "synth", inputs: [], outputs: [mirror],
                                 parameters: ["seed": "\(seed)", "figures": "\(figures)"]) {
                _ = try SynthGenerator.run(SynthOptions(seed: seed, out: mirror, figures: figures, truth: mirror + ".truth.json",
                                                        threads: threads, force: true))
            })
        }
        let client = HTTPClient(options: o.client)

        // discover
        let (candidates, problems) = try await Discoverer(client: client).candidates(ids: o.ids, source: source)
        for p in problems { Log.warning(p) }
        try JSONL.write(candidates, to: work.candidates, sortedBy: \.sortKey)
        Log.info("[discover] \(candidates.count) candidates")

        if o.shards > 1 {
            try runShards(source: source)
        } else {
            // fetch resumes from its journal, so it always runs: a complete fetch costs only the metadata reads.
            try await fetch(source: source, client: client)
            try runner.run(Stage(name: "hash", inputs: [work.figures], outputs: [work.images], parameters: [:]) {
                _ = try HashStage.run(work: work, threads: threads)
            })
        }
        let radius = recipe.dedupe.radius
        try runner.run(Stage(name: "dedupe", inputs: [work.figures, work.images], outputs: [work.clusters, work.dedupeReport],
                             parameters: ["radius": "\(radius)"]) {
            _ = try Dedupe.runStage(work: work, radius: radius, threads: threads)
        })
        let recipeFile = o.recipePath
        try runner.run(Stage(name: "label", inputs: [recipeFile, work.figures, work.images, work.clusters], outputs: [work.labels]) {
            _ = try LabelStage.run(work: work, recipe: recipe)
        })
        try runner.run(Stage(name: "balance", inputs: [recipeFile, work.labels], outputs: [work.balanced]) {
            try Curate.balance(work: work, recipe: recipe)
        })
        try runner.run(Stage(name: "split", inputs: [recipeFile, work.balanced, work.figures, work.images, work.clusters],
                             outputs: [splitDir], parameters: ["dir": splitDir, "columns": SplitFiles.header.joined(separator: ",")]) {
            try Curate.split(work: work, recipe: recipe, name: recipe.name, splitDir: splitDir)
        })
        try runner.run(Stage(name: "manifest", inputs: [recipeFile, splitDir, work.candidates, work.articles, work.figures],
                             outputs: [manifestDir + "/SHA256SUMS", manifestDir + "/" + Manifest.splitDigestFile],
                             parameters: ["dir": manifestDir]) {
            try Curate.manifest(work: work, recipe: recipe, name: recipe.name, splitDir: splitDir, manifestDir: manifestDir)
        })
        let verify = try Verify.run(splitDir: splitDir, work: work, against: nil, expect: try Verify.Expectation.recorded(in: manifestDir))
        guard verify.ok else {
            throw PairDxError.checkFailed("verify \(splitDir) failed right after the rebuild: " + verify.problems.map(\.description).joined(separator: "; "))
        }
        Log.info("[verify] \(verify.items) items, \(verify.imagesChecked) images: OK; split digest \(verify.digest ?? "")")
        var audit: AuditReport?
        if o.audit {
            audit = try Audit.run(splitDir: splitDir, data: work.root, out: o.reportDir, manifest: manifestDir,
                                  options: AuditOptions())
            Log.info("[audit] → \(o.reportDir)/report.html")
        }
        let summary = try CanonicalJSON.decode(SplitsSummary.self, from: FileSystem.read(splitDir + "/splits.json"), source: splitDir)
        return Result(recipe: recipe, splitDir: splitDir, manifestDir: manifestDir, reportDir: o.audit ? o.reportDir : nil,
                      stages: runner.log, summary: summary, digest: verify.digest ?? "", audit: audit)
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
        guard let exe = o.executable else { throw PairDxError.usage("sharded rebuild needs the pairdx executable path") }
        let n = o.shards
        let perShard = max(1, o.threads / n)
        for stage in ["fetch", "hash"] {
            let t0 = Date()
            var procs: [(Int, Process)] = []
            for i in 0..<n {
                var args = [stage, "--work", o.work.root, "--shard", "\(i)/\(n)", "--log-level", "warning", "--threads", "\(perShard)"]
                if stage == "fetch" { args += ["--source", source, "--concurrency", "\(o.client.concurrency)"] }
                let p = Process()
                p.executableURL = URL(fileURLWithPath: exe)
                p.arguments = args
                p.standardOutput = FileHandle.nullDevice
                try p.run()
                procs.append((i, p))
            }
            var failed: [String] = []
            for (i, p) in procs {
                p.waitUntilExit()
                if p.terminationStatus != 0 { failed.append("shard \(i)/\(n) exited \(p.terminationStatus)") }
            }
            guard failed.isEmpty else {
                throw PairDxError.io("\(stage): \(failed.joined(separator: ", ")); rerun to resume (completed work is kept)")
            }
            Log.info(String(format: "[%@ ×%d shards] done in %.1f s", stage, n, Date().timeIntervalSince(t0)))
        }
        let merged = try ShardMerge.merge(work: o.work, shards: n)
        Log.info("[merge] " + merged.files.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
    }
}
