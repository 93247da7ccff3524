import Foundation
import PairDxTestSupport
import Testing
@testable import Ingest
import MirrorServer
import PairDxCore

/// Kills the real `pairdx fetch` with SIGKILL at several moments, reruns it, and checks the result
/// equals an uninterrupted run and that no completed download was repeated.
@Suite(.scratch) struct ResumeTests {
    static let executable = Prerequisite.pairdx.value

    @Test(Prerequisite.pairdx.trait)
    func sigkillAtAnyMomentThenRerunGivesIdenticalOutputs() async throws {
        try Prerequisite.pairdx.require()
        let dir = try Scratch.directory("resume")
        let root = try MirrorBuilder.standard(in: dir, images: 24)
        let mirror = try await RunningMirror.start(root)
        defer { Task { await mirror.stop() } }

        // Reference: one uninterrupted run in-process over the directory.
        var o = HTTPClientOptions(); o.backoffBase = 0.02
        let cs = try await Discoverer(client: HTTPClient(options: o)).fromListing(try Source(root))
        _ = try await Fetcher(
            source: try Source(root), work: WorkDirectory(dir + "/ref"), client: HTTPClient(options: o)
        ).run(cs)

        let work = dir + "/work"
        #expect(try await runProcess(Self.executable!, ["discover", "--source", mirror.base, "--work", work]) == 0)
        // ~110 requests at 50/s: about two seconds, killed at growing offsets.
        let args = ["fetch", "--source", mirror.base, "--work", work, "--rate", "50", "--log-level", "quiet"]
        var kills = 0
        for delay in [0.25, 0.6, 1.0] {
            let p = try start(args)
            try await Task.sleep(nanoseconds: UInt64(delay * 1e9))
            if p.isRunning { kill(p.processIdentifier, SIGKILL); kills += 1 }
            while p.isRunning { try await Task.sleep(nanoseconds: 10_000_000) }
        }
        #expect(kills >= 2, "the fetch finished before it could be killed")
        #expect(try await runProcess(Self.executable!, args) == 0)

        let ref = WorkDirectory(dir + "/ref"), got = WorkDirectory(work)
        #expect(try FileSystem.readString(got.articles) == FileSystem.readString(ref.articles))
        #expect(try FileSystem.readString(got.figures) == FileSystem.readString(ref.figures))
        #expect(got.blobs.all() == ref.blobs.all())
        for sha in got.blobs.all() { #expect(SHA256.hex(try got.blobs.read(sha)) == sha) }

        // Nothing complete was fetched twice: repeats are bounded by what was in flight at each kill.
        let hits = mirror.server.hits.filter { $0.key != "/" }
        let repeats = hits.values.reduce(0) { $0 + max(0, $1 - 1) }
        let absent = hits["/PMC6.1/gone.jpg"] ?? 0  // a 404 is asked for again until its journal line is written
        let html = hits["/PMC6.1/err.png"] ?? 0  // an HTML page in place of an image is asked for on every run
        #expect(
            repeats - max(0, absent - 1) - max(0, html - 1) <= kills * 8,
            "\(repeats) repeated requests after \(kills) kills")
    }

    /// The journal's keys are relative to the source: a work directory moved together with its mirror resumes
    /// without one request, and a journal of absolute `file://` keys (as older versions wrote) is still read.
    @Test func aMovedWorkDirectoryAndMirrorResumeWithoutRequests() async throws {
        let dir = try Scratch.directory("moved")
        let first = dir + "/first"
        for i in 0..<4 {
            try MirrorBuilder.article(
                first + "/mirror", pmcid: "PMC\(20 + i)", version: 1,
                figures: [
                    MirrorBuilder.Fig(id: "F1", label: "Figure 1", caption: "Axial CT \(i).", hrefs: ["pmc\(i).g001"])
                ], media: ["pmc\(i).g001.png": PNGFixture.make(width: 24, height: 24, seed: 40 + i)])
        }
        func fetch(_ root: String) async throws -> FetchReport {
            let source = try Source(root + "/mirror")
            let cs = try await Discoverer(client: HTTPClient(options: HTTPClientOptions())).fromListing(source)
            return try await Fetcher(
                source: source, work: WorkDirectory(root + "/work"), client: HTTPClient(options: HTTPClientOptions())
            ).run(cs)
        }
        let before = try await fetch(first)
        #expect(before.requests >= 8)  // metadata, JATS and one image per article
        let figures = try FileSystem.readString(WorkDirectory(first + "/work").path("figures.jsonl"))

        let moved = dir + "/elsewhere/moved"
        try FileManager.default.createDirectory(atPath: dir + "/elsewhere", withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: first, toPath: moved)
        let after = try await fetch(moved)
        #expect(after.requests == 0, "\(after.requests) requests after moving the mirror and the work directory")
        #expect(after.reused == before.requests)
        #expect(try FileSystem.readString(WorkDirectory(moved + "/work").path("figures.jsonl")) == figures)
        let journal = try FileSystem.readString(WorkDirectory(moved + "/work").path("fetch-journal.jsonl"))
        #expect(!journal.contains("file://"), "the journal names absolute URLs")

        // A journal written with absolute keys under the current base.
        let base = try Source(moved + "/mirror").base
        let absolute = try journal.split(separator: "\n").map { line -> String in
            var e = try JSONDecoder().decode(FetchJournal.Entry.self, from: Data(line.utf8))
            e.url = base + e.url
            return try CanonicalJSON.string(e) + "\n"
        }.joined()
        try AtomicFile.write(absolute, to: WorkDirectory(moved + "/work").path("fetch-journal.jsonl"))
        let old = try await fetch(moved)
        #expect(old.requests == 0, "\(old.requests) requests with a journal of absolute keys")
        #expect(try FileSystem.readString(WorkDirectory(moved + "/work").path("figures.jsonl")) == figures)
    }

    func start(_ args: [String]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.executable!)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }
}
