import Foundation
import PairDxCore

/// `pairdx validate` as a library call (so `pairdx rebuild --validate` can chain it): trains `image`, `text` and
/// `fusion` with the recipe's hyper-parameters, evaluates each on the test split, sets the results beside the
/// published figures row by row with a verdict each, and writes `validation.{json,md,html}` into `out`.
///
/// The gate is the paper's central claim, which holds on any corpus: fusion's test accuracy is higher than each
/// single-modality baseline's. The report is written whether or not the gate passes; callers turn
/// `report.gate.passed == false` into a failing exit code.
public enum Validation {
    public static let paperPairs = 22_665

    public static func run(split: String, data: String, out: String, recipe: Recipe, threads: Int,
                           glove: String? = nil, published: String = "Manifests/published-results.json",
                           checkpoints: String? = nil) throws -> ValidationReport {
        let start = Trainer.now()
        let pub = try PublishedResults.load(published)
        let splitFiles = try SplitFiles.load(split)
        let work = WorkDirectory(data)
        let caps = try Dataset.loadCaptions(work)
        var outcomes: [ModelOutcome] = []
        var imageTower: [String: Tensor]?
        for kind in ModelKind.allCases {
            guard let h = recipe.training[kind.rawValue] else {
                throw PairDxError.badInput("recipe \(recipe.name): training has no '\(kind.rawValue)' entry")
            }
            Log.info("validate: training \(kind.rawValue) (\(outcomes.count + 1)/3)")
            let t = h.threads.map { min($0, threads) } ?? threads
            var config = TrainConfig(kind: kind, hyper: h, seed: recipe.seed, threads: t, glove: glove, gloveCache: work.path("cache"))
            if kind == .fusion, h.initialiseFrom == ModelKind.image.rawValue {
                guard let imageTower else { throw PairDxError.badInput("recipe \(recipe.name): fusion starts from the image baseline, which was not trained first") }
                config.imageTowerInit = imageTower
            }
            let result = try Trainer.train(config, split: splitFiles, work: work, captions: caps)
            if let image = result.model as? ImageClassifier { imageTower = image.network.exportWeights() }
            let eval = try Evaluation.run(result.model, vocabulary: result.vocabulary, split: splitFiles, part: .test, work: work,
                                          threads: t, captions: caps)
            if let dir = checkpoints {
                try Checkpoint.save(result.model, vocabulary: result.vocabulary, extra: ["pairdx.split": splitFiles.name],
                                    to: "\(dir)/\(splitFiles.name)-\(kind.rawValue).safetensors")
            }
            Log.info("validate: \(kind.rawValue) test accuracy \(String(format: "%.2f%%", 100 * eval.metrics.accuracy)), macro-F1 \(String(format: "%.4f", eval.metrics.macroF1))")
            outcomes.append(ModelOutcome(model: kind, metrics: eval.metrics, trainSeconds: result.trainSeconds,
                                         testSecondsPerImage: eval.secondsPerImage, parameters: result.model.store.parameterCount,
                                         epochs: result.epochs, embeddings: kind.usesText ? result.model.spec.embeddings : nil,
                                         oovShare: eval.oovShare, hyperparameters: (try? CanonicalJSON.string(h)) ?? "",
                                         skipped: result.skipped.count + eval.skipped.count))
        }
        let report = compare(published: pub, outcomes: outcomes, split: splitFiles, recipe: recipe, threads: threads,
                             seconds: Trainer.now() - start)
        try ReportWriter.write(report, to: out)
        return report
    }

    /// Whether a split can stand for the published dataset, and why not.
    static func comparability(_ split: SplitFiles, recipe: Recipe) -> (Bool, String) {
        let n = split.train.count + split.val.count + split.test.count
        if recipe.sources.contains(where: { $0.kind == "embedded" }) {
            return (false, "the split comes from the embedded synthetic corpus (recipe \(recipe.name), \(n) pairs), not the published dataset")
        }
        if Double(abs(n - paperPairs)) > 0.1 * Double(paperPairs) {
            return (false, "the split holds \(n) pairs, far from the published \(paperPairs); its items are not the published dataset's")
        }
        return (true, "a rebuild from public sources with recipe \(recipe.name) (\(n) pairs); the published item list is not public, so membership may differ")
    }

