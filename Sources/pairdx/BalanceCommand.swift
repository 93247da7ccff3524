import ArgumentParser
import Curation
import PairDxCore

struct BalanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "balance",
        abstract: "Select the labelled figures that enter the splits, per the recipe's balance policy.",
        discussion:
            "Reads labels.jsonl; writes balanced.jsonl. Selection within a class is by keyed hash of (seed, id). With --exclude-suspects FILE the suspects of FILE are dropped first."
    )
    @OptionGroup var global: GlobalOptions
    @OptionGroup var recipe: RecipeOptions
    @Flag(
        name: .customLong("allow-short"),
        help:
            "When a 'target' policy cannot be filled, balance every class down to the smallest class instead of failing (the outputs then say they are not the recipe's size)."
    )
    var allowShort = false
    @OptionGroup var output: JSONOutput
    @Option(
        name: .customLong("exclude-suspects"),
        help: ArgumentHelp(
            "Leave out the suspect labels of FILE (pairdx suspects) before balancing.",
            discussion:
                "The left-out items go to excluded.jsonl and, at the manifest stage, to Manifests/<name>/excluded.csv (checksummed).",
            valueName: "file"))
    var excludeSuspects: String?

    func run() async throws {
        global.apply()
        let r = try recipe.load()
        let selected = try CurationStages.balance(
            work: global.workDirectory, recipe: r, allowShort: allowShort,
            excludeSuspects: excludeSuspects)
        var per: [String: Int] = [:]
        for s in selected { per[s.class, default: 0] += 1 }
        if json {
            try printJSON(per)
        } else {
            Log.info(
                "balance (\(r.balance.policy.rawValue)): \(selected.count) items; "
                    + r.classes.map { "\($0.name) \(per[$0.name] ?? 0)" }.joined(separator: ", "))
        }
    }
}

extension BalanceCommand: ReportsJSON {}
