import ArgumentParser
import Curation
import PairDxCore

struct LabelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "label",
        abstract: "Give each figure one class from the recipe's caption rules, or the reason it has none.",
        discussion: """
            Reads figures.jsonl, images.jsonl and clusters.jsonl from the work directory; writes labels.jsonl.
            Reasons, first that applies: fetch status, image rejected, image too small, duplicate dropped,
            caption too short, excluded, no rule matched, ambiguous (with the classes).
            """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var recipe: RecipeOptions
    @Option(name: .long, help: "Only this shard's items (I/N); output labels.shard-I-of-N.jsonl.")
    var shard: String?
    @OptionGroup var output: JSONOutput

    func run() async throws {
        global.apply()
        let r = try recipe.load()
        let summary = try LabelStage.run(
            work: global.workDirectory, recipe: r, shard: try shard.map { try Shard(parsing: $0) })
        if json {
            try printJSON(summary)
        } else {
            let per = r.classes.map { "\($0.name) \(summary.perClass[$0.name] ?? 0)" }.joined(separator: ", ")
            Log.info(
                "label: \(summary.labelled)/\(summary.figures) figures labelled (\(per)); unlabelled: "
                    + summary.reasons.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            )
        }
    }
}

extension LabelCommand: ReportsJSON {}
