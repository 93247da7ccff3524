import Foundation
import PairDxCore
import Synth
import Testing
@testable import Pipeline

/// The caption-first rebuild of a given source: media only for labelled figures, a stop at the recipe's target,
/// and the same split bytes whatever the batch sizes or interruptions.
@Suite(.serialized) struct CaptionFirstScanTests {
    static let mirror: String = {
        let dir = NSTemporaryDirectory() + "pairdx-scan-mirror-\(getpid())"
        if !FileSystem.exists(dir + "/.done") {
            _ = try! SynthGenerator.run(
                SynthOptions(seed: 4, out: dir, figures: 600, truth: dir + ".truth.json", threads: 2, force: true))
            try! AtomicFile.write(Data(), to: dir + "/.done")
        }
        return dir
    }()

    /// A scratch root with the demo recipe turned into a `target` policy of `perClass`.
    func scratch(_ tag: String, perClass: Int) throws -> (root: String, recipe: String) {
        let root = NSTemporaryDirectory() + "pairdx-scan-\(tag)-\(UUID().uuidString)"
        var r = try Recipe.load(RebuildTests.packageRoot + "/Manifests/pairdx-synth-v1/recipe.json")
        r.name = "scan-test"
        r.balance.policy = .target; r.balance.perClass = perClass
        let path = root + "/Manifests/scan-test/recipe.json"
        try AtomicFile.write(try CanonicalJSON.encode(r, pretty: true), to: path)
        return (root, path)
    }

    func options(_ s: (root: String, recipe: String), work: String = "work", batch: Int = 200) -> Rebuild.Options {
        var o = Rebuild.Options(recipePath: s.recipe, work: WorkDirectory(s.root + "/" + work))
        o.source = Self.mirror
        o.splitsRoot = s.root + "/Splits"
        o.manifestsRoot = s.root + "/Manifests"
        o.threads = 2
        o.audit = false
        o.firstBatch = batch
        return o
    }

    func outputs(_ root: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for dir in ["Splits/scan-test", "Manifests/scan-test"] {
            for f in FileSystem.listFiles(under: root + "/" + dir) {
                out[dir + "/" + f] = try FileSystem.read(root + "/" + dir + "/" + f)
            }
        }
        return out
    }

    @Test func captionFirstFetchesLabelledMediaOnlyAndStopsAtTheTarget() async throws {
        let s = try scratch("one", perClass: 12)
        let r = try await Rebuild(options(s)).run()
        #expect(r.order == .captionFirst && r.candidateOrigin == .listing)
        let scan = try #require(r.scan)
        #expect(scan.stoppedBy == "target" && (scan.kept ?? 0) < scan.candidates)
        #expect(r.summary.splits.values.reduce(0) { $0 + $1.count } == 12 * 6)
        let work = WorkDirectory(s.root + "/work")
        let figures = try JSONL.read(FigureRecord.self, from: work.figures)
        let skipped = figures.filter { $0.status == FetchStatus.captionUnlabelled }
        #expect(!skipped.isEmpty && skipped.allSatisfy { $0.sha256 == nil })
        // No media request for a figure without a class: the journal names none of their files.
        let journal = try FileSystem.readString(work.path("fetch-journal.jsonl"))
        for f in skipped.prefix(50) {
            #expect(!journal.contains("/\(f.media ?? "-")\""), "\(f.id) media were requested")
        }
        // The candidates and articles are the kept prefix of the seeded order, not the whole listing.
        #expect(try JSONL.read(Candidate.self, from: work.candidates).count == scan.kept)
    }

    @Test func batchSizesAndInterruptionsDoNotChangeTheSplit() async throws {
        let a = try scratch("a", perClass: 12), b = try scratch("b", perClass: 12), c = try scratch("c", perClass: 12)
        _ = try await Rebuild(options(a, batch: 200)).run()
        let reference = try outputs(a.root)
        #expect(!reference.isEmpty)
        _ = try await Rebuild(options(b, batch: 7)).run()
        #expect(try outputs(b.root) == reference)
        // Stopped by a budget: exit 1 naming the budget and the classes, state kept; a rerun resumes and agrees.
        var stopped = options(c, batch: 9)
        stopped.budget = ScanBudget(maxArticles: 10)
        var thrown: PairDxError?
        do { _ = try await Rebuild(stopped).run() } catch let e as PairDxError { thrown = e }
        let e = try #require(thrown)
        #expect(e.exitCode == 1 && e.message.contains("--max-articles 10") && e.message.contains("ct "))
        let state = try CanonicalJSON.decode(
            ScanState.self, from: FileSystem.read(WorkDirectory(c.root + "/work").path("scan-state.json")),
            source: "state")
        #expect(state.scanned == 10)
        let resumed = try await Rebuild(options(c, batch: 9)).run()
        #expect(resumed.scan?.batches ?? 0 > state.batches)
        #expect(try outputs(c.root) == reference)
    }

    @Test func aShortSourceExitsOneNamingEachClassUnlessAllowed() async throws {
        let s = try scratch("short", perClass: 5000)
        var thrown: PairDxError?
        do { _ = try await Rebuild(options(s)).run() } catch let e as PairDxError { thrown = e }
        let e = try #require(thrown)
        #expect(e.exitCode == 1)
        for c in ["ct", "mri", "xray", "ultrasound", "histopathology", "endoscopy"] {
            #expect(e.message.contains("\(c) have "), "\(e.message)")
        }
        #expect(e.message.contains("/need 5000"))
        var allowed = options(s)
        allowed.allowShort = true
        allowed.audit = true
        allowed.reportDir = s.root + "/report"
        let r = try await Rebuild(allowed).run()
        let counts = Dictionary(
            grouping: try JSONL.read(
                BalancedItemProbe.self, from: WorkDirectory(s.root + "/work").path("balanced.jsonl")), by: \.class
        ).mapValues(\.count)
        #expect(Set(counts.values).count == 1)
        #expect(r.audit?.findings.contains { $0.contains("not the published size") } == true)
        #expect(r.audit?.passed == true)
    }
}

/// `balanced.jsonl` rows as the test reads them.
struct BalancedItemProbe: Codable { var id: String; var `class`: String }
