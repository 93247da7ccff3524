import Foundation
import PairDxCore
import PairDxTestSupport
import Synth
import Testing
@testable import Pipeline

/// The caption-first scan spread over shards: local processes (`rebuild --shards N`) and the cluster form (`plan`, N ×
/// `rebuild --scan-shard I/N`, `rebuild --from-shards N`, what `deploy/slurm/submit.sh --order caption-first` runs) give
/// the bytes of the one-process scan on a PubMed Central-like corpus, and a short merged result fails the finish.
@Suite(.serialized, .scratch) struct ShardedScanTests {
    /// A PMC-profile mirror: the six classes are a minority, endoscopy the rarest.
    static let mirror: String = {
        let dir = try! Scratch.shared("sharded-scan-mirror")
        _ = try! SynthGenerator.run(
            SynthOptions(
                seed: 5, out: dir + "/mirror", figures: 1500, truth: dir + "/truth.json", threads: 2, force: true,
                profile: .pmc))
        return dir + "/mirror"
    }()

    static let perClass = 4

    /// A scratch root with the demo recipe turned into a `target` policy.
    func scratch(_ tag: String) throws -> (root: String, recipe: String) {
        let root = try Scratch.directory("sharded-scan-" + tag)
        var r = try Recipe.load(Prerequisite.packageRoot + "/Manifests/pairdx-synth-v1/recipe.json")
        r.name = "sharded-scan"
        r.balance.policy = .target; r.balance.perClass = Self.perClass
        let path = root + "/Manifests/sharded-scan/recipe.json"
        try AtomicFile.write(try CanonicalJSON.encode(r, pretty: true), to: path)
        return (root, path)
    }

    func options(_ s: (root: String, recipe: String)) -> Rebuild.Options {
        var o = Rebuild.Options(recipePath: s.recipe, work: WorkDirectory(s.root + "/work"))
        o.source = Self.mirror
        o.splitsRoot = s.root + "/Splits"
        o.manifestsRoot = s.root + "/Manifests"
        o.threads = 2
        o.audit = false
        o.firstBatch = 40
        o.executable = Prerequisite.pairdx.value
        return o
    }

    func outputs(_ root: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for dir in ["Splits/sharded-scan", "Manifests/sharded-scan"] {
            for f in FileSystem.listFiles(under: root + "/" + dir) {
                out[dir + "/" + f] = try FileSystem.read(root + "/" + dir + "/" + f)
            }
        }
        return out
    }

    /// `pairdx rebuild --scan-shard I/N` as a cluster task runs it.
    func scanShard(_ s: (root: String, recipe: String), _ i: Int, of n: Int, _ extra: [String] = []) throws {
        let exe = try Prerequisite.pairdx.require()
        let r = try Subprocess.run(
            exe,
            [
                "rebuild", "--recipe", s.recipe, "--source", Self.mirror, "--work", s.root + "/work",
                "--scan-shard", "\(i)/\(n)", "--batch", "40", "--threads", "1", "--log-level", "info"
            ] + extra,
            stderrOnly: true)
        #expect(r.status == 0, "scan shard \(i)/\(n) exited \(r.status): \(r.output.suffix(800))")
    }

