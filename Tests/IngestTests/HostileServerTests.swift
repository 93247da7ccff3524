import Foundation
import PairDxTestSupport
import Testing
@testable import Ingest
import MirrorServer
import PairDxCore

private func options(_ configure: (inout HTTPClientOptions) -> Void = { _ in }) -> HTTPClientOptions {
    var o = HTTPClientOptions(); o.backoffBase = 0.02; o.maxRetries = 0; o.connectTimeout = 2
    configure(&o)
    return o
}

/// A mirror directory with one article whose figure is `png`, and its base names.
private func oneArticleMirror(_ dir: String, png: Data) throws -> String {
    let root = dir + "/mirror"
    try MirrorBuilder.article(
        root, pmcid: "PMC1", version: 1,
        figures: [MirrorBuilder.Fig(id: "F1", label: "Figure 1", caption: "Axial CT.", hrefs: ["g1"])],
        media: ["g1.png": png])
    return root
}

private func figure(_ work: WorkDirectory, _ id: String) throws -> FigureRecord? {
    try JSONL.read(FigureRecord.self, from: work.figures).first { $0.id == id }
}

/// The HTTP client and the fetch against a server that misbehaves on purpose (`serve-mirror` faults).
@Suite(.scratch) struct HostileServerTests {
    @Test func redirectToFileIsRefused() async throws {
        let dir = try Scratch.directory("redirect-file")
        try Data("secret".utf8).write(to: URL(fileURLWithPath: dir + "/secret.txt"))
        try Data("public".utf8).write(to: URL(fileURLWithPath: dir + "/a.txt"))
        try Data("public".utf8).write(to: URL(fileURLWithPath: dir + "/b.txt"))
        let mirror = try await RunningMirror.start(
            dir,
            faults: [
                Fault(path: "/a.txt", kind: "redirect", location: "file://\(dir)/secret.txt"),
                Fault(path: "/b.txt", kind: "redirect", location: "{origin}/secret.txt")
            ])
        defer { Task { await mirror.stop() } }
        let client = HTTPClient(options: options())
        let toFile = await client.get(mirror.base + "a.txt")
        #expect(!toFile.ok && toFile.errorClass == .redirectRefused && toFile.data == nil)
        #expect(toFile.error?.contains("file://") == true, "\(toFile.error ?? "")")
        let toHTTP = await client.get(mirror.base + "b.txt")  // http → http is followed
        #expect(toHTTP.ok && toHTTP.data == Data("secret".utf8))
    }

