import ArgumentParser
import Curation
import Foundation
import PairDxCore
import Training

struct EvaluateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract:
            "Evaluate a checkpoint on a split: accuracy, macro-F1, per-class P/R/F1, confusion matrix, time per image.",
        discussion: """
            Runs the model in evaluation mode (BatchNorm running statistics, no dropout, no augmentation) over
            Splits/<name>/<part>.csv (default test). Prints a table on stderr; --json prints the full report on stdout.
            A CLIP checkpoint (open_clip tensor names: one written by 'pairdx train --model clip', or original CLIP
            weights for zero-shot) is scored by prompt similarity: with the prompts stored in the checkpoint, else the
            recipe's class prompts × validation.promptTemplates; it needs the BPE merges file (--clip-bpe or
            $PAIRDX_CLIP_BPE).
            """)
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "Checkpoint written by 'pairdx train'.") var checkpoint: String
    @Option(name: .long, help: "Split directory (Splits/<name>).") var split: String
    @Option(name: .long, help: "Work directory with figures.jsonl and blobs/ (default: --work).") var data: String?
    @Option(name: .long, help: "The split part to evaluate on.") var part: SplitName = .test
    @Option(name: .long, help: "Also write the JSON report to this file.") var out: String?
    @Option(
        name: .long,
        help: "Recipe for a CLIP checkpoint without stored prompts (default: the recipe named in splits.json).")
    var recipe: String?
    @OptionGroup var clip: CLIPModelOptions
    @OptionGroup var output: JSONOutput

    func run() async throws {
        global.apply()
        let p = part
        // A CLIP checkpoint is recognised by its open_clip tensor names (the file is released before the model loads).
        let clipMetadata: [String: String]? = try {
            let file = try SafeTensors.read(checkpoint)
            return file.tensors["visual.conv1.weight"] != nil ? file.metadata : nil
        }()
        if let clipMetadata { return try evaluateCLIP(clipMetadata, part: p) }
        let (model, vocab, _) = try Checkpoint.load(checkpoint)
        let splitFiles = try SplitSet.load(split)
        let work = WorkDirectory(data ?? global.work)
        let report = try Evaluation.run(
            model, vocabulary: vocab, split: splitFiles, part: p, work: work, threads: global.threadCount)
        Log.info(
            "\(model.spec.kind.rawValue) on \(splitFiles.name)/\(p.rawValue):\n" + report.metrics.table()
                + String(
                    format: "\ntest time %.2f ms/image on %@, %d threads", report.secondsPerImage * 1000,
                    report.hardware, report.threads)
                + (report.skipped.isEmpty ? "" : "\n\(report.skipped.count) items skipped"))
        if let out { try AtomicFile.write(try CanonicalJSON.encode(report, pretty: true), to: out) }
        if json { try printJSON(report) }
    }
}

extension EvaluateCommand {
    /// A CLIP checkpoint: zero-shot classifier of its stored prompts (or the recipe's) on `part`.
    func evaluateCLIP(_ metadata: [String: String], part p: SplitName) throws {
        let splitFiles = try SplitSet.load(split)
        let prompts: [[String]]
        if let stored = CLIPClassification.checkpointPrompts(metadata) {
            guard stored.classes == splitFiles.classes else {
                throw PairDxError.badInput(
                    "\(split): classes \(splitFiles.classes) differ from the checkpoint's \(stored.classes)")
            }
            prompts = stored.promptTexts
        } else {
            prompts = try CLIPClassification.promptTexts(
                recipe: try TrainingSetup.recipe(recipe, split: splitFiles), classes: splitFiles.classes)
        }
        let setup = try CLIPClassification.Setup(
            weights: checkpoint, bpe: clip.bpePath, activation: clip.activation?.kind)
        Log.info("CLIP checkpoint \(checkpoint): \(setup.summary)")
        let work = WorkDirectory(data ?? global.work)
        let ds = try Dataset.load(splitFiles, part: p, work: work)
        let threads = global.threadCount
        let e = CLIPClassification.evaluate(
            setup, classifier: CLIPClassification.classifier(setup, promptTexts: prompts), dataset: ds,
            blobs: work.blobs, classes: splitFiles.classes, threads: threads)
        Log.info(
            "clip on \(splitFiles.name)/\(p.rawValue):\n" + e.metrics.table()
                + String(
                    format: "\ntest time %.2f ms/image on %@, %d threads", e.secondsPerImage * 1000, Platform.hardware,
                    threads)
                + (e.skipped.isEmpty ? "" : "\n\(e.skipped.count) items skipped"))
        struct Report: Codable {
            var model: String, split: String, part: String, metrics: Metrics, secondsPerImage: Double, hardware: String,
                threads: Int
            var skipped: [String: String], prompts: [[String]]
        }
        let report = Report(
            model: "clip", split: splitFiles.name, part: p.rawValue, metrics: e.metrics,
            secondsPerImage: e.secondsPerImage,
            hardware: Platform.hardware, threads: threads, skipped: e.skipped, prompts: prompts)
        if let out { try AtomicFile.write(try CanonicalJSON.encode(report, pretty: true), to: out) }
        if json { try printJSON(report) }
    }
}

extension EvaluateCommand: ReportsJSON {}
extension SplitName: ExpressibleByArgument {}
