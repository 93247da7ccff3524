import Foundation
import PairDxTestSupport
import Testing
@testable import Ingest
import MirrorServer
import PairDxCore

private func quickOptions() -> HTTPClientOptions {
    var o = HTTPClientOptions()
    o.backoffBase = 0.05
    o.maxRetries = 3
    o.connectTimeout = 2
    return o
}

@Suite(.scratch) struct HTTPClientTests {
    @Test func fetchesFileURL() async throws {
        let dir = try Scratch.directory("file-url")
        let png = PNGFixture.make(seed: 3)
        try png.write(to: URL(fileURLWithPath: dir + "/a.png"))
        let client = HTTPClient(options: quickOptions())
        let r = await client.get("file://" + dir + "/a.png")
        #expect(r.ok && r.data == png && r.bytes == png.count)
        #expect(r.sha256 == SHA256.hex(png))
        let missing = await client.get("file://" + dir + "/absent.png")
        #expect(missing.errorClass == .notFound && missing.retries == 0)
    }

    @Test func fetchesHTTPFromLocalServerToDestination() async throws {
        let dir = try Scratch.directory("http-get")
        let png = PNGFixture.make(width: 300, height: 200, seed: 1)
        try FileManager.default.createDirectory(atPath: dir + "/m/PMC1.1", withIntermediateDirectories: true)
        try png.write(to: URL(fileURLWithPath: dir + "/m/PMC1.1/f.png"))
        let mirror = try await RunningMirror.start(dir + "/m")
        defer { Task { await mirror.stop() } }
        let client = HTTPClient(options: quickOptions())
        let dest = dir + "/out/f.png"
        let r = await client.get(mirror.base + "PMC1.1/f.png", to: dest)
        #expect(r.ok && r.status == 200 && r.data == nil)
        #expect(FileManager.default.contents(atPath: dest) == png)
        let gone = await client.get(mirror.base + "PMC1.1/none.png", to: dir + "/out/none.png")
        #expect(gone.status == 404 && gone.errorClass == .http4xx && gone.retries == 0)
        #expect(!FileManager.default.fileExists(atPath: dir + "/out/none.png"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/out") == ["f.png"])  // no temp left
    }

    @Test func refusedConnectionIsANetworkError() async throws {
        var o = quickOptions(); o.maxRetries = 1
        let r = await HTTPClient(options: o).get("http://127.0.0.1:\(refusedPort())/x")
        #expect(!r.ok && r.errorClass == .network && r.retries == 1)
        #expect(r.error?.contains("onnect") == true)
    }

    @Test func retriesHonourRetryAfterAndBackoff() async throws {
        let dir = try Scratch.directory("retry")
        try FileManager.default.createDirectory(atPath: dir + "/PMC1.1", withIntermediateDirectories: true)
        for n in ["a", "b", "c", "d", "e"] {
            try PNGFixture.make(seed: n.count).write(to: URL(fileURLWithPath: "\(dir)/PMC1.1/\(n).png"))
        }
        let mirror = try await RunningMirror.start(
            dir,
            faults: [
                Fault(path: "/PMC1.1/a.png", kind: "status", status: 429, retryAfter: 1, times: 1),
                Fault(path: "/PMC1.1/b.png", kind: "status", status: 503, times: 2),
                Fault(path: "/PMC1.1/c.png", kind: "truncate", fraction: 0.5, times: 1),
                Fault(path: "/PMC1.1/d.png", kind: "status", status: 500),
                Fault(path: "/PMC1.1/e.png", kind: "wrong-length")
            ])
        defer { Task { await mirror.stop() } }
        let client = HTTPClient(options: quickOptions())
        let start = Date()
        let rs = await client.run(
            ["a", "b", "c", "d", "e"].map {
                DownloadRequest(url: mirror.base + "PMC1.1/\($0).png", destination: "\(dir)/out/\($0).png")
            })
        #expect(rs[0].ok && rs[0].retries == 1)
        #expect(Date().timeIntervalSince(start) >= 1.0)  // Retry-After: 1 was waited out
        #expect(rs[1].ok && rs[1].retries == 2)
        #expect(rs[2].ok && rs[2].retries == 1)
        #expect(FileManager.default.contents(atPath: "\(dir)/out/c.png") == PNGFixture.make(seed: 1))
        #expect(!rs[3].ok && rs[3].status == 500 && rs[3].errorClass == .http5xx && rs[3].retries == 3)
        #expect(!rs[4].ok && rs[4].errorClass == .lengthMismatch)
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/out/d.png"))
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/out/e.png"))
        #expect(client.stats.retries == 1 + 2 + 1 + 3 + 3)
    }