    @Test(
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl"),
            "needs the openssl command for a TLS server"),
        .timeLimit(.minutes(1)))
    func redirectFromHTTPSToHTTPIsRefused() async throws {
        let dir = try Scratch.directory("redirect-https")
        try Data("plain".utf8).write(to: URL(fileURLWithPath: dir + "/plain.txt"))
        let mirror = try await RunningMirror.start(dir)
        defer { Task { await mirror.stop() } }
        let tls = try await TLSServer.start(
            in: dir + "/tls",
            pages: [
                "moved": "HTTP/1.0 302 Found\r\nLocation: \(mirror.base)plain.txt\r\nContent-Length: 0\r\n\r\n",
                "ok": "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"
            ])
        defer { tls.stop() }
        let client = HTTPClient(options: options { $0.caBundle = tls.certificate })
        let direct = await client.get(tls.base + "ok")  // the TLS origin itself works
        #expect(direct.ok && direct.data == Data("ok".utf8), "\(direct.error ?? "")")
        let downgraded = await client.get(tls.base + "moved")
        #expect(!downgraded.ok && downgraded.errorClass == .redirectRefused, "\(downgraded.error ?? "")")
        #expect(mirror.server.hits["/plain.txt"] == nil)
    }

    @Test(.timeLimit(.minutes(1))) func slowBodyIsCutByTheTotalTimeLimit() async throws {
        let dir = try Scratch.directory("total-timeout")
        try Data(repeating: 7, count: 40_000).write(to: URL(fileURLWithPath: dir + "/slow.bin"))
        // 8 KB/s stays far above the low-speed guard (1 KB/s) yet would take 5 s.
        let mirror = try await RunningMirror.start(
            dir, faults: [Fault(path: "/slow.bin", kind: "drip", bytesPerSecond: 8192)])
        defer { Task { await mirror.stop() } }
        let o = options {
            $0.timeoutBase = 1; $0.timeoutRate = 1 << 20; $0.bodyLimits.media = 100_000
        }
        #expect(o.totalTimeout(bytes: 100_000) < 1.2)
        let start = Date()
        let r = await HTTPClient(options: o).get(mirror.base + "slow.bin", to: dir + "/out/slow.bin")
        #expect(!r.ok && r.errorClass == .timeout, "\(r.error ?? "")")
        #expect(Date().timeIntervalSince(start) < 4)
        #expect(!FileManager.default.fileExists(atPath: dir + "/out/slow.bin"))
    }

    @Test func bodyLimitsApplyPerKind() async throws {
        let dir = try Scratch.directory("kinds")
        try Data(repeating: 0x20, count: 50_000).write(to: URL(fileURLWithPath: dir + "/doc.json"))
        let mirror = try await RunningMirror.start(dir)
        defer { Task { await mirror.stop() } }
        let client = HTTPClient(
            options: options {
                $0.bodyLimits.metadata = 10_000; $0.bodyLimits.listing = 10_000
            })
        let rs = await client.run(BodyKind.allCases.map { DownloadRequest(url: mirror.base + "doc.json", kind: $0) })
        #expect(rs.map(\.errorClass.rawValue) == ["too-large", "too-large", "ok", "ok"])
        #expect(rs[1].error?.contains("metadata limit of 10000") == true)
        // A size the source gave beforehand over the limit: refused without a request.
        let listed = await client.run([
            DownloadRequest(url: mirror.base + "doc.json", expectedLength: 20_000, kind: .metadata)
        ])[0]
        #expect(listed.errorClass == .tooLarge && listed.status == 0)
        #expect(mirror.server.hits["/doc.json"] == 4)
    }

    @Test(.timeLimit(.minutes(1))) func endlessListingStopsAtARepeatedTokenOrThePageCap() async throws {
        let dir = try Scratch.directory("endless")
        let repeating = try await RunningMirror.start(
            dir, faults: [Fault(path: "/", kind: "endless-listing", token: "again")])
        defer { Task { await repeating.stop() } }
        await #expect(throws: PairDxError.self) {
            _ = try await Discoverer(client: HTTPClient(options: options())).fromListing(try Source(repeating.base))
        }
        #expect(repeating.server.hits["/"] == 2)  // the first page, and the one that named the same token again
        let fresh = try await RunningMirror.start(dir, faults: [Fault(path: "/", kind: "endless-listing")])
        defer { Task { await fresh.stop() } }
        do {
            _ = try await Discoverer(client: HTTPClient(options: options { $0.maxPages = 5 })).fromListing(
                try Source(fresh.base))
            Issue.record("an endless listing ended")
        } catch {
            #expect("\(error)".contains("after 5 pages"))
        }
        #expect(fresh.server.hits["/"] == 5)
    }

    @Test(.timeLimit(.minutes(1))) func esearchStopsAtThePageCap() async throws {
        let dir = try Scratch.directory("esearch-cap")
        let root = try MirrorBuilder.standard(in: dir)
        let mirror = try await RunningMirror.start(root)
        defer { Task { await mirror.stop() } }
        var d = Discoverer(client: HTTPClient(options: options { $0.maxPages = 3 }))
        d.pageSize = 1
        await #expect(throws: PairDxError.self) {
            _ = try await d.fromESearch(endpoint: mirror.base + "esearch.fcgi", term: "", apiKey: nil)
        }
        #expect(mirror.server.hits["/esearch.fcgi"] == 3)
        d.pageSize = 500
        #expect(try await d.fromESearch(endpoint: mirror.base + "esearch.fcgi", term: "", apiKey: nil).count == 10)
    }

    @Test func mediaWithoutALengthIsCheckedAgainstTheListing() async throws {
        let dir = try Scratch.directory("no-length")
        let png = PNGFixture.make(width: 40, height: 30, seed: 9)
        let root = try oneArticleMirror(dir, png: png)
        for (extra, want) in [(0, "ok"), (12, "http-error: length-mismatch")] {
            let mirror = try await RunningMirror.start(
                root, faults: [Fault(path: "/PMC1.1/g1.png", kind: "no-length", extraBytes: extra)])
            let work = WorkDirectory(dir + "/work-\(extra)")
            _ = try await Fetcher(source: try Source(mirror.base), work: work, client: HTTPClient(options: options()))
                .run([Candidate(pmcid: "PMC1", version: 1, via: .ids)])
            await mirror.stop()
            let f = try figure(work, "PMC1/F1")
            #expect(f?.status.rawValue == want, "extra \(extra): \(f?.status.rawValue ?? "none")")
            #expect(mirror.server.hits["/"] == 1)  // one listing of the key
            if extra == 0 {
                #expect(f?.sha256 == SHA256.hex(png) && f?.bytes == png.count)
            } else {
                #expect(f?.sha256 == nil && work.blobs.all().isEmpty)
            }
        }
    }

    @Test func htmlInPlaceOfAnImageIsAskedForAgainNextRun() async throws {
        let dir = try Scratch.directory("html-transient")
        let png = PNGFixture.make(width: 30, height: 30, seed: 4)
        let root = try oneArticleMirror(dir, png: png)
        let mirror = try await RunningMirror.start(
            root, faults: [Fault(path: "/PMC1.1/g1.png", kind: "html", times: 1)])
        defer { Task { await mirror.stop() } }
        let work = WorkDirectory(dir + "/work")
        let cs = [Candidate(pmcid: "PMC1", version: 1, via: .ids)]
        _ = try await Fetcher(source: try Source(mirror.base), work: work, client: HTTPClient(options: options())).run(
            cs)
        #expect(try figure(work, "PMC1/F1")?.status.rawValue == "not-an-image: html")
        _ = try await Fetcher(source: try Source(mirror.base), work: work, client: HTTPClient(options: options())).run(
            cs)
        #expect(try figure(work, "PMC1/F1")?.status.rawValue == "ok")
        #expect(mirror.server.hits["/PMC1.1/g1.png"] == 2)
    }

    @Test func malformedMetadataAndJATSAreAskedForAgainNextRun() async throws {
        let dir = try Scratch.directory("doc-transient")
        let root = try oneArticleMirror(dir, png: PNGFixture.make(width: 30, height: 30, seed: 5))
        let mirror = try await RunningMirror.start(
            root,
            faults: [
                Fault(path: "/PMC1.1/PMC1.1.json", kind: "html", times: 1),
                Fault(path: "/PMC1.1/PMC1.1.xml", kind: "html", times: 1)
            ])
        defer { Task { await mirror.stop() } }
        let work = WorkDirectory(dir + "/work")
        let cs = [Candidate(pmcid: "PMC1", version: 1, via: .ids)]
        func status() throws -> String? {
            try JSONL.read(ArticleRecord.self, from: work.articles).first?.status.rawValue
        }
        for want in ["metadata-error", "xml-error", "ok"] {
            _ = try await Fetcher(source: try Source(mirror.base), work: work, client: HTTPClient(options: options()))
                .run(cs)
            let got = try status()
            #expect(got?.hasPrefix(want) == true, "\(got ?? "none")")
        }
        #expect(mirror.server.hits["/PMC1.1/PMC1.1.json"] == 2 && mirror.server.hits["/PMC1.1/PMC1.1.xml"] == 2)
    }
}

/// `openssl s_server -HTTP` on 127.0.0.1 with a fresh self-signed certificate: each page is a file holding a
/// complete HTTP response, sent as it is.
struct TLSServer {
    let process: Process
    let base: String
    let certificate: String

    static func start(in dir: String, pages: [String: String]) async throws -> TLSServer {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, page) in pages { try page.write(toFile: dir + "/" + name, atomically: false, encoding: .utf8) }
        let cert = dir + "/cert.pem", key = dir + "/key.pem"
        let status = try await runProcess(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                "-keyout", key, "-out", cert
            ])
        guard status == 0 else { throw PairDxError.io("openssl req failed") }
        let port = refusedPort()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        p.arguments = ["s_server", "-accept", "127.0.0.1:\(port)", "-cert", cert, "-key", key, "-HTTP", "-quiet"]
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        for _ in 0..<100 where !canConnect(port) { try await Task.sleep(nanoseconds: 50_000_000) }
        return TLSServer(process: p, base: "https://127.0.0.1:\(port)/", certificate: cert)
    }

    func stop() { process.stopNow() }

    static func canConnect(_ port: UInt16) -> Bool {
        guard let fd = Loopback.connect(port) else { return false }
        close(fd)
        return true
    }
}
