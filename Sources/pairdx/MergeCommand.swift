import ArgumentParser
import PairDxCore
import Pipeline

struct MergeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join the outputs of sharded fetch/hash/label runs into the files the global stages read.",
        discussion: """
            After `pairdx fetch --shard I/N` and `pairdx hash --shard I/N` ran for every I in 0..<N (as local
            processes or a Slurm array), `pairdx merge --shards N` writes articles.jsonl, figures.jsonl,
            images.jsonl (and labels.jsonl, fetch-report.json when present), byte-identical to a one-process run.
            Then run dedupe, label, balance, split, manifest and audit once.
            """)
    @OptionGroup var global: GlobalOptions
    @Option(help: "How many shards the item stages ran with.")
    var shards: Int
    @OptionGroup var output: JSONOutput

    func validate() throws { if shards < 1 { throw ValidationError("--shards must be at least 1") } }

    func run() async throws {
        global.apply()
        let s = try ShardMerge.merge(work: global.workDirectory, shards: shards)
        if json { try printJSON(s) }
        if s.files.isEmpty { throw PairDxError.io("no shard outputs in \(global.work): run the sharded stages first") }
        Log.info("merge: " + s.files.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
    }
}

extension MergeCommand: ReportsJSON {}
