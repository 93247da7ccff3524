import ArgumentParser
import Foundation
import MirrorServer
import PairDxCore

struct ServeMirrorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve-mirror",
        abstract:
            "Serve a mirror directory over HTTP on 127.0.0.1 (files, S3 ListObjectsV2, esearch, injected faults).",
        discussion: """
            Rehearse a rebuild offline. DIR is a mirror in the PMC Cloud layout (what `pairdx synth` writes). Routes:
              GET /<key>                       the file DIR/<key>
              GET /?list-type=2&prefix=P&delimiter=/&max-keys=N&continuation-token=T
                                               S3 ListObjectsV2 XML, paginated
              GET /esearch.fcgi?db=pmc&term=T&retstart=S&retmax=M
                                               NCBI eSearchResult XML

            Then run pairdx discover and pairdx fetch with --source http://127.0.0.1:PORT/.

            --faults FILE injects failures per path, as JSON: {"faults": [{"path": "/PMC1.1/*", "kind": "status", "status": 429, "retryAfter": 2, "times": 1}]}. Kinds: status (with retryAfter), stall (seconds), truncate (fraction), wrong-length, drip (bytesPerSecond), redirect (location; {origin} stands for this server), no-length (chunked, no Content-Length, extraBytes of zeros appended), html (an HTML page in place of the file), corrupt (the file's length with one byte inverted), endless-listing (ListObjectsV2 always truncated; token repeated, or a new one per page); a path ending in * is a prefix; times limits how often a fault fires. Paths are percent-decoded once; symbolic links leading out of DIR answer 403. A request line over 8 KiB answers 414, a request head over 32 KiB 431, a request with a body 413, and each closes its connection. Runs until interrupted.
            """
    )
    @OptionGroup var global: GlobalOptions

    @Argument(help: "Mirror directory to serve.")
    var directory: String

    @Option(help: "TCP port on 127.0.0.1 (0 picks a free one, printed on stdout).")
    var port: Int = 8080

    @Option(help: "JSON file of faults to inject.")
    var faults: String?

    @Option(
        name: .customLong("access-log"),
        help:
            "Append one line per request to FILE: seconds since start and the path (bytes outside printable ASCII, % and \\ as %XX)."
    )
    var accessLog: String?

    func run() async throws {
        global.apply()
        guard (0...65535).contains(port) else { throw PairDxError.usage("--port must be 0…65535") }
        let plan = try faults.map { try FaultPlan.load($0) } ?? FaultPlan(faults: [])
        let server = try MirrorServer(root: directory, port: UInt16(port), faults: plan, accessLog: accessLog)
        let bound = try await server.start()
        FileHandle.standardOutput.write(Data("http://127.0.0.1:\(bound)/\n".utf8))
        Log.info("serving \(directory) on http://127.0.0.1:\(bound)/ (\(plan.faults.count) faults); stop with Ctrl-C")
        while true { try await Task.sleep(nanoseconds: 3_600_000_000_000) }
    }
}
