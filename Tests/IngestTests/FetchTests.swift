import Foundation
import PairDxTestSupport
import Testing
@testable import Ingest
import MirrorServer
import PairDxCore

private func client(_ configure: (inout HTTPClientOptions) -> Void = { _ in }) -> HTTPClient {
    var o = HTTPClientOptions(); o.backoffBase = 0.02; o.maxRetries = 2; o.connectTimeout = 2
    configure(&o)
    return HTTPClient(options: o)
}

/// The outputs that must match between runs: the two JSONL files and the blob listing.
private func outputs(_ work: String) throws -> [String] {
    let w = WorkDirectory(work)
    return [
        try FileSystem.readString(w.articles), try FileSystem.readString(w.figures),
        w.blobs.all().joined(separator: "\n")
    ]
}

@Suite(.scratch) struct FetchTests {
    @Test func fetchesMirrorDirectoryWithEveryHazardRecorded() async throws {
        let dir = try Scratch.directory("fetch-dir")
        let root = try MirrorBuilder.standard(in: dir)
        let work = WorkDirectory(dir + "/work")
        let candidates = try await Discoverer(client: client()).fromListing(try Source(root))
        #expect(
            candidates.map(\.pmcid) == [
                "PMC1", "PMC2", "PMC3", "PMC4", "PMC5", "PMC6", "PMC10", "PMC11", "PMC12", "PMC13"
            ])
        #expect(candidates.first { $0.pmcid == "PMC2" }?.version == 2)
        let report = try await Fetcher(source: try Source(root), work: work, client: client()).run(candidates)
        let articles = Dictionary(
            uniqueKeysWithValues: try JSONL.read(ArticleRecord.self, from: work.articles).map { ($0.pmcid, $0) })
        #expect(articles["PMC3"]?.status.rawValue == "retracted")
        #expect(articles["PMC4"]?.status.rawValue == "not-open-access")
        #expect(articles["PMC5"]?.status.rawValue == "no-figures")
        #expect(articles["PMC2"]?.version == 2 && articles["PMC2"]?.figures == 2)
        let figs = Dictionary(
            uniqueKeysWithValues: try JSONL.read(FigureRecord.self, from: work.figures).map { ($0.id, $0) })
        // png preferred over tif
        #expect(figs["PMC1/F1"]?.status.rawValue == "ok" && figs["PMC1/F1"]?.media == "pmc1.g001.png")
        #expect(figs["PMC1/F1"]?.url == "s3://pmc-oa-opendata/PMC1.1/pmc1.g001.png")
        #expect(figs["PMC1/F2"]?.label == nil && figs["PMC1/F2"]?.caption == "MRI without label. Shown in detail.")
        #expect(figs["PMC2/F1/1"]?.context == "fig-group" && figs["PMC2/F1/2"]?.status.rawValue == "ok")
        #expect(figs["PMC2/F1/2"]?.sha256 == figs["PMC1/F1"]?.sha256)  // same bytes, one blob
        #expect(figs["PMC6/F1"]?.status.reason == .unsafeName)
        #expect(figs["PMC6/F2"]?.status.rawValue == "not-an-image: html")
        #expect(figs["PMC6/F3"]?.status.rawValue == "media-missing")
        #expect(figs["PMC6/F4"]?.status.rawValue == "unsupported-format: tif" && figs["PMC6/F4"]?.media == "scan.tif")
        #expect(figs["PMC6/F5"]?.status.rawValue == "media-missing")
        #expect(figs["PMC6/F6"]?.status.reason == .unsafeName)
        #expect(figs.keys.allSatisfy { !$0.contains("t001") })  // table graphics are not figures
        let blobs = work.blobs.all()
        #expect(blobs.count == 2 + 1 + 4)  // PMC1 ×2, PMC2 a (b shares PMC1's bytes), PMC10–13
        for sha in blobs { #expect(SHA256.hex(try work.blobs.read(sha)) == sha) }
        #expect(report.articles["ok"] == 7 && report.figures["ok"] == 8)
        #expect(report.figures["unsupported-format"] == 1 && report.figures["not-an-image"] == 1)
        #expect(FileManager.default.fileExists(atPath: work.fetchReport))
        // A rerun asks only for the HTML page (a server's passing answer, never journalled): completed downloads
        // and the 404 are journalled.
        let before = try outputs(work.root)
        let again = try await Fetcher(source: try Source(root), work: work, client: client()).run(candidates)
        #expect(again.requests == 1 && again.reused == 10 + 8 + 9)  // metadata, JATS, media (the 404 included)
        #expect(try outputs(work.root) == before)
        // --retry-missing asks for the absent file again, and only for it (and the HTML page); once it is there it is fetched.
        let retried = try await Fetcher(source: try Source(root), work: work, client: client(), retryMissing: true).run(
            candidates)
        #expect(retried.requests == 2)
        #expect(try outputs(work.root) == before)
        let image = try #require(FileSystem.listFiles(under: root).first { $0.hasSuffix(".png") })
        // magic bytes decide, not the name
        try FileManager.default.copyItem(atPath: root + "/" + image, toPath: root + "/PMC6.1/gone.jpg")
        #expect(try await Fetcher(source: try Source(root), work: work, client: client()).run(candidates).requests == 1)
        let repaired = try await Fetcher(source: try Source(root), work: work, client: client(), retryMissing: true)
            .run(candidates)
        #expect(repaired.requests == 2)
        let after = Dictionary(
            uniqueKeysWithValues: try JSONL.read(FigureRecord.self, from: work.figures).map { ($0.id, $0) })
        #expect(after["PMC6/F3"]?.status.rawValue == "ok" && after["PMC6/F5"]?.status.rawValue == "media-missing")
    }

