import ArgumentParser
import Foundation
import PairDxCore
import Training

struct EvaluateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate a checkpoint on a split: accuracy, macro-F1, per-class P/R/F1, confusion matrix, time per image.",
        discussion: """
        Runs the model in evaluation mode (BatchNorm running statistics, no dropout, no augmentation) over
        Splits/<name>/<part>.csv (default test). Prints a table on stderr; --json prints the full report on stdout.
        """)
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "Checkpoint written by 'pairdx train'.") var checkpoint: String
    @Option(name: .long, help: "Split directory (Splits/<name>).") var split: String
    @Option(name: .long, help: "Work directory with figures.jsonl and blobs/ (default: --work).") var data: String?
    @Option(name: .long, help: "train, val or test.") var part: String = "test"
    @Option(name: .long, help: "Also write the JSON report to this file.") var out: String?
    @Flag(name: .long, help: "Print the report as JSON on stdout.") var json = false

    func run() async throws {
        global.apply()
        guard let p = SplitPart(rawValue: part) else { throw PairDxError.usage("--part must be train, val or test (got '\(part)')") }
        let (model, vocab, _) = try Checkpoint.load(checkpoint)
        let splitFiles = try SplitFiles.load(split)
        let work = WorkDirectory(data ?? global.work)
        let report = try Evaluation.run(model, vocabulary: vocab, split: splitFiles, part: p, work: work, threads: global.threadCount)
        Log.info("\(model.spec.kind.rawValue) on \(splitFiles.name)/\(p.rawValue):\n" + report.metrics.table()
                 + String(format: "\ntest time %.2f ms/image on %@, %d threads", report.secondsPerImage * 1000, report.hardware, report.threads)
                 + (report.skipped.isEmpty ? "" : "\n\(report.skipped.count) items skipped"))
        if let out { try AtomicFile.write(try CanonicalJSON.encode(report, pretty: true), to: out) }
        if json { try printJSON(report) }
    }
}
