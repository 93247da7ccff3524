import ArgumentParser
import Curation
import PairDxCore

struct SplitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "split",
        abstract:
            "Assign balanced figures to train/val/test, stratified by class, grouped by article and duplicate cluster.",
        discussion: """
            Reads balanced.jsonl, figures.jsonl, images.jsonl, clusters.jsonl; writes Splits/<name>/{train,val,test}.csv,
            splits.json and SHA256SUMS. --mode stable assigns by keyed-hash threshold so adding items moves no existing item.
            """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var recipe: RecipeOptions
    @Option(name: .long, help: "Override the recipe's seed.")
    var seed: UInt64?
    @Option(name: .long, help: "The split mode (default: the recipe's).")
    var mode: Recipe.SplitMode?
    @OptionGroup var output: JSONOutput

    func run() async throws {
        global.apply()
        var r = try recipe.load()
        if let seed { r.seed = seed }
        if let mode { r.split.mode = mode }
        let s = try CurationStages.split(
            work: global.workDirectory, recipe: r, name: r.name, splitDir: recipe.splitDir(r))
        if json {
            try printJSON(s)
        } else {
            Log.info(
                "split: " + ["train", "val", "test"].map { "\($0) \(s.splits[$0]?.count ?? 0)" }.joined(separator: ", ")
                    + "; \(s.groups.count) groups (largest \(s.groups.largest)) → \(recipe.splitDir(r))")
        }
        if let digest = try SplitFiles.digest(of: recipe.splitDir(r)) { Log.info("split digest: \(digest)") }
    }
}

extension SplitCommand: ReportsJSON {}
extension Recipe.SplitMode: ExpressibleByArgument {}