    @Test func httpAndDirectoryGiveIdenticalOutputs() async throws {
        let dir = try Scratch.directory("fetch-http")
        let root = try MirrorBuilder.standard(in: dir)
        let mirror = try await RunningMirror.start(
            root,
            faults: [
                Fault(path: "/PMC10.1/PMC10.g001.png", kind: "status", status: 503, retryAfter: 0, times: 1),
                Fault(path: "/PMC11.1/PMC11.g001.png", kind: "truncate", fraction: 0.3, times: 1),
                Fault(path: "/PMC1.1/PMC1.1.json", kind: "status", status: 429, times: 1)
            ])
        defer { Task { await mirror.stop() } }
        let byDir = try await Discoverer(client: client()).fromListing(try Source(root))
        let byHTTP = try await Discoverer(client: client()).fromListing(try Source(mirror.base))
        #expect(byDir.map(\.pmcid) == byHTTP.map(\.pmcid) && byDir.map(\.version) == byHTTP.map(\.version))
        _ = try await Fetcher(source: try Source(root), work: WorkDirectory(dir + "/w1"), client: client()).run(byDir)
        // Through the server, newest versions resolved by ListObjectsV2 rather than named.
        let unversioned = byHTTP.map { Candidate(pmcid: $0.pmcid, version: nil, via: .ids) }
        let r = try await Fetcher(source: try Source(mirror.base), work: WorkDirectory(dir + "/w2"), client: client())
            .run(unversioned)
        #expect(r.retries >= 3)
        #expect(try outputs(dir + "/w1") == outputs(dir + "/w2"))
    }

    @Test func oversizedMediaIsRejectedAlone() async throws {
        let dir = try Scratch.directory("fetch-big")
        let root = try MirrorBuilder.standard(in: dir, images: 1)
        try PNGFixture.make(width: 200, height: 200).write(to: URL(fileURLWithPath: root + "/PMC10.1/PMC10.g001.png"))
        let work = WorkDirectory(dir + "/work")
        let cs = try await Discoverer(client: client()).fromListing(try Source(root))
        _ = try await Fetcher(source: try Source(root), work: work, client: client { $0.bodyLimits.media = 20_000 })
            .run(cs)
        let figs = Dictionary(
            uniqueKeysWithValues: try JSONL.read(FigureRecord.self, from: work.figures).map { ($0.id, $0) })
        #expect(figs["PMC10/F1"]?.status.rawValue == "too-large" && figs["PMC10/F1"]?.sha256 == nil)
        #expect(figs["PMC1/F1"]?.status.rawValue == "ok")
    }

    @Test func discoverFromIDsESearchAndListing() async throws {
        let dir = try Scratch.directory("discover")
        let root = try MirrorBuilder.standard(in: dir)
        let ids = dir + "/ids.txt"
        try "# wanted\nPMC2.1\n13\nnot-an-id\n\npmc13\n".write(toFile: ids, atomically: false, encoding: .utf8)
        let d = Discoverer(client: client())
        let r = try d.fromIDs(file: ids)
        #expect(Discoverer.dedupe(r.candidates).map { "\($0.pmcid).\($0.version ?? 0)" } == ["PMC2.1", "PMC13.0"])
        #expect(r.problems == ["ids.txt line 4: 'not-an-id' is not a PMC id"])
        let mirror = try await RunningMirror.start(root)
        defer { Task { await mirror.stop() } }
        var paged = Discoverer(client: client()); paged.pageSize = 2
        let hits = try await paged.fromESearch(endpoint: mirror.base + "esearch.fcgi", term: "histology", apiKey: nil)
        #expect(hits.map(\.pmcid) == ["PMC10", "PMC11", "PMC12", "PMC13"] && hits.allSatisfy { $0.via == .esearch })
        let all = try await paged.fromESearch(endpoint: mirror.base + "esearch.fcgi", term: "", apiKey: nil)
        #expect(all.count == 10)
    }
}
