import Curation
import Foundation
import PairDxTestSupport
import PairDxCore
import Synth
import Testing
@testable import Pipeline

/// The caption-first rebuild of a given source: media only for labelled figures, a stop at the recipe's target,
/// and the same split bytes whatever the batch sizes or interruptions.
@Suite(.serialized, .scratch) struct CaptionFirstScanTests {
    static let mirror: String = {
        let dir = try! Scratch.shared("scan-mirror")
        _ = try! SynthGenerator.run(
            SynthOptions(
                seed: 4, out: dir + "/mirror", figures: 600, truth: dir + "/truth.json", threads: 2, force: true))
        return dir + "/mirror"
    }()

    /// A scratch root with the demo recipe turned into a `target` policy of `perClass`.
    func scratch(_ tag: String, perClass: Int) throws -> (root: String, recipe: String) {
        let root = try Scratch.directory("scan-" + tag)
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

        // The media cap: of each class's labelled figures, only the first `allowance` in scan order had their media
        // asked for; the later ones of a covered class cost no request.
        let allowance = try #require(scan.mediaAllowance)
        let covered = figures.filter { $0.status == FetchStatus.classCovered }
        #expect(!covered.isEmpty && covered.allSatisfy { $0.sha256 == nil })
        for f in covered { #expect(!journal.contains("/\(f.media ?? "-")\""), "\(f.id) media were requested") }
        let position = Dictionary(
            uniqueKeysWithValues: CaptionFirstScan.order(
                try JSONL.read(Candidate.self, from: work.candidates), seed: r.recipe.seed
            ).enumerated().map { ($1.pmcid, $0) })
        let labeler = Labeler(recipe: r.recipe)
        var asked: [String: [(Int, String)]] = [:], held: [String: [(Int, String)]] = [:]
        for f in figures where f.status != FetchStatus.captionUnlabelled && f.url != nil {
            guard let c = labeler.label(caption: f.caption).class else { continue }
            let key = (position[f.pmcid]!, f.sortKey)
            if f.status == FetchStatus.classCovered {
                held[c, default: []].append(key)
            } else {
                asked[c, default: []].append(key)
            }
        }
        for (c, keys) in asked {
            #expect(keys.count == allowance[c], "\(c): \(keys.count) media asked, allowance \(allowance[c] ?? -1)")
            // Every held-back figure comes after every selected one of its class.
            if let last = keys.max(by: { ($0.0, $0.1) < ($1.0, $1.1) }),
                let first = held[c]?.min(by: { ($0.0, $0.1) < ($1.0, $1.1) })
            {
                #expect((last.0, last.1) < (first.0, first.1), "\(c)")
            }
        }
        // Far fewer media than labelled figures: each class asks for about its need, not for everything labelled.
        #expect(asked.values.reduce(0) { $0 + $1.count } < 12 * 6 * 2)
        #expect(r.summary.splits.values.reduce(0) { $0 + $1.count } == 12 * 6)
    }

    /// The cap's rounds on records: a class covered by its first allowance does not grow; a class whose losses leave
    /// it short grows by its shortfall over the share that survived, up to its queue.
    @Test func theMediaCapTopsUpOnlyAShortClass() throws {
        var recipe = try Recipe.load(RebuildTests.packageRoot + "/Manifests/pairdx-synth-v1/recipe.json")
        recipe.balance.policy = .target; recipe.balance.perClass = 4
        func figure(_ pmcid: String, _ n: Int, _ caption: String) -> FigureRecord {
            FigureRecord(
                id: "\(pmcid)/F\(n)", pmcid: pmcid, version: 1, figure: "F\(n)", label: nil, caption: caption,
                context: "", href: "f\(n)", media: "f\(n).png", license: nil, sha256: nil, bytes: nil,
                url: "s3://b/\(pmcid).1/f\(n).png", status: .captionUnlabelled)
        }
        let ct = "Axial contrast-enhanced CT scan of the abdomen showing a hypodense hepatic lesion."
        let endo = "Endoscopic view of the gastric antrum showing an ulcer with a clean base at colonoscopy."
        let labeler = Labeler(recipe: recipe)
        try #require(labeler.label(caption: ct).class == "ct" && labeler.label(caption: endo).class == "endoscopy")
        // Ten articles; ct in each, endoscopy in the even ones; the order puts PMC9 first.
        var figures: [FigureRecord] = []
        for a in 0..<10 {
            figures.append(figure("PMC\(a)", 1, ct))
            figures.append(figure("PMC\(a)", 2, ct))
            if a % 2 == 0 { figures.append(figure("PMC\(a)", 3, endo)) }
        }
        let position = Dictionary(uniqueKeysWithValues: (0..<10).map { ("PMC\($0)", 9 - $0) })
        var cap = MediaCap(figures: figures, position: position, recipe: recipe)
        // ⌈4 × 1.05⌉ = 5 of each class, in scan order (PMC9 first).
        #expect(cap.allowance == ["ct": 5, "endoscopy": 5])
        #expect(cap.selected.filter { $0.hasSuffix("/F3") }.count == 5)
        #expect(
            cap.selected.contains("PMC9/F1") && cap.selected.contains("PMC7/F1") && !cap.selected.contains("PMC7/F2"))
        #expect(cap.heldBack.count == 20 + 5 - 10)
        // ct is covered; endoscopy kept 2 of 5 but its queue holds no more: no round follows.
        let grewFull = cap.topUp(usable: ["ct": 4, "endoscopy": 2])
        #expect(!grewFull)
        #expect(cap.allowance == ["ct": 5, "endoscopy": 5])
        var longer = MediaCap(
            figures: figures + (10..<20).map { figure("PMC\($0)", 3, endo) }, position: position, recipe: recipe)
        // With a longer queue: 2 more at a survival of 40% are ⌈2 / 0.4⌉ = 5 more.
        let grewLonger = longer.topUp(usable: ["ct": 4, "endoscopy": 2])
        #expect(grewLonger)
        #expect(longer.allowance["endoscopy"] == 10 && longer.allowance["ct"] == 5)
        #expect(longer.heldBack.filter { $0.hasSuffix("/F3") }.count == 5)
        // One short after losing 2 of 5: ⌈1 / 0.6⌉ = 2 more.
        var small = MediaCap(
            figures: figures + (10..<20).map { figure("PMC\($0)", 3, endo) }, position: position, recipe: recipe)
        let grewSmall = small.topUp(usable: ["ct": 4, "endoscopy": 3])
        #expect(grewSmall)
        #expect(small.allowance["endoscopy"] == 7)
        // Every class full: no round follows.
        let grewAgain = small.topUp(usable: ["ct": 4, "endoscopy": 4])
        #expect(!grewAgain)
    }

    @Test func batchSizesAndInterruptionsDoNotChangeTheSplit() async throws {
        let a = try scratch("a", perClass: 12), b = try scratch("b", perClass: 12), c = try scratch("c", perClass: 12)
        _ = try await Rebuild(options(a, batch: 200)).run()
        let reference = try outputs(a.root)
        #expect(!reference.isEmpty)
        _ = try await Rebuild(options(b, batch: 7)).run()
        #expect(try outputs(b.root) == reference)
        // The same media selection, too: the kept prefix's figure records (statuses of the cap included) are equal.
        let figures = try FileSystem.read(WorkDirectory(a.root + "/work").figures)
        #expect(try FileSystem.read(WorkDirectory(b.root + "/work").figures) == figures)
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
        #expect(try FileSystem.read(WorkDirectory(c.root + "/work").figures) == figures)
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