    @Test(Prerequisite.pairdx.trait) func oneShardAndManyShardsGiveTheSameBytes() async throws {
        try Prerequisite.pairdx.require()
        // One process.
        let one = try scratch("one")
        let reference = try await Rebuild(options(one)).run()
        let refScan = try #require(reference.scan)
        #expect(refScan.stoppedBy == "target" && (refScan.kept ?? 0) < refScan.candidates, "\(refScan)")
        let bytes = try outputs(one.root)
        #expect(!bytes.isEmpty)
        #expect(reference.summary.splits.values.reduce(0) { $0 + $1.count } == Self.perClass * 6)

        // Three local shard processes (`rebuild --shards 3`): the same prefixes, the same bytes.
        let three = try scratch("three")
        var o3 = options(three)
        o3.shards = 3
        let r3 = try await Rebuild(o3).run()
        #expect(r3.scan?.kept == refScan.kept && r3.scan?.stoppedBy == "target")
        #expect(try outputs(three.root) == bytes)
        let w3 = WorkDirectory(three.root + "/work")
        for i in 0..<3 { #expect(FileSystem.exists(w3.path("scan-state.shard-\(i)-of-3.json"))) }
        // The same media selection as one process (the cap ran once, after the shards' caption phase).
        #expect(try FileSystem.read(w3.figures) == FileSystem.read(WorkDirectory(one.root + "/work").figures))
        // The shards asked for metadata and JATS only; the media the merging process asked for are none of a figure
        // without a class or of a class already covered.
        let figures3 = try JSONL.read(FigureRecord.self, from: w3.figures)
        let skipped = figures3.filter { $0.status == FetchStatus.captionUnlabelled }
        let covered = figures3.filter { $0.status == FetchStatus.classCovered }
        #expect(!skipped.isEmpty && !covered.isEmpty)
        for i in 0..<3 {
            let urls = try FileSystem.readString(w3.path("fetch-journal.shard-\(i)-of-3.jsonl")).split(separator: "\n")
                .compactMap {
                    (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["url"] as? String
                }
            #expect(!urls.isEmpty && urls.allSatisfy { $0.hasSuffix(".json") || $0.hasSuffix(".xml") }, "shard \(i)")
        }
        let journal = try FileSystem.readString(w3.path("fetch-journal.jsonl"))
        for f in skipped.prefix(50) + covered {
            #expect(!journal.contains("/\(f.media ?? "-")\""), "\(f.id) media were requested")
        }

        // The cluster form: plan, two shard tasks over the plan's upper estimate, then the finish merges and picks the prefix.
        let two = try scratch("two")
        let plan = try await Rebuild(options(two)).plan(maxSample: 80, rate: 3)
        let planned = try #require(plan.estimate?.articles.high)
        let w2 = WorkDirectory(two.root + "/work")
        #expect(FileSystem.exists(w2.path(ShardedScan.candidatesFile)))
        for i in 0..<2 { try scanShard(two, i, of: 2) }
        let states = try (0..<2).map {
            try CanonicalJSON.decode(
                ShardedScan.ShardState.self, from: FileSystem.read(w2.path("scan-state.shard-\($0)-of-2.json")),
                source: "state")
        }
        #expect(
            states.allSatisfy {
                $0.articles == min(refScan.candidates, Int(planned)) && $0.reach == $0.articles && $0.stoppedBy == nil
            })
        #expect(states.map(\.items).reduce(0, +) == states[0].articles)
        var finish = options(two)
        finish.fromShards = 2
        let r2 = try await Rebuild(finish).run()
        #expect(r2.scan?.kept == refScan.kept && r2.scan?.stoppedBy == "target", "\(String(describing: r2.scan))")
        #expect(try outputs(two.root) == bytes)
        // The work files describe the kept prefix, as after a one-process scan.
        #expect(try JSONL.read(Candidate.self, from: w2.candidates).count == refScan.kept)
        #expect(try FileSystem.read(w2.labels) == FileSystem.read(WorkDirectory(one.root + "/work").labels))
        #expect(try FileSystem.read(w2.figures) == FileSystem.read(WorkDirectory(one.root + "/work").figures))
    }

    @Test(Prerequisite.pairdx.trait) func aShortOrIncompleteMergedScanFailsTheFinish() async throws {
        try Prerequisite.pairdx.require()
        let s = try scratch("short")
        let plan = try await Rebuild(options(s)).plan(maxSample: 20, rate: 3)
        #expect(plan.sample == 20)
        // Only 30 articles: too few for the target.
        try scanShard(s, 0, of: 2, ["--scan-articles", "30"])
        var finish = options(s)
        finish.fromShards = 2
        // A shard task that did not finish: the merge names it.
        var thrown: PairDxError?
        do { _ = try await Rebuild(finish).run() } catch let e as PairDxError { thrown = e }
        #expect(
            thrown?.exitCode == 74 && thrown?.message.contains("shard 1/2: no scan-state.shard-1-of-2.json") == true,
            "\(String(describing: thrown))")

        try scanShard(s, 1, of: 2, ["--scan-articles", "30"])
        thrown = nil
        do { _ = try await Rebuild(finish).run() } catch let e as PairDxError { thrown = e }
        let e = try #require(thrown)
        #expect(e.exitCode == 1 && e.message.contains("--scan-articles 30"), "\(e.message)")
        for c in ["ct", "mri", "xray", "ultrasound", "histopathology", "endoscopy"] {
            #expect(e.message.contains("\(c) "), "\(e.message)")
        }
        #expect(e.message.contains("--allow-short"))

        // A shard whose request budget ran out covers less: the merged prefix ends at its first unscanned article.
        try scanShard(s, 1, of: 2, ["--scan-articles", "60", "--max-requests", "1"])
        let st = try CanonicalJSON.decode(
            ShardedScan.ShardState.self,
            from: FileSystem.read(WorkDirectory(s.root + "/work").path("scan-state.shard-1-of-2.json")), source: "state"
        )
        #expect(st.articles == 60 && st.stoppedBy == "--max-requests 1" && st.reach < 60)

        var allowed = finish
        allowed.allowShort = true
        let r = try await Rebuild(allowed).run()
        let counts = Dictionary(
            grouping: try JSONL.read(
                BalancedItemProbe.self, from: WorkDirectory(s.root + "/work").path("balanced.jsonl")), by: \.class
        ).mapValues(\.count)
        #expect(Set(counts.values).count <= 1)
        #expect(r.scan?.scanned == min(30, st.reach))
    }
}
