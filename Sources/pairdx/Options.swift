import ArgumentParser
import PairDxCore

extension Log.Level: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
    public var defaultValueDescription: String { "\(self)" }
    public static var allValueStrings: [String] { allCases.map { "\($0)" } }
}

/// Options every subcommand takes (README "Subcommands"): `--work`, `--threads`, `--log-level`.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .customLong("work"),
        help: ArgumentHelp(
            "Work directory holding every stage's files and the blob store (default: work).",
            valueName: "work"))
    var workOption: String?

    @Option(name: .long, help: "Worker threads (default: all cores).")
    var threads: Int?

    @Option(name: .customLong("log-level"), help: "Logs go to stderr at this level or above.")
    var logLevel: Log.Level = .info

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    /// Applies the log level; call first in every `run()`.
    func apply() { Log.level = logLevel }

    /// `--work`, else `work`.
    var work: String { workOption ?? "work" }
    var workDirectory: WorkDirectory { WorkDirectory(work) }
    var threadCount: Int { threads ?? Platform.coreCount }
}

/// `--json` for the subcommands that report results: the result as canonical JSON on stdout, logs on stderr.
struct JSONOutput: ParsableArguments {
    @Flag(name: .long, help: "Print the result as JSON on stdout (logs stay on stderr).")
    var json = false
}

/// A subcommand with `@OptionGroup var output: JSONOutput`.
protocol ReportsJSON {
    var output: JSONOutput { get }
}

extension ReportsJSON {
    var json: Bool { output.json }
}

/// `--shard I/N` for the item stages: the stage sees a sharded view of the work directory (its outputs get the
/// shard's suffix; candidates and the blob store are shared) and processes only the shard's items.
struct ShardOptions: ParsableArguments {
    @Option(
        help:
            "Process only shard I of N (0-based), e.g. 2/4; outputs are named <file>.shard-I-of-N.<ext> for `pairdx merge`."
    )
    var shard: String?

    func parsed() throws -> Shard? { try shard.map { try Shard(parsing: $0) } }

    func view(_ work: WorkDirectory) throws -> WorkDirectory { WorkDirectory(work.root, shard: try parsed()) }
}
