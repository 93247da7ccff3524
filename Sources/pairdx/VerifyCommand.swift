import ArgumentParser
import Curation
import PairDxCore

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a split directory: checksums, unique ids, intact groups, counts, membership hashes, and images.",
        discussion: """
        Exit 0 when everything holds, 1 with a readable list otherwise. --data checks every image's bytes;
        --against compares with another split directory (e.g. a fresh rebuild) and lists moved, missing and extra items.
        """)
    @Argument(help: "The split directory, e.g. Splits/pairdx-synth-v1.")
    var splitDir: String
    @Option(name: .long, help: "Work directory whose blob store holds the images.")
    var data: String?
    @Option(name: .long, help: "A reference split directory to diff against.")
    var against: String?
    @Option(name: .customLong("log-level"), help: "debug, info, warning, error or quiet.")
    var logLevel: String = "info"
    @Flag(name: .long, help: "Print the result as JSON on stdout.")
    var json = false

    func run() async throws {
        Log.level = Log.Level(name: logLevel) ?? .info
        let result = try Verify.run(splitDir: splitDir, work: data.map(WorkDirectory.init), against: against)
        if json { try printJSON(result) }
        if result.ok {
            Log.info("verify \(splitDir): OK — \(result.items) items; checked \(result.checked.joined(separator: ", "))" +
                     (data != nil ? "; \(result.imagesChecked) images" : ""))
        } else {
            for f in result.findings { Log.write("  \(f.kind): \(f.detail)") }
            throw PairDxError.checkFailed("verify \(splitDir): \(result.findings.count) problem(s)")
        }
    }
}