    /// Builds the row-by-row table and the gate from trained-model outcomes. Pure; O(rows).
    public static func compare(published pub: PublishedResults, outcomes: [ModelOutcome], split: SplitFiles, recipe: Recipe,
                               threads: Int, seconds: Double) -> ValidationReport {
        let (comparable, why) = comparability(split, recipe: recipe)
        let tol = recipe.validation.tolerancePoints
        let byKind = Dictionary(uniqueKeysWithValues: outcomes.map { ($0.model, $0) })
        let hw = Platform.hardware
        let total = split.train.count + split.val.count + split.test.count
        var rows: [ValidationRow] = []
        func published(_ f: PublishedResults.Figure) -> String {
            switch f.value {
            case .claim(let b): return b ? "yes" : "no"
            case .number(let d):
                switch f.unit {
                case "percent": return String(format: "%g%%", d)
                case "seconds": return (f.as_published ?? String(format: "%g s", d)) + (f.quantity.contains("time") ? " (hardware not stated)" : "")
                default: return String(format: "%g", d)
                }
            }
        }
        func numberVerdict(_ ours: Double, _ theirs: Double, tolerance: Double) -> Verdict {
            abs(ours - theirs) <= tolerance ? .reproduced : (ours < theirs ? .below : .above)
        }
        for f in pub.figures {
            var row = ValidationRow(id: f.id, subject: f.subject, quantity: f.quantity, published: published(f), reproduced: nil,
                                    verdict: .notRun, note: "")
            switch (f.ours, f.value) {
            case ("dataset", .number(let v)) where f.id == "dataset-pairs":
                row.reproduced = "\(total)"
                row.verdict = comparable ? numberVerdict(Double(total), v, tolerance: 0) : .notComparable
                row.note = comparable ? "pairs in train+val+test" : why
            case ("dataset", .number(let v)):
                row.reproduced = "\(split.classes.count)"
                row.verdict = numberVerdict(Double(split.classes.count), v, tolerance: 0)
                row.note = "by the recipe's taxonomy (\(split.classes.joined(separator: ", "))); the paper does not name its classes"
            case ("dataset", .claim):
                var counts: [String: Int] = [:]
                for r in split.train + split.val + split.test { counts[r.className, default: 0] += 1 }
                let lo = counts.values.min() ?? 0, hi = counts.values.max() ?? 0
                let balanced = hi > 0 && Double(hi - lo) <= 0.02 * Double(hi)
                row.reproduced = balanced ? "yes (\(lo)–\(hi) per class)" : "no (\(lo)–\(hi) per class)"
                row.verdict = balanced ? .reproduced : .below
                row.note = "per-class counts over all splits within 2%"
            case ("fusion", .number(let v)) where f.unit == "percent":
                if let o = byKind[.fusion] {
                    let acc = 100 * o.metrics.accuracy
                    row.reproduced = String(format: "%.2f%%", acc)
                    row.verdict = comparable ? numberVerdict(acc, v, tolerance: tol) : .notComparable
                    row.note = comparable ? "tolerance ±\(tol) points (recipe)" : why
                }
            case ("fusion", .number):
                if let o = byKind[.fusion] {
                    row.reproduced = "\(Trainer.duration(o.trainSeconds)) on \(hw), \(threads) threads"
                    row.verdict = .notComparable
                    row.note = "different hardware (the paper states none) and " + (comparable ? "possibly different items" : why)
                }
            case ("fusion", .claim):
                if let o = byKind[.fusion] {
                    row.reproduced = String(format: "fusion %.2f ms/image on %@; BiomedCLIP not run", 1000 * o.testSecondsPerImage, hw)
                }
                row.verdict = .notRun
                row.note = "not implemented: BiomedCLIP is not built here, so the comparison cannot be made"
            default:
                row.verdict = .notRun
                row.note = "not implemented: CLIP models are not built here"
            }
            rows.append(row)
        }
        // The central claim.
        var gate = ValidationReport.Gate(claim: "fusion beats each single-modality baseline (image, text) in test accuracy", passed: false, detail: "")
        if let fu = byKind[.fusion], let im = byKind[.image], let tx = byKind[.text] {
            let (a, b, c) = (fu.metrics.accuracy, im.metrics.accuracy, tx.metrics.accuracy)
            gate.passed = a > b && a > c
            gate.detail = String(format: "fusion %.2f%% vs image %.2f%% (%+.2f points), text %.2f%% (%+.2f points)",
                                 100 * a, 100 * b, 100 * (a - b), 100 * c, 100 * (a - c))
        } else {
            gate.detail = "not all three models were trained"
        }
        return ValidationReport(split: split.name, recipe: recipe.name, source: recipe.sources.map(\.kind).joined(separator: ","),
                                comparable: comparable, comparabilityNote: why, tolerancePoints: tol, hardware: hw, threads: threads,
                                models: outcomes, rows: rows, gate: gate, totalSeconds: seconds)
    }
}
