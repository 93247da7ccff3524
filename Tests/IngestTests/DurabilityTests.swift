import Foundation
import PairDxTestSupport
import Testing
@testable import Ingest
import PairDxCore

private func client() -> HTTPClient {
    var o = HTTPClientOptions(); o.backoffBase = 0.02; o.maxRetries = 0
    return HTTPClient(options: o)
}

/// A mirror directory with one article, one figure (`png`).
private func mirror(_ dir: String, png: Data) throws -> String {
    let root = dir + "/mirror"
    try MirrorBuilder.article(
        root, pmcid: "PMC1", version: 1,
        figures: [MirrorBuilder.Fig(id: "F1", label: "Figure 1", caption: "Axial CT.", hrefs: ["g1"])],
        media: ["g1.png": png])
    return root
}

private let candidates = [Candidate(pmcid: "PMC1", version: 1, via: .ids)]

/// What a fetch leaves on disk when writes fail, a run was killed, or stored bytes were damaged.
@Suite(.scratch) struct DurabilityTests {
    @Test func aJournalThatCannotBeWrittenFailsTheFetch() async throws {
        let dir = try Scratch.directory("journal-full")
        let root = try mirror(dir, png: PNGFixture.make(width: 20, height: 20, seed: 1))
        let work = WorkDirectory(dir + "/work")
        try FileManager.default.createDirectory(atPath: work.root, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: work.path("fetch-journal.jsonl"), withDestinationPath: "/dev/full")
        do {
            _ = try await Fetcher(source: try Source(root), work: work, client: client()).run(candidates)
            Issue.record("the fetch succeeded although no journal line could be written")
        } catch let e as PairDxError {
            #expect(e.message.contains("fetch journal") && e.message.contains("No space left"), "\(e.message)")
            #expect(e.exitCode == 74)
        }
        #expect(!FileManager.default.fileExists(atPath: work.figures))  // no output names unjournalled blobs
    }

    @Test func unfinishedDownloadsOfAKilledRunAreRemoved() async throws {
        let dir = try Scratch.directory("partial")
        let root = try mirror(dir, png: PNGFixture.make(width: 20, height: 20, seed: 2))
        let work = WorkDirectory(dir + "/work")
        try FileManager.default.createDirectory(atPath: work.path(".partial"), withIntermediateDirectories: true)
        try Data(count: 5000).write(to: URL(fileURLWithPath: work.path(".partial/0123abcd")))
        _ = try await Fetcher(source: try Source(root), work: work, client: client()).run(candidates)
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.path(".partial")) == [])
    }

    @Test func damagedBlobsAreReplacedNotTrusted() async throws {
        let dir = try Scratch.directory("damaged-blob")
        let png = PNGFixture.make(width: 40, height: 40, seed: 3)
        let root = try mirror(dir, png: png)
        let sha = SHA256.hex(png)
        // 1. The blob is there (same size, wrong bytes: a crash before the filesystem was synced) but its journal
        //    line is not: the download that follows must not keep the damaged file.
        let work = WorkDirectory(dir + "/work")
        let blob = work.blobs.path(for: sha)
        try FileManager.default.createDirectory(
            atPath: (blob as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(count: png.count).write(to: URL(fileURLWithPath: blob))
        _ = try await Fetcher(source: try Source(root), work: work, client: client()).run(candidates)
        #expect(FileManager.default.contents(atPath: blob) == png)
        // 2. The journal line is there but the blob was cut short: fetched again and replaced.
        try Data(png.prefix(100)).write(to: URL(fileURLWithPath: blob))
        let again = try await Fetcher(source: try Source(root), work: work, client: client()).run(candidates)
        #expect(again.requests == 1)
        #expect(FileManager.default.contents(atPath: blob) == png)
        #expect(try JSONL.read(FigureRecord.self, from: work.figures).first?.sha256 == sha)
    }
}
