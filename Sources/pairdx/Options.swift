import ArgumentParser
import PairDxCore

/// Options every stage shares.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Work directory holding every stage's files and the blob store.")
    var work: String = "work"

    @Option(name: .long, help: "Worker threads (default: all cores).")
    var threads: Int?

    @Option(name: .customLong("log-level"), help: "debug, info, warning, error or quiet. Logs go to stderr.")
    var logLevel: String = "info"

    func validate() throws {
        guard Log.Level(name: logLevel) != nil else {
            throw ValidationError("--log-level must be one of debug, info, warning, error, quiet (got '\(logLevel)')")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    /// Applies the log level; call first in every `run()`.
    func apply() { Log.level = Log.Level(name: logLevel) ?? .info }

    var workDirectory: WorkDirectory { WorkDirectory(work) }
    var threadCount: Int { threads ?? Platform.coreCount }
}

/// `--shard I/N` for the item stages: the stage sees a sharded view of the work directory (its outputs get the
/// shard's suffix; candidates and the blob store are shared) and processes only the shard's items.
struct ShardOptions: ParsableArguments {
    @Option(help: "Process only shard I of N (0-based), e.g. 2/4; outputs are named <file>.shard-I-of-N.<ext> for `pairdx merge`.")
    var shard: String?

    func parsed() throws -> Shard? { try shard.map { try Shard(parsing: $0) } }

    func view(_ work: WorkDirectory) throws -> WorkDirectory { WorkDirectory(work.root, shard: try parsed()) }
}
