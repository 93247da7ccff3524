import Foundation
import Testing
@testable import Ingest
import MirrorServer
import PairDxCore
import PairDxTestSupport

private func client(retries: Int = 0) -> HTTPClient {
    var o = HTTPClientOptions(); o.backoffBase = 0.02; o.maxRetries = retries; o.connectTimeout = 2
    return HTTPClient(options: o)
}

private func figures(_ work: WorkDirectory) throws -> [String: FigureRecord] {
    Dictionary(uniqueKeysWithValues: try JSONL.read(FigureRecord.self, from: work.figures).map { ($0.id, $0) })
}

/// Article PMC1.1 under `dir/mirror`, served with `fault`: figure i has caption `captions[i - 1]` and graphic
/// `g<i>.png`, where g1 is `first` and the others are 20×20 PNGs of seeds `seed + 1`, `seed + 2`, ….
private func serveArticle(
    _ dir: String, first: Data, seed: Int, captions: [String], fault: Fault
) async throws -> RunningMirror {
    let root = dir + "/mirror"
    var media = ["g1.png": first]
    for i in captions.indices.dropFirst() {
        media["g\(i + 1).png"] = PNGFixture.make(width: 20, height: 20, seed: seed + i)
    }
    try MirrorBuilder.article(
        root, pmcid: "PMC1", version: 1,
        figures: captions.enumerated().map { i, caption in
            .init(id: "F\(i + 1)", label: "Figure \(i + 1)", caption: caption, hrefs: ["g\(i + 1)"])
        },
        media: media)
    return try await RunningMirror.start(root, faults: [fault])
}

/// A one-time in-flight corruption of g1.png (same length, one byte inverted).
private let corruptFirst = Fault(path: "/PMC1.1/g1.png", kind: "corrupt", times: 1)