    @Test func stallIsCutByLowSpeedTimeoutThenRetried() async throws {
        let dir = try Scratch.directory("stall")
        try PNGFixture.make().write(to: URL(fileURLWithPath: dir + "/s.png"))
        let mirror = try await RunningMirror.start(
            dir, faults: [Fault(path: "/s.png", kind: "drip", bytesPerSecond: 1, times: 1)])
        defer { Task { await mirror.stop() } }
        var o = quickOptions(); o.lowSpeedTime = 1; o.lowSpeedBytes = 100
        let r = await HTTPClient(options: o).get(mirror.base + "s.png")
        #expect(r.ok && r.retries == 1 && r.data == PNGFixture.make(), "\(r.error ?? "ok") after \(r.retries) retries")
    }

    @Test func oversizedBodyAndMD5MismatchAreRejected() async throws {
        let dir = try Scratch.directory("limits")
        let big = PNGFixture.make(width: 200, height: 200)
        try big.write(to: URL(fileURLWithPath: dir + "/big.png"))
        let mirror = try await RunningMirror.start(dir)
        defer { Task { await mirror.stop() } }
        var o = quickOptions(); o.bodyLimits.media = 10_000
        let client = HTTPClient(options: o)
        let r = await client.get(mirror.base + "big.png", to: dir + "/out/big.png")
        #expect(r.errorClass == .tooLarge && !FileManager.default.fileExists(atPath: dir + "/out/big.png"))
        let f = await client.get("file://\(dir)/big.png")
        #expect(f.errorClass == .tooLarge)
        let md5 = Hasher256(.md5); md5.update(big)
        let good = await HTTPClient(options: quickOptions()).get(mirror.base + "big.png?md5=" + md5.finalizeHex())
        #expect(good.ok)
        var o2 = quickOptions(); o2.maxRetries = 0
        let bad = await HTTPClient(options: o2).get(mirror.base + "big.png?md5=00000000000000000000000000000000")
        #expect(bad.errorClass == .md5Mismatch)
    }

    @Test func perHostTokenBucketSpacesRequests() async throws {
        let dir = try Scratch.directory("rate")
        try Data("x".utf8).write(to: URL(fileURLWithPath: dir + "/x"))
        let mirror = try await RunningMirror.start(dir)
        defer { Task { await mirror.stop() } }
        var o = quickOptions(); o.rateLimit = { _ in 20 }
        let start = Date()
        let rs = await HTTPClient(options: o).run((0..<11).map { _ in DownloadRequest(url: mirror.base + "x") })
        let elapsed = Date().timeIntervalSince(start)
        #expect(rs.allSatisfy { $0.ok })
        #expect(elapsed >= 0.48, "11 requests at 20/s need at least 0.5 s, took \(elapsed)")
    }

    @Test func userAgentNamesVersionAndContact() {
        var o = HTTPClientOptions(); o.contact = "mailto:data@example.org"
        #expect(o.userAgent == "pairdx/\(PairDxVersion.string) (+mailto:data@example.org)")
        #expect(HTTPClientOptions().rateLimit("eutils.ncbi.nlm.nih.gov") == 3)
        #expect(HTTPClientOptions().rateLimit("127.0.0.1") == nil)
    }
}

@Suite(.scratch) struct MirrorServerTests {
    @Test func listObjectsV2PaginatesAndFoldsPrefixes() async throws {
        let dir = try Scratch.directory("list")
        for a in ["PMC1.1", "PMC1.2", "PMC22.1"] {
            try FileManager.default.createDirectory(atPath: "\(dir)/\(a)", withIntermediateDirectories: true)
            try Data("{}".utf8).write(to: URL(fileURLWithPath: "\(dir)/\(a)/\(a).json"))
            try Data("<article/>".utf8).write(to: URL(fileURLWithPath: "\(dir)/\(a)/\(a).xml"))
        }
        let mirror = try await RunningMirror.start(dir)
        defer { Task { await mirror.stop() } }
        let client = HTTPClient(options: quickOptions())
        var keys: [String] = []
        var token: String? = nil
        var pages = 0
        repeat {
            var url = mirror.base + "?list-type=2&max-keys=4"
            if let token { url += "&continuation-token=" + token }
            let r = await client.get(url)
            let page = try S3Listing.parse(r.data ?? Data(), source: url)
            keys += page.keys; token = page.nextToken; pages += 1
        } while token != nil
        #expect(pages == 2 && keys.count == 6 && keys == keys.sorted())
        let folded = try S3Listing.parse(
            (await client.get(mirror.base + "?list-type=2&delimiter=/&prefix=PMC1.")).data ?? Data(), source: "l")
        #expect(folded.prefixes == ["PMC1.1/", "PMC1.2/"] && folded.keys.isEmpty)
        let forbidden = await client.get(mirror.base + "PMC1.1/%2e%2e/PMC1.1/PMC1.1.json")
        #expect(!forbidden.ok)
    }
}
