import Curation
import Foundation
import Imaging
import PairDxCore
import PairDxTestSupport
import Testing
@testable import Pipeline

/// End-to-end rebuilds of the embedded corpus: the committed split and manifest bytes come back from the
/// seed, whatever the thread count or shard count, and a second run skips every stage.
@Suite(.serialized, .scratch) struct RebuildTests {
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static var pairdx: String? { Prerequisite.pairdx.value }

    /// A scratch root holding `Manifests/pairdx-synth-v1/recipe.json` copied from the repository.
    func scratch(_ tag: String) throws -> String {
        let root = try Scratch.directory("rebuild-" + tag)
        let recipe = try FileSystem.read(Self.packageRoot + "/Manifests/pairdx-synth-v1/recipe.json")
        try AtomicFile.write(recipe, to: root + "/Manifests/pairdx-synth-v1/recipe.json")
        return root
    }

    func rebuild(
        _ root: String, work: String? = nil, figures: Int? = nil, threads: Int = 2, shards: Int = 1,
        clientArguments: [String] = []
    ) async throws -> Rebuild.Result {
        var o = Rebuild.Options(
            recipePath: root + "/Manifests/pairdx-synth-v1/recipe.json", work: WorkDirectory(work ?? root + "/work"))
        o.splitsRoot = root + "/Splits"
        o.manifestsRoot = root + "/Manifests"
        o.reportDir = root + "/report"
        o.threads = threads
        o.synthFigures = figures
        o.shards = shards
        o.clientArguments = clientArguments
        o.executable = Self.pairdx
        o.audit = false
        return try await Rebuild(o).run()
    }

    func files(_ dir: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for f in FileSystem.listFiles(under: dir) { out[f] = try FileSystem.read(dir + "/" + f) }
        return out
    }

    func outputs(_ root: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for (k, v) in try files(root + "/Splits/pairdx-synth-v1") { out["Splits/" + k] = v }
        for (k, v) in try files(root + "/Manifests/pairdx-synth-v1") { out["Manifests/" + k] = v }
        return out
    }

