import Foundation
import PairDxTestSupport
import Testing
@testable import Ingest
import MirrorServer
import PairDxCore

/// Kills the real `pairdx fetch` with SIGKILL at several moments, reruns it, and checks the result
/// equals an uninterrupted run and that no completed download was repeated.
@Suite struct ResumeTests {
    static let executable = Prerequisite.pairdx.value

    @Test(Prerequisite.pairdx.trait)
    func sigkillAtAnyMomentThenRerunGivesIdenticalOutputs() async throws {
        try Prerequisite.pairdx.require()
        let dir = try TestPaths.scratch("resume")
        let root = try MirrorBuilder.standard(in: dir, images: 24)
        let mirror = try await RunningMirror.start(root)
        defer { Task { await mirror.stop() } }

        // Reference: one uninterrupted run in-process over the directory.
        var o = HTTPClientOptions(); o.backoffBase = 0.02
        let cs = try await Discoverer(client: HTTPClient(options: o)).fromListing(try Source(root))
        _ = try await Fetcher(source: try Source(root), work: WorkDirectory(dir + "/ref"), client: HTTPClient(options: o)).run(cs)

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
        let absent = hits["/PMC6.1/gone.jpg"] ?? 0   // a 404 is asked for again until its journal line is written
        let html = hits["/PMC6.1/err.png"] ?? 0      // an HTML page in place of an image is asked for on every run
        #expect(repeats - max(0, absent - 1) - max(0, html - 1) <= kills * 8, "\(repeats) repeated requests after \(kills) kills")
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