/// Media bodies checked against the Size and single-part ETag (MD5) that the source's listing gives for their keys.
@Suite(.scratch) struct ListedChecksumTests {
    @Test func listingETagsAreMD5OnlyWhenSinglePart() throws {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?><ListBucketResult><IsTruncated>false</IsTruncated>
            <Contents><Key>PMC1.1/a.png</Key><ETag>&quot;0CC175B9C0F1B6A831C399E269772661&quot;</ETag><Size>1</Size></Contents>
            <Contents><Key>PMC1.1/b.png</Key><ETag>"9b2cf535f27731c974343645a3985328-2"</ETag><Size>9000000</Size></Contents>
            <Contents><Key>PMC1.1/c.png</Key><Size>7</Size></Contents>
            </ListBucketResult>
            """
        let page = try S3Listing.parse(Data(xml.utf8), source: "test")
        #expect(page.md5(of: "PMC1.1/a.png") == "0cc175b9c0f1b6a831c399e269772661")
        #expect(
            page.md5(of: "PMC1.1/b.png") == nil && page.etags["PMC1.1/b.png"] == "9b2cf535f27731c974343645a3985328-2")
        let listed = ListedObject.all(in: page)
        #expect(listed["PMC1.1/a.png"] == ListedObject(size: 1, md5: "0cc175b9c0f1b6a831c399e269772661"))
        #expect(listed["PMC1.1/b.png"] == ListedObject(size: 9_000_000, md5: nil))
        #expect(listed["PMC1.1/c.png"] == ListedObject(size: 7, md5: nil))
        #expect(MD5.hex(Data("a".utf8)) == "0cc175b9c0f1b6a831c399e269772661")
    }

    /// `serve-mirror` lists each file's MD5 as its ETag; a body corrupted in flight (same length, one byte inverted)
    /// fails its figure with `md5-mismatch`, is not journalled, and the next run asks again and keeps the good body.
    @Test func corruptedBodyFailsTheETagCheckAndIsAskedAgain() async throws {
        let dir = try Scratch.directory("etag-corrupt")
        let png = PNGFixture.make(width: 40, height: 30, seed: 11)
        let mirror = try await serveArticle(
            dir, first: png, seed: 11, captions: ["Axial CT.", "Chest X-ray."], fault: corruptFirst)
        defer { Task { await mirror.stop() } }

        // The listing the fetch reads to find the version gives Size and the MD5 ETag of every key.
        let (versions, listed) = try await Fetcher(
            source: try Source(mirror.base), work: WorkDirectory(dir + "/probe"), client: client()
        )
        .resolveVersions([Candidate(pmcid: "PMC1", version: nil, via: .ids)])
        #expect(versions == ["PMC1": 1])
        #expect(listed["PMC1.1/g1.png"] == ListedObject(size: png.count, md5: MD5.hex(png)))

        let work = WorkDirectory(dir + "/work")
        let cs = [Candidate(pmcid: "PMC1", version: nil, via: .ids)]
        let first = try await Fetcher(source: try Source(mirror.base), work: work, client: client()).run(cs)
        var figs = try figures(work)
        #expect(figs["PMC1/F1"]?.status.rawValue == "http-error: md5-mismatch")
        #expect(figs["PMC1/F1"]?.sha256 == nil)
        #expect(figs["PMC1/F2"]?.status.rawValue == "ok")
        #expect(first.httpErrors["md5-mismatch"] == 1)
        #expect(work.blobs.all().count == 1)  // F2's only: the corrupt body was not kept
        let journal = try FileSystem.readString(work.path("fetch-journal.jsonl"))
        #expect(!journal.contains("g1.png"))

        _ = try await Fetcher(source: try Source(mirror.base), work: work, client: client()).run(cs)
        figs = try figures(work)
        #expect(figs["PMC1/F1"]?.status.rawValue == "ok" && figs["PMC1/F1"]?.sha256 == SHA256.hex(png))
        #expect(mirror.server.hits["/PMC1.1/g1.png"] == 2 && mirror.server.hits["/PMC1.1/g2.png"] == 1)
    }

    /// The two phases of a caption-first scan: the caption phase asks for no media and lists each unversioned article
    /// once however often it runs; the media phase, in another fetcher (the process that merges a sharded scan), checks
    /// the bodies against the listings the caption phase handed over, and settles only the figures selected.
    @Test func theMediaPhaseChecksAgainstTheCaptionPhasesListings() async throws {
        let dir = try Scratch.directory("etag-phases")
        let mirror = try await serveArticle(
            dir, first: PNGFixture.make(width: 40, height: 30, seed: 15), seed: 15,
            captions: ["Axial CT.", "Chest X-ray.", "A bar chart."], fault: corruptFirst)
        defer { Task { await mirror.stop() } }
        let source = try Source(mirror.base)
        let cs = [Candidate(pmcid: "PMC1", version: nil, via: .ids)]
        let captions = try Fetcher(
            source: source, work: WorkDirectory(dir + "/work", shard: try Shard(index: 0, count: 2)), client: client(),
            wantsMedia: { _ in false })
        _ = try await captions.run(cs)
        _ = try await captions.run(cs)
        #expect(mirror.server.hits["/"] == 1)
        #expect(mirror.server.hits["/PMC1.1/g1.png"] == nil && mirror.server.hits["/PMC1.1/g2.png"] == nil)
        let records = try JSONL.read(
            FigureRecord.self, from: WorkDirectory(dir + "/work", shard: try Shard(index: 0, count: 2)).figures)
        #expect(records.count == 3 && records.allSatisfy { $0.status == FetchStatus.captionUnlabelled })

        let media = try Fetcher(source: source, work: WorkDirectory(dir + "/work"), client: client())
        media.remember(listed: captions.listedObjects)
        let settled = Dictionary(
            uniqueKeysWithValues: try await media.fetchMedia(records, selected: ["PMC1/F1", "PMC1/F2"]).map {
                ($0.id, $0)
            })
        #expect(settled["PMC1/F1"]?.status.rawValue == "http-error: md5-mismatch")
        #expect(settled["PMC1/F2"]?.status == .ok && settled["PMC1/F2"]?.sha256 != nil)
        #expect(settled["PMC1/F3"]?.status == FetchStatus.captionUnlabelled)
        #expect(mirror.server.hits["/"] == 1 && mirror.server.hits["/PMC1.1/g3.png"] == nil)
    }

    /// A corruption that a retry cures never reaches the figure: the same run asks again and keeps the good body.
    @Test func aRetryCuresACorruptedBody() async throws {
        let dir = try Scratch.directory("etag-retry")
        let png = PNGFixture.make(width: 32, height: 32, seed: 13)
        let mirror = try await serveArticle(dir, first: png, seed: 13, captions: ["Axial CT."], fault: corruptFirst)
        defer { Task { await mirror.stop() } }
        let work = WorkDirectory(dir + "/work")
        _ = try await Fetcher(source: try Source(mirror.base), work: work, client: client(retries: 1))
            .run([Candidate(pmcid: "PMC1", version: nil, via: .ids)])
        #expect(try figures(work)["PMC1/F1"]?.sha256 == SHA256.hex(png))
        #expect(mirror.server.hits["/PMC1.1/g1.png"] == 2)
    }

    /// A body longer than the listed Size is cut as it crosses it (`length-mismatch`), with no extra listing even
    /// when the server declares no length: the version listing already said how long it is.
    @Test func bodyLongerThanTheListedSizeFails() async throws {
        let dir = try Scratch.directory("listed-size")
        let mirror = try await serveArticle(
            dir, first: PNGFixture.make(width: 30, height: 30, seed: 14), seed: 14, captions: ["Axial CT."],
            fault: Fault(path: "/PMC1.1/g1.png", kind: "no-length", extraBytes: 64))
        defer { Task { await mirror.stop() } }
        let work = WorkDirectory(dir + "/work")
        _ = try await Fetcher(source: try Source(mirror.base), work: work, client: client())
            .run([Candidate(pmcid: "PMC1", version: nil, via: .ids)])
        #expect(try figures(work)["PMC1/F1"]?.status.rawValue == "http-error: length-mismatch")
        #expect(work.blobs.all().isEmpty)
        #expect(mirror.server.hits["/"] == 1)
    }

    static let moto = Prerequisite.python(["moto.server", "boto3"])

    /// Against moto: single-part uploads list their MD5 as ETag and every body passes the check; a multipart upload's
    /// ETag (`…-1`) is not taken for an MD5, so its figure is fetched on its size alone.
    @Test(moto.trait) func motoETagsCheckSinglePartUploads() async throws {
        let python = try Self.moto.require()
        let dir = try Scratch.directory("moto-etag")
        let mirror = try MirrorBuilder.standard(in: dir)
        let (server, port) = try await MotoS3.start(python: python)
        defer { MotoS3.stop(server) }
        _ = try await MotoS3.upload(python: python, port: port, mirror: mirror, fillers: 0)
        let source = try Source("http://127.0.0.1:\(port)/pmc-oa-opendata")
        // Version-less candidates, as esearch gives them: the fetch lists each article's keys.
        let cs = ["PMC1", "PMC2", "PMC10", "PMC8999999"].map { Candidate(pmcid: $0, version: nil, via: .ids) }
        let (versions, listed) = try await Fetcher(
            source: source, work: WorkDirectory(dir + "/probe"), client: client(retries: 2)
        )
        .resolveVersions(cs)
        #expect(versions == ["PMC1": 1, "PMC2": 2, "PMC10": 1, "PMC8999999": 1])
        let g001 = try Data(contentsOf: URL(fileURLWithPath: mirror + "/PMC1.1/pmc1.g001.png"))
        #expect(listed["PMC1.1/pmc1.g001.png"] == ListedObject(size: g001.count, md5: MD5.hex(g001)))
        let multipart = try #require(listed["PMC8999999.1/fig-2.png"])
        #expect(multipart.md5 == nil && multipart.size != nil)

        let work = WorkDirectory(dir + "/work")
        let report = try await Fetcher(source: source, work: work, client: client(retries: 2)).run(cs)
        let figs = try figures(work)
        #expect(report.httpErrors.isEmpty, "\(report.httpErrors)")
        for id in ["PMC1/F1", "PMC1/F2", "PMC2/F1/1", "PMC2/F1/2", "PMC10/F1", "PMC8999999/F1", "PMC8999999/F2"] {
            let f = try #require(figs[id], "\(id) missing: \(figs.keys.sorted())")
            #expect(f.status.rawValue == "ok", "\(id): \(f.status)")
            let blob = try work.blobs.read(try #require(f.sha256))
            #expect(SHA256.hex(blob) == f.sha256)
        }
    }
}