    @Test func embeddedRebuildReproducesTheCommittedSplitsByteForByte() async throws {
        let root = try scratch("committed")
        let first = try await rebuild(root)
        #expect(first.summary.splits.values.allSatisfy { $0.count > 0 })
        let mine = try outputs(root)
        let committed = try outputs(Self.packageRoot)
        #expect(Set(mine.keys) == Set(committed.keys))
        for (name, data) in committed.sorted(by: { $0.key < $1.key }) {
            #expect(
                mine[name] == data,
                "\(name) differs from the committed file: rebuild with `pairdx rebuild` and review the diff")
        }
        // The committed split audited from its released files alone (no work directory) gives the leakage figures of
        // the audit with the work directory: 0, the gate passes; the checks that need the images are listed as skipped.
        let committedSplit = Self.packageRoot + "/Splits/pairdx-synth-v1",
            committedManifest = Self.packageRoot + "/Manifests/pairdx-synth-v1"
        let alone = try Audit.run(splitDir: committedSplit, out: root + "/audit-alone", manifest: committedManifest)
        let withData = try Audit.run(
            splitDir: committedSplit, data: root + "/work", out: root + "/audit-data", manifest: committedManifest)
        #expect(alone.leakage == withData.leakage)
        #expect(alone.leakage.nearDuplicatePairs == 0 && alone.leakage.articlesAcrossSplits == 0 && alone.passed)
        #expect(
            alone.skippedChecks?.map(\.check) == [
                "funnel", "duplicates", "captions", "images", "label-rules", "thumbnails"
            ])
        #expect(withData.skippedChecks == [])
        // A second run skips every stage and leaves the bytes alone.
        let second = try await rebuild(root)
        #expect(second.stages.allSatisfy { !$0.ran }, "\(second.stages.filter(\.ran).map(\.name)) ran again")
        #expect(try outputs(root) == mine)
    }

    /// The demo recipe's `"crops": true` (in its `dedupe`) is what makes the rebuild's dedupe stage search crops and
    /// panels: without the field the search is off and the split differs from the committed one, which was made with
    /// it. `pairdx dedupe --recipe` takes the same setting, and `--crops` overrides it.
    @Test(Prerequisite.pairdx.trait) func theRecipeTurnsTheCropSearchOn() async throws {
        let exe = try Prerequisite.pairdx.require()
        let root = try scratch("crops")
        let path = root + "/Manifests/pairdx-synth-v1/recipe.json"
        var recipe = try Recipe.load(path)
        #expect(recipe.dedupe.crops == true)
        recipe.dedupe.crops = nil
        try AtomicFile.write(try CanonicalJSON.encode(recipe, pretty: true), to: path)
        let work = WorkDirectory(root + "/work")
        _ = try await rebuild(root)
        let report = try JSONDecoder().decode(DedupeReport.self, from: FileSystem.read(work.dedupeReport))
        #expect(!report.cropSearch && report.cropPairs == 0)
        #expect(try outputs(root)["Splits/splits.json"] != (try outputs(Self.packageRoot))["Splits/splits.json"])
        for (arguments, on) in [([String](), false), (["--crops", "on"], true)] {
            let r = try Subprocess.run(
                exe, ["dedupe", "--work", work.root, "--recipe", path, "--json", "--log-level", "quiet"] + arguments)
            #expect(r.status == 0, "\(r.output)")
            let cli = try JSONDecoder().decode(DedupeReport.self, from: Data(r.output.utf8))
            let joined = cli.clusters.joinedBy
            #expect(cli.cropSearch == on && cli.radius == 10 && (cli.cropPairs > 0) == on, "\(arguments)")
            #expect(((joined["crop"] ?? 0) + (joined["panel"] ?? 0) > 0) == on, "\(arguments)")
        }
    }

    @Test(Prerequisite.pairdx.trait) func threadCountAndShardCountDoNotChangeTheBytes() async throws {
        let exe = try Prerequisite.pairdx.require()
        let one = try scratch("t1"), two = try scratch("t2")
        _ = try await rebuild(one, figures: 150, threads: 1)
        _ = try await rebuild(two, figures: 150, threads: 2)
        let reference = try outputs(one)
        #expect(!reference.isEmpty)
        #expect(try outputs(two) == reference)

        // Four concurrent shard processes, in a work directory holding shard files of earlier runs (a `label --shard`
        // of one shard, a run with another shard count): they are removed, not merged.
        let four = try scratch("s4")
        let stale = ["labels.shard-2-of-4.jsonl", "figures.shard-5-of-7.jsonl", "labels.shard-0-of-2.jsonl"]
        for name in stale + ["images.shard-0-of-4.jsonl"] {
            try AtomicFile.write("{\"stale\": true}\n", to: WorkDirectory(four + "/work").path(name))
        }
        try AtomicFile.write("kept\n", to: WorkDirectory(four + "/work").path("notes.shard-1-of-4.txt"))
        _ = try await rebuild(four, figures: 150, shards: 4)
        #expect(try outputs(four) == reference)
        for name in stale {
            #expect(
                !FileSystem.exists(WorkDirectory(four + "/work").path(name)), "\(name) was left in the work directory")
        }
        #expect(FileSystem.exists(WorkDirectory(four + "/work").path("notes.shard-1-of-4.txt")))

        // A shard killed midway and rerun changes nothing.
        let killed = try scratch("kill")
        let work = killed + "/work"
        _ = try await rebuild(killed, figures: 150, threads: 2)  // corpus, candidates and a one-process result
        for f in ["articles.jsonl", "figures.jsonl", "images.jsonl", "fetch-journal.jsonl"] {
            try? FileManager.default.removeItem(atPath: work + "/" + f)
        }
        try? FileManager.default.removeItem(atPath: work + "/.stamps")
        try? FileManager.default.removeItem(atPath: work + "/blobs")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = ["fetch", "--work", work, "--source", work + "/mirror", "--shard", "1/4", "--log-level", "quiet"]
        try p.run()
        usleep(300_000)
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        _ = try await rebuild(killed, figures: 150, shards: 4)
        #expect(try outputs(killed) == reference)
    }

    /// Validation is a stamped stage: a second `rebuild --validate` skips it (and still prints the table and applies
    /// the gate from report/validation.json); another compute mode reruns it.
    @Test(Prerequisite.pairdx.trait) func validationIsStamped() throws {
        let exe = try Prerequisite.pairdx.require()
        let root = try scratch("validate")
        try AtomicFile.write(
            try FileSystem.read(Self.packageRoot + "/Manifests/published-results.json"),
            to: root + "/Manifests/published-results.json")
        func run(_ extra: [String]) throws -> (Int32, String) {
            let r = try Subprocess.run(
                exe, ["rebuild", "--synth-figures", "150", "--validate", "--threads", "2", "--no-audit"] + extra,
                cwd: root, stderrOnly: true)
            return (r.status, r.output)
        }
        let first = try run([])
        #expect(first.0 == 0 && first.1.contains("[validate] done"), "\(first.1.suffix(600))")
        let second = try run([])
        #expect(second.0 == 0, "\(second.1.suffix(600))")
        #expect(second.1.contains("[validate] unchanged — skipped"))
        #expect(!second.1.contains("validate: training"), "the models were trained again")
        #expect(second.1.contains("gate (fusion beats each single-modality baseline"))
        let fast = try run(["--fast"])
        #expect(
            fast.0 == 0 && fast.1.contains("[validate] done"), "--fast did not rerun validation: \(fast.1.suffix(600))")
    }

    /// The fetch shards of a sharded rebuild run under the command's client limits: a media limit of 100 bytes
    /// refuses every figure in every shard, as it does unsharded.
    @Test(Prerequisite.pairdx.trait) func shardedFetchKeepsTheClientLimits() async throws {
        try Prerequisite.pairdx.require()
        let root = try scratch("limits")
        do { _ = try await rebuild(root, figures: 60, shards: 2, clientArguments: ["--max-media-bytes", "100"]) } catch
        { print("rebuild stopped: \(error)") }
        var figures: [FigureRecord] = []
        for i in 0..<2 {
            figures += try JSONL.read(
                FigureRecord.self, from: WorkDirectory(root + "/work").path("figures.shard-\(i)-of-2.jsonl"))
        }
        let fetched = figures.filter { $0.sha256 != nil }
        #expect(!figures.isEmpty)
        #expect(fetched.isEmpty, "\(fetched.count) figures were stored past a 100-byte media limit")
        #expect(figures.contains { $0.status.rawValue == "too-large" })
    }
}
