import Foundation
import PairDxTestSupport
import Testing
@testable import Ingest
import PairDxCore

/// An independent S3 implementation (moto_server, PyPI `moto[server]`) on 127.0.0.1 holding bucket
/// `pmc-oa-opendata` with a public-read policy: discover and fetch run against it anonymously, as against PMC's bucket.
enum MotoS3 {
    /// The repository's Python when it has moto and boto3, else nil.
    static let python: String? = {
        var candidates: [String] = []
        if let p = ProcessInfo.processInfo.environment["PAIRDX_PYTHON"] { candidates.append(p) }
        candidates.append(TestPaths.packageRoot + "/.venv/bin/python")
        for p in candidates where FileManager.default.isExecutableFile(atPath: p) {
            let proc = Process()
            proc.executableURL = URL(fileURLWithPath: p)
            proc.arguments = ["-c", "import moto.server, boto3"]
            proc.standardOutput = FileHandle.nullDevice; proc.standardError = FileHandle.nullDevice
            guard (try? proc.run()) != nil else { continue }
            proc.waitUntilExit()
            if proc.terminationStatus == 0 { return p }
        }
        return nil
    }()

    /// CI must run these tests: there a missing moto fails instead of skipping.
    static var required: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// Starts `moto_server -H 127.0.0.1 -p PORT` (the module's entry point under the same Python); waits until it
    /// answers. The waiting blocks a thread of its own, never a Swift concurrency thread (an in-process server shares
    /// that small pool when tests run in parallel).
    static func start(python: String) async throws -> (Process, Int) {
        try await OffPool.run { try launch(python: python) }
    }

    private static func launch(python: String) throws -> (Process, Int) {
        for _ in 0..<5 {
            let port = Int.random(in: 20_000...45_000)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: python)
            p.arguments = ["-m", "moto.server", "-H", "127.0.0.1", "-p", "\(port)"]
            p.standardOutput = FileHandle.nullDevice; p.standardError = FileHandle.nullDevice
            try p.run()
            for _ in 0..<100 {
                if let d = try? Data(contentsOf: URL(string: "http://127.0.0.1:\(port)/")!), !d.isEmpty {
                    return (p, port)
                }
                if !p.isRunning { break }
                usleep(100_000)
            }
            stop(p)
        }
        throw PairDxError.io("moto_server did not start")
    }

    /// Stops the server (`Process.stopNow`).
    static func stop(_ p: Process) { p.stopNow() }

    /// Runs `scripts/s3/upload-mirror.py` (on a thread of its own); returns the number of article prefixes uploaded.
    static func upload(python: String, port: Int, mirror: String, fillers: Int) async throws -> Int {
        try await OffPool.run { try runUpload(python: python, port: port, mirror: mirror, fillers: fillers) }
    }

    private static func runUpload(python: String, port: Int, mirror: String, fillers: Int) throws -> Int {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [
            TestPaths.packageRoot + "/scripts/s3/upload-mirror.py", "http://127.0.0.1:\(port)", mirror, "\(fillers)"
        ]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0,
            let n = Int(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        else {
            throw PairDxError.io("upload-mirror.py exited \(p.terminationStatus)")
        }
        return n
    }
}

@Suite(.serialized, .scratch) struct S3ServerTests {
    private func client() -> HTTPClient {
        var o = HTTPClientOptions(); o.backoffBase = 0.02; o.maxRetries = 2; o.connectTimeout = 2
        return HTTPClient(options: o)
    }

    @Test(
        .enabled(
            if: MotoS3.python != nil || MotoS3.required,
            "moto[server] and boto3 are not installed (scripts/python-env.sh installs them)"))
    func discoverAndFetchAgainstMotoS3() async throws {
        let python = try #require(MotoS3.python, "CI=true but moto[server] is missing: run scripts/python-env.sh")
        let dir = try Scratch.directory("moto")
        let mirror = try MirrorBuilder.standard(in: dir)
        let (server, port) = try await MotoS3.start(python: python)
        defer { MotoS3.stop(server) }
        let prefixes = try await MotoS3.upload(python: python, port: port, mirror: mirror, fillers: 1_050)
        #expect(prefixes > 1_000)

        // Path-style and virtual-hosted style bases list the same candidates, over several pages (1,000 prefixes a page).
        let pathStyle = try Source("http://127.0.0.1:\(port)/pmc-oa-opendata")
        let listed = try await Discoverer(client: client()).fromListing(pathStyle)
        let fromDirectory = try await Discoverer(client: client()).fromListing(try Source(mirror))
        #expect(listed.count == fromDirectory.count + 1_050 + 1)
        #expect(Set(fromDirectory.map(\.pmcid)).isSubset(of: Set(listed.map(\.pmcid))))
        let virtual = try Source("http://pmc-oa-opendata.localhost:\(port)/")
        let listedVirtually = try await Discoverer(client: client()).fromListing(virtual)
        #expect(listedVirtually == listed)

        // Fetch anonymously: the mirror's articles come out as from the directory; the encoded key resolves by stem.
        let s3Work = WorkDirectory(dir + "/work-s3"), dirWork = WorkDirectory(dir + "/work-dir")
        let report = try await Fetcher(source: pathStyle, work: s3Work, client: client()).run(listed)
        _ = try await Fetcher(source: try Source(mirror), work: dirWork, client: client()).run(fromDirectory)
        #expect(report.articles["no-figures"] ?? 0 >= 1_050)
        let ours = Set(fromDirectory.map(\.pmcid))
        let s3Articles = try JSONL.read(ArticleRecord.self, from: s3Work.articles).filter { ours.contains($0.pmcid) }
        #expect(s3Articles == (try JSONL.read(ArticleRecord.self, from: dirWork.articles)))
        let s3Figures = try JSONL.read(FigureRecord.self, from: s3Work.figures)
        #expect(
            s3Figures.filter { ours.contains($0.pmcid) } == (try JSONL.read(FigureRecord.self, from: dirWork.figures)))
        let encoded = try #require(s3Figures.first { $0.id == "PMC8999999/F1" })
        #expect(encoded.status.rawValue == "ok" && encoded.media == "fig 1+a.png")
        let blob = try s3Work.blobs.read(try #require(encoded.sha256))
        #expect(SHA256.hex(blob) == encoded.sha256 && MagicBytes.kind(blob) == "png")
    }
}
