import ArgumentParser
import Curation
import Foundation
import PairDxCore
import Pipeline

struct LabelEvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "label-eval",
        abstract: "Measure the recipe's caption rules against a hand-labelled gold set: precision, recall, confusion.",
        discussion: """
            The gold file (JSON Lines: id, source, stratum, label, half, guidelines, note) holds labels, not captions:
            each caption is read from --data (ROCO captions.txt files, JATS articles). Prints per-class precision and
            recall with 95% Wilson intervals for all items and for each half (dev: the rules were written looking at
            these; holdout: never looked at), then the confusion matrix. Exit 1 when --min-precision is given and a
            class falls below it (or has no prediction); 65 when some gold items cannot be found in --data.
            """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var recipe: RecipeOptions
    @Option(name: .long, help: "Gold set (JSON Lines).")
    var gold: String = "Tests/CurationTests/Fixtures/gold/gold-v1.jsonl"
    @Option(name: .long, help: "Data directory the gold set's sources are relative to.")
    var data: String = "../shared/data"
    @Option(name: .long, help: "Fail (exit 1) when a class's precision is below this share (e.g. 0.97).")
    var minPrecision: Double?
    @Option(name: .long, help: "Also write the report as canonical JSON to this file.")
    var out: String?
    @Option(name: .long, help: "List the items where rules and gold disagree, for this half.")
    var disagreements: GoldHalf?
    @OptionGroup var output: JSONOutput

    func validate() throws {
        if let m = minPrecision, !(0...1).contains(m) { throw ValidationError("--min-precision must be within 0...1") }
    }

    func run() async throws {
        global.apply()
        let r = try recipe.load()
        let report = try LabelEvaluation.run(gold: gold, data: data, recipe: r)
        if let out { try AtomicFile.write(try CanonicalJSON.encode(report, pretty: true), to: out) }
        if json { try printJSON(report) } else { print(LabelQuality.render(report), terminator: "") }
        if let half = disagreements {
            for d in report.disagreements where d.half == half {
                Log.info(
                    "disagree: \(d.id) gold \(d.gold), rules \(d.predicted)\(d.reason.map { " (\($0))" } ?? "") \(d.matched.joined(separator: " "))"
                )
            }
        }
        if !report.unresolved.isEmpty {
            throw PairDxError.badInput(
                "\(report.unresolved.count) gold items not found in \(data) (first: \(report.unresolved[0].id): \(report.unresolved[0].reason))"
            )
        }
        if let m = minPrecision {
            let below = report.classes(belowPrecision: m)
            if !below.isEmpty {
                throw PairDxError.checkFailed(
                    "precision below \(m) (or not measured) for: \(below.joined(separator: ", "))")
            }
            Log.info("label-eval: every class at or above precision \(m)")
        }
    }
}

extension LabelEvalCommand: ReportsJSON {}
extension GoldHalf: ExpressibleByArgument {}
