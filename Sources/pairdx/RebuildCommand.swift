import ArgumentParser
import Curation
import Foundation
import Ingest
import PairDxCore
import Pipeline
import Training
import Validation

struct RebuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract:
            "Run every stage in order: (synth) → discover → fetch → hash → dedupe → label → balance → split → manifest → verify → audit (→ validate).",
        discussion: """
            With no --source, generates the embedded demo corpus into <work>/mirror and uses recipe pairdx-synth-v1.
            Stages whose inputs, parameters and code version are unchanged are skipped (stamps in <work>/.stamps), validate
            included; discover, fetch (resuming from its journal), verify and audit always run. A killed run resumes.
            Ends with a summary and the paths of the splits, manifests and report.
            Sharded caption-first scan (README "Scaling out"): --shards N runs it as N local --scan-shard processes; on a
            cluster, each array task runs --scan-shard I/N and the finish job --from-shards N.
            """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var recipe: RecipeOptions
    @OptionGroup var net: ClientOptions

    @Option(
        help: "Mirror directory, file:// or http(s):// base of the PMC Cloud layout (default: the embedded corpus).")
    var source: String?
    @OptionGroup var candidateOptions: CandidateOptions
    @Option(
        help:
            "caption-first (metadata + JATS in seeded batches, media only for labelled figures up to each class's need plus a learned margin, stop at the target) or all-media (default: caption-first with --source, all-media for the embedded corpus)."
    )
    var order: FetchOrder?
    @Option(
        name: .customLong("max-articles"), help: "Stop the caption-first scan after this many articles (resumable).")
    var maxArticles: Int?
    @Option(
        name: .customLong("max-requests"), help: "Stop the caption-first scan after this many requests (resumable).")
    var maxRequests: Int?
    @Option(
        name: .customLong("max-download"),
        help: "Stop the caption-first scan after this many bytes downloaded (resumable).")
    var maxDownload: Int?
    @Option(help: "Articles in the caption-first scan's first batch (later batches are estimated from the yield).")
    var batch: Int = 200
    @Option(help: "Directory for report.html, report.json, report.md, datasheet.md and validation files.")
    var report: String = "report"
    @Option(name: .customLong("synth-figures"), help: "Figures in the embedded corpus (default: the recipe's, 1500).")
    var synthFigures: Int?
    @Option(name: .customLong("synth-seed"), help: "Seed of the embedded corpus (default: the recipe's, 1).")
    var synthSeed: UInt64?
    @Option(
        help:
            "Run the item stages as this many concurrent processes (shards), then merge: the one-machine rehearsal of a cluster run (all-media: fetch and hash; caption-first: the scan's caption phase, as --scan-shard processes, then the media cap and media in this process)."
    )
    var shards: Int = 1
    @Option(
        name: .customLong("scan-shard"),
        help: ArgumentHelp(
            "Only scan shard I of N (e.g. 2/4) of a caption-first rebuild, then stop: one task of a cluster run.",
            discussion:
                "Scans the shard's candidates among the first --scan-articles articles of the seeded order (from <work>/scan-candidates.jsonl, which 'pairdx plan' writes): the caption phase: metadata and JATS, no media. Writes articles/figures.shard-I-of-N.jsonl and scan-state.shard-I-of-N.json; --max-requests and --max-download are this task's own share. The media are selected and fetched by --from-shards."
        ))
    var scanShard: String?
    @Option(
        name: .customLong("scan-articles"),
        help:
            "Articles of the seeded order the --scan-shard tasks cover (default: the upper end of the plan's estimate in <work>/plan.json)."
    )
    var scanArticles: Int?
    @Option(
        name: .customLong("from-shards"),
        help:
            "Finish a caption-first rebuild whose N --scan-shard tasks ran: merge their captions, select media per class (the media cap) and fetch and hash them, take the shortest prefix that meets the target, then dedupe, label, balance, split, manifest, verify and audit."
    )
    var fromShards: Int?
    @Flag(help: "Only plan: sample the seeded order and print the estimate (as 'pairdx plan'), then stop.")
    var plan = false
    @OptionGroup var planOptions: PlanOptions
    @Flag(
        name: .customLong("allow-short"),
        help:
            "When the source cannot fill the recipe's per-class target, balance every class down to the smallest class instead of exiting 1 (report, manifest and validation page then say it is not the published size)."
    )
    var allowShort = false
    @Flag(help: "Run every stage even when its fingerprint is unchanged.")
    var force = false
    @Flag(name: .customLong("no-audit"), help: "Skip the audit report.")
    var noAudit = false
    @Flag(
        name: .customLong("validate"),
        help:
            "Then train the image, text and fusion models (and CLIP with --clip-weights, BiomedCLIP with --biomedclip-weights) and compare them with the published results (report/validation.*)."
    )
    var thenValidate = false
    @Option(
        help:
            "GloVe vectors for the text and fusion models when validating (default: embeddings learned from the train split)."
    )
    var glove: String?
    @OptionGroup var clip: CLIPOptions
    @OptionGroup var biomedclip: BiomedCLIPOptions
    @OptionGroup var compute: ComputeOptions
    @OptionGroup var output: JSONOutput

    /// Argument checks, before anything runs: counts, and weights given without --validate or missing.
    func validate() throws {
        for (name, v) in [
            ("--max-articles", maxArticles), ("--max-requests", maxRequests), ("--max-download", maxDownload)
        ] {
            if let v, v < 1 { throw PairDxError.usage("\(name) must be at least 1") }
        }
        if batch < 1 { throw PairDxError.usage("--batch must be at least 1") }
        if shards < 1 { throw PairDxError.usage("--shards must be at least 1") }
        if let n = fromShards, n < 1 { throw PairDxError.usage("--from-shards must be at least 1") }
        if let k = scanArticles, k < 1 { throw PairDxError.usage("--scan-articles must be at least 1") }
        let scanShard = try self.scanShard.map { try Shard(parsing: $0) }
        if [scanShard != nil, fromShards != nil, shards > 1].filter({ $0 }).count > 1 {
            throw PairDxError.usage(
                "--scan-shard, --from-shards and --shards are three ways to run a sharded rebuild: give one")
        }
        if (scanShard != nil || fromShards != nil), source == nil {
            throw PairDxError.usage("--scan-shard and --from-shards scan a given --source caption-first")
        }
        if (scanShard != nil || fromShards != nil), order == .allMedia {
            throw PairDxError.usage(
                "--scan-shard and --from-shards run the caption-first order (--order all-media shards with --shards)")
        }
        if scanArticles != nil && scanShard == nil {
            throw PairDxError.usage("--scan-articles is used by --scan-shard only")
        }
        if let w = clip.weights {
            guard thenValidate else { throw PairDxError.usage("--clip-weights is used by --validate only") }
            guard FileManager.default.fileExists(atPath: w) else {
                throw PairDxError.io("\(w): CLIP weights file not found")
            }
        }
        if let w = biomedclip.weights {
            guard thenValidate else { throw PairDxError.usage("--biomedclip-weights is used by --validate only") }
            guard FileManager.default.fileExists(atPath: w) else {
                throw PairDxError.io("\(w): BiomedCLIP weights file not found")
            }
        }
        if let w = compute.imageWeights {
            guard thenValidate else { throw PairDxError.usage("--image-weights is used by --validate only") }
            guard FileManager.default.fileExists(atPath: w) else {
                throw PairDxError.io("\(w): ResNet-18 weights file not found")
            }
        }
    }

    func run() async throws {
        global.apply()
        var o = Rebuild.Options(recipePath: recipe.recipePath, work: global.workDirectory)
        o.source = source
        o.splitsRoot = recipe.splitsRoot
        o.manifestsRoot = recipe.manifestsRoot
        o.reportDir = report
        o.threads = global.threadCount
        o.synthFigures = synthFigures
        o.synthSeed = synthSeed
        candidateOptions.apply(to: &o, net: net)
        o.force = force
        o.allowShort = allowShort
        o.order = order
        o.budget = ScanBudget(maxArticles: maxArticles, maxRequests: maxRequests, maxDownload: maxDownload)
        o.firstBatch = batch
        o.audit = !noAudit
        o.shards = shards
        o.fromShards = fromShards
        o.scanShard = try scanShard.map { try Shard(parsing: $0) }  // checked in validate()
        o.scanArticles = scanArticles
        o.executable = Bundle.main.executablePath ?? CommandLine.arguments[0]
        if scanShard != nil {
            let state = try await Rebuild(o).scanShard()
            if json { try printJSON(state) }
            return
        }
        if plan {
            let p = try await Rebuild(o).plan(maxSample: planOptions.sample, rate: planOptions.rate(net))
            if json { try printJSON(p) } else { print(p.text, terminator: "") }
            Log.info("plan: \(global.workDirectory.path("plan.json")); run again without --plan to rebuild")
            return
        }
        let t0 = Date()
        let r = try await Rebuild(o).run()
        let s = r.summary
        if json {
            struct Out: Encodable {
                var splits: String; var manifests: String; var report: String?; var digest: String;
                var summary: SplitsSummary
            }
            try printJSON(
                Out(splits: r.splitDir, manifests: r.manifestDir, report: r.reportDir, digest: r.digest, summary: s))
        }
        Log.info(
            "  candidates: \(r.candidateOrigin.rawValue), order: \(r.order.rawValue)"
                + (r.scan.map {
                    "; scanned \($0.scanned) of \($0.candidates) articles, split from the first \($0.kept ?? 0), \($0.requests) requests, \($0.bytes) bytes (stopped by \($0.stoppedBy ?? "-"))"
                } ?? ""))
        let ran = r.stages.filter(\.ran).map(\.name)
        Log.info(
            String(
                format: "rebuild %@ in %.1f s (%d stages ran%@)", r.recipe.name, Date().timeIntervalSince(t0),
                ran.count,
                ran.isEmpty ? ", all unchanged" : ": " + ran.joined(separator: ", ")))
        Log.info(
            "  splits:    \(r.splitDir)  ("
                + ["train", "val", "test"].map { "\($0) \(s.splits[$0]?.count ?? 0)" }.joined(separator: ", ") + ")")
        Log.info("  manifests: \(r.manifestDir)")
        Log.info("  split digest: \(r.digest)  (pairdx verify \(r.splitDir) --expect \(r.digest))")
        if let rep = r.reportDir { Log.info("  report:    \(rep)/report.html") }
        let failedGates = r.audit.map { $0.gates.filter { !$0.passed }.map(\.rule) } ?? []
        if !failedGates.isEmpty { Log.warning("audit gates failed: " + failedGates.joined(separator: ", ")) }
        if thenValidate {
            let v = try runValidation(r)
            FileHandle.standardError.write(
                Data((ReportWriter.summary(v) + "\nreport: \(report)/validation.{json,md,html}\n").utf8))
            guard v.gate.passed else {
                throw PairDxError.checkFailed("validate: gate failed — \(v.gate.claim): \(v.gate.detail)")
            }
        }
        if !failedGates.isEmpty {
            throw PairDxError.checkFailed(
                "audit gates failed: \(failedGates.joined(separator: ", ")) (see \(report)/report.md)")
        }
    }
}

extension CandidateOrigin: ExpressibleByArgument {}
extension FetchOrder: ExpressibleByArgument {}

extension RebuildCommand: ReportsJSON {}

extension RebuildCommand {
    /// Validation as a stamped stage (`ValidateStage`): skipped when nothing it depends on changed.
    func runValidation(_ r: Rebuild.Result) throws -> ValidationReport {
        try ValidateStage(
            split: r.splitDir, recipe: r.recipe, recipePath: recipe.recipePath,
            published: "\(recipe.manifestsRoot)/published-results.json", work: global.workDirectory, out: report,
            threads: global.threadCount, glove: glove, clip: clip.input, biomedclip: biomedclip.input,
            mode: compute.mode, imageWeights: compute.imageWeights
        ).run(force: force)
    }
}
