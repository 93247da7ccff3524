import Curation
import Foundation
import PairDxCore
import Training

/// `pairdx validate` as a library call (so `pairdx rebuild --validate` can chain it): trains `image`, `text` and
/// `fusion` with the recipe's hyper-parameters, evaluates each on the test split, sets the results beside the
/// published figures row by row with a verdict each, and writes `validation.{json,md,html}` into `out`.
/// With CLIP weights (`CLIPInput.weights`), also runs zero-shot CLIP on the test split (the recipe's class prompts
/// inside every `validation.promptTemplates` entry, averaged) and fine-tuned CLIP (`training.clip`), filling the two
/// CLIP rows; without weights those rows say "not run: no weights (--clip-weights)". The weights and BPE file are
/// read before any training, so a bad file fails the run at once, naming the file.
/// With BiomedCLIP weights and its vocabulary (`BiomedCLIPInput`), also runs zero-shot BiomedCLIP on the test split
/// (the same prompts, WordPiece-tokenised) and fills the BiomedCLIP rows: test accuracy, seconds per test image on
/// this hardware, and the paper's claim that fusion is faster per test image; without weights they say
/// "not run: no weights (--biomedclip-weights)". These files are read before any training too.
///
/// The gate is the paper's central claim, which holds on any corpus: fusion's test accuracy is higher than each
/// single-modality baseline's. The report is written whether or not the gate passes; callers turn
/// `report.gate.passed == false` into a failing exit code.
public enum Validation {
    public static let paperPairs = 22_665
    /// The note of a CLIP row when no weights were given.
    public static let noWeightsNote = "not run: no weights (--clip-weights)"
    /// The note of a BiomedCLIP row when no weights were given.
    public static let noBiomedCLIPWeightsNote = "not run: no weights (--biomedclip-weights)"

    /// Where the CLIP rows' weights and tokeniser come from; `weights == nil` leaves those rows "not run".
    public struct CLIPInput: Sendable {
        /// open_clip-named safetensors file (e.g. ViT-B-32 converted as the README shows).
        public var weights: String?
        /// CLIP's BPE merges file (`bpe_simple_vocab_16e6.txt.gz`).
        public var bpe: String?
        /// The MLP activation when the file does not say (nil: the file's record, else QuickGELU).
        public var activation: GELU.Kind?
        public init(weights: String? = nil, bpe: String? = nil, activation: GELU.Kind? = nil) {
            self.weights = weights; self.bpe = bpe; self.activation = activation
        }
    }

    /// Where BiomedCLIP's weights and vocabulary come from; `weights == nil` leaves its rows "not run".
    public struct BiomedCLIPInput: Sendable {
        /// open_clip-named safetensors file of BiomedCLIP (converted as the README shows).
        public var weights: String?
        /// PubMedBERT's WordPiece `vocab.txt`.
        public var vocabulary: String?
        public init(weights: String? = nil, vocabulary: String? = nil) {
            self.weights = weights; self.vocabulary = vocabulary
        }
    }

    public static func run(
        split: String, data: String, out: String, recipe: Recipe, threads: Int,
        glove: String? = nil, published: String = "Manifests/published-results.json",
        checkpoints: String? = nil, clip: CLIPInput = CLIPInput(),
        biomedclip: BiomedCLIPInput = BiomedCLIPInput(), mode: ComputeMode = .deterministic,
        imageWeights: String? = nil
    ) throws -> ValidationReport {
        let start = Trainer.now()
        let pub = try PublishedResults.load(published)
        let splitFiles = try SplitSet.load(split)
        // ImageNet weights first too: a wrong file (names, shapes, width) fails the run before any training.
        var imagenet: ImageNetResNet18?
        if let imageWeights {
            let width = recipe.training[ModelKind.image.rawValue]?.widthMultiplier ?? 1
            imagenet = try ImageNetResNet18.load(imageWeights, widthMultiplier: width)
            Log.info("validate: ResNet-18 weights \(imageWeights) (\(imagenet!.source))")
        }
        // CLIP inputs first: a bad weights or BPE file stops the run before minutes of training.
        var clipSetup: (CLIPClassification.Setup, ModelHyperparameters, [[String]])?
        if let weights = clip.weights {
            guard let h = recipe.training["clip"] else {
                throw PairDxError.badInput(
                    "recipe \(recipe.name): training has no 'clip' entry (needed for the fine-tuned CLIP row)")
            }
            let setup = try CLIPClassification.Setup(weights: weights, bpe: clip.bpe, activation: clip.activation)
            guard h.resolution == setup.model.configuration.imageSize else {
                throw PairDxError.badInput(
                    "\(weights): the weights take \(setup.model.configuration.imageSize)² images, recipe \(recipe.name)'s training.clip.resolution is \(h.resolution)"
                )
            }
            clipSetup = (setup, h, try CLIPClassification.promptTexts(recipe: recipe, classes: splitFiles.classes))
            Log.info("validate: CLIP weights \(weights): \(setup.summary)")
        }
        var biomedSetup: (BiomedCLIPClassification.Setup, [[String]])?
        if let weights = biomedclip.weights {
            let setup = try BiomedCLIPClassification.Setup(weights: weights, vocabulary: biomedclip.vocabulary)
            biomedSetup = (setup, try CLIPClassification.promptTexts(recipe: recipe, classes: splitFiles.classes))
            Log.info("validate: BiomedCLIP weights \(weights): \(setup.summary)")
        }
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
            var config = TrainConfig(
                kind: kind, hyper: h, seed: recipe.seed, threads: t, glove: glove, gloveCache: work.path("cache"),
                mode: mode)
            if kind.usesImages, let imagenet {
                config.imageTowerInit = imagenet.tensors
                config.imageTowerSource = imagenet.source
            } else if kind.usesImages, h.initialiseFrom == nil, let assumed = h.imageInitialisation {
                Log.warning(
                    "validate: recipe \(recipe.name) assumes \(assumed) weights for \(kind.rawValue) (--image-weights); starting from the seed instead"
                )
            }
            if kind == .fusion, h.initialiseFrom == ModelKind.image.rawValue {
                guard let imageTower else {
                    throw PairDxError.badInput(
                        "recipe \(recipe.name): fusion starts from the image baseline, which was not trained first")
                }
                config.imageTowerInit = imageTower
                config.imageTowerSource = "the trained image baseline" + (imagenet.map { " (from \($0.source))" } ?? "")
            }
            let result = try Trainer.train(config, split: splitFiles, work: work, captions: caps)
            if let image = result.model as? ImageClassifier { imageTower = image.network.exportWeights() }
            let eval = try Evaluation.run(
                result.model, vocabulary: result.vocabulary, split: splitFiles, part: .test, work: work,
                threads: t, captions: caps)
            if let dir = checkpoints {
                try Checkpoint.save(
                    result.model, vocabulary: result.vocabulary, extra: ["pairdx.split": splitFiles.name],
                    to: "\(dir)/\(splitFiles.name)-\(kind.rawValue).safetensors")
            }
            Log.info(
                "validate: \(kind.rawValue) test accuracy \(String(format: "%.2f%%", 100 * eval.metrics.accuracy)), macro-F1 \(String(format: "%.4f", eval.metrics.macroF1))"
            )
            outcomes.append(
                ModelOutcome(
                    model: ValidatedModel(kind), metrics: eval.metrics, trainSeconds: result.trainSeconds,
                    testSecondsPerImage: eval.secondsPerImage, parameters: result.model.store.parameterCount,
                    epochs: result.epochs, keptEpoch: result.epochs.last?.epoch,
                    stepLosses: result.stepLosses.map(Double.init),
                    embeddings: kind.usesText ? result.model.spec.embeddings : nil,
                    oovShare: eval.oovShare, hyperparameters: (try? CanonicalJSON.string(h)) ?? "",
                    skipped: result.skipped.count + eval.skipped.count, computeMode: result.mode,
                    kernel: result.kernel, weightsSHA256: result.weightsDigest,
                    imageInitialisation: result.imageInitialisation))
        }
        if case let (setup, h, prompts)? = clipSetup {
            outcomes += try runCLIP(
                setup, hyper: h, promptTexts: prompts, split: splitFiles, work: work, captions: caps,
                seed: recipe.seed, threads: h.threads.map { min($0, threads) } ?? threads, checkpoints: checkpoints)
        }
        if case let (setup, prompts)? = biomedSetup {
            outcomes.append(
                try runBiomedCLIP(
                    setup, promptTexts: prompts, split: splitFiles, work: work, captions: caps, threads: threads))
        }
        var report = compare(
            published: pub, outcomes: outcomes, split: splitFiles, recipe: recipe, threads: threads,
            seconds: Trainer.now() - start)
        report.computeMode = mode
        report.kernel = BLAS.kernel
        try ReportWriter.write(report, to: out)
        return report
    }

    /// Zero-shot CLIP on the test split, then fine-tuned CLIP (the model is changed in place) on the same test split.
    static func runCLIP(
        _ setup: CLIPClassification.Setup, hyper h: ModelHyperparameters, promptTexts: [[String]], split: SplitSet,
        work: WorkDirectory, captions: [String: String], seed: UInt64, threads: Int,
        checkpoints: String?
    ) throws -> [ModelOutcome] {
        let test = try Dataset.load(split, part: .test, work: work, captions: captions)
        let params = setup.model.store.parameterCount
        let promptNote =
            "prompts × templates averaged: " + promptTexts.map { $0.joined(separator: " | ") }.joined(separator: "; ")
        Log.info(
            "validate: zero-shot CLIP on \(test.examples.count) test items (\(promptTexts.first?.count ?? 0) templates per class)"
        )
        let zero = CLIPClassification.evaluate(
            setup, classifier: CLIPClassification.classifier(setup, promptTexts: promptTexts),
            dataset: test, blobs: work.blobs, classes: split.classes, threads: threads)
        Log.info("validate: zero-shot CLIP test accuracy \(String(format: "%.2f%%", 100 * zero.metrics.accuracy))")
        var out = [
            ModelOutcome(
                model: .clipZeroShot, metrics: zero.metrics, trainSeconds: 0, testSecondsPerImage: zero.secondsPerImage,
                parameters: params, epochs: [], embeddings: nil, oovShare: nil, hyperparameters: promptNote,
                skipped: zero.skipped.count)
        ]
        Log.info("validate: fine-tuning CLIP with training.clip")
        let tuned = try CLIPClassification.fineTune(
            setup, hyper: h, split: split, work: work, captions: captions, promptTexts: promptTexts,
            seed: seed, threads: threads)
        let eval = CLIPClassification.evaluate(
            setup, classifier: CLIPClassification.classifier(setup, promptTexts: promptTexts),
            dataset: test, blobs: work.blobs, classes: split.classes, threads: threads)
        if let dir = checkpoints {
            try CLIPWeights.save(
                setup.model, to: "\(dir)/\(split.name)-clip.safetensors",
                metadata: try CLIPClassification.checkpointMetadata(
                    classes: split.classes, promptTexts: promptTexts,
                    extra: ["pairdx.split": split.name]))
        }
        Log.info(
            "validate: fine-tuned CLIP test accuracy \(String(format: "%.2f%%", 100 * eval.metrics.accuracy)) (epoch \(tuned.selectedEpoch) kept)"
        )
        out.append(
            ModelOutcome(
                model: .clip, metrics: eval.metrics, trainSeconds: tuned.trainSeconds,
                testSecondsPerImage: eval.secondsPerImage,
                parameters: params, epochs: tuned.epochs, keptEpoch: tuned.selectedEpoch,
                stepLosses: tuned.stepLosses.map(Double.init), embeddings: nil, oovShare: nil,
                hyperparameters: ((try? CanonicalJSON.string(h)) ?? "") + "; evaluated with " + promptNote,
                skipped: tuned.skipped.count + eval.skipped.count))
        return out
    }

    /// Zero-shot BiomedCLIP on the test split (batches of 32, `threads` threads; seconds per image include decoding and
    /// pre-processing, as for the other models).
    static func runBiomedCLIP(
        _ setup: BiomedCLIPClassification.Setup, promptTexts: [[String]], split: SplitSet, work: WorkDirectory,
        captions: [String: String], threads: Int
    ) throws -> ModelOutcome {
        let test = try Dataset.load(split, part: .test, work: work, captions: captions)
        Log.info(
            "validate: zero-shot BiomedCLIP on \(test.examples.count) test items (\(promptTexts.first?.count ?? 0) templates per class)"
        )
        Compute.threads = threads
        let e = BiomedCLIPClassification.evaluate(
            setup, classifier: BiomedCLIPClassification.classifier(setup, promptTexts: promptTexts),
            dataset: test, blobs: work.blobs, classes: split.classes, threads: threads)
        Log.info(
            "validate: BiomedCLIP test accuracy \(String(format: "%.2f%%", 100 * e.metrics.accuracy)), \(String(format: "%.3f", e.secondsPerImage)) s/image"
        )
        return ModelOutcome(
            model: .biomedclip, metrics: e.metrics, trainSeconds: 0, testSecondsPerImage: e.secondsPerImage,
            parameters: setup.model.store.parameterCount, epochs: [], embeddings: nil, oovShare: nil,
            hyperparameters: "prompts × templates averaged: "
                + promptTexts.map { $0.joined(separator: " | ") }.joined(separator: "; "),
            skipped: e.skipped.count)
    }

    /// Whether a split can stand for the published dataset, and why not.
    static func comparability(_ split: SplitSet, recipe: Recipe) -> (Bool, String) {
        let n = split.train.count + split.val.count + split.test.count
        if recipe.sources.contains(where: { $0.kind == "embedded" }) {
            return (
                false,
                "the split comes from the embedded synthetic corpus (recipe \(recipe.name), \(n) pairs), not the published dataset"
            )
        }
        var perClass: [String: Int] = [:]
        for it in split.all { perClass[it.class, default: 0] += 1 }
        if let notice = recipe.shortNotice(perClass: recipe.classes.map { perClass[$0.name] ?? 0 }.min() ?? 0) {
            return (false, notice)
        }
        if Double(abs(n - paperPairs)) > 0.1 * Double(paperPairs) {
            return (
                false,
                "the split holds \(n) pairs, far from the published \(paperPairs); its items are not the published dataset's"
            )
        }
        return (
            true,
            "a rebuild from public sources with recipe \(recipe.name) (\(n) pairs); the published item list is not public, so membership may differ"
        )
    }

    /// Builds the row-by-row table and the gate from trained-model outcomes. Pure; O(rows).
    public static func compare(
        published pub: PublishedResults, outcomes: [ModelOutcome], split: SplitSet, recipe: Recipe,
        threads: Int, seconds: Double
    ) -> ValidationReport {
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
                case "seconds":
                    return (f.as_published ?? String(format: "%g s", d))
                        + (f.quantity.contains("time") ? " (hardware not stated)" : "")
                default: return String(format: "%g", d)
                }
            }
        }
        func numberVerdict(_ ours: Double, _ theirs: Double, tolerance: Double) -> Verdict {
            abs(ours - theirs) <= tolerance ? .reproduced : (ours < theirs ? .below : .above)
        }
        /// A model's test accuracy against the published percentage; `missing` is the note when it did not run.
        func accuracy(
            _ row: inout ValidationRow, _ model: ValidatedModel, published v: Double, note suffix: String = "",
            missing: String? = nil
        ) {
            guard let o = byKind[model] else { if let missing { row.note = missing }; return }
            let acc = 100 * o.metrics.accuracy
            row.reproduced = String(format: "%.2f%%", acc)
            row.verdict = comparable ? numberVerdict(acc, v, tolerance: tol) : .notComparable
            row.note = (comparable ? "tolerance ±\(tol) points (recipe)" : why) + suffix
        }
        /// A model's training time: never comparable (the paper states no hardware).
        func trainingTime(_ row: inout ValidationRow, _ model: ValidatedModel, missing: String? = nil) {
            guard let o = byKind[model] else { if let missing { row.note = missing }; return }
            row.reproduced = "\(Trainer.duration(o.trainSeconds)) on \(hw), \(threads) threads"
            row.verdict = .notComparable
            row.note =
                "different hardware (the paper states none) and " + (comparable ? "possibly different items" : why)
        }
        for f in pub.figures {
            var row = ValidationRow(
                id: f.id, subject: f.subject, quantity: f.quantity, published: published(f), reproduced: nil,
                verdict: .notRun, note: "")
            switch (f.ours, f.value) {
            case ("dataset", .number(let v)) where f.id == "dataset-pairs":
                row.reproduced = "\(total)"
                row.verdict = comparable ? numberVerdict(Double(total), v, tolerance: 0) : .notComparable
                row.note = comparable ? "pairs in train+val+test" : why
            case ("dataset", .number(let v)):
                row.reproduced = "\(split.classes.count)"
                row.verdict = numberVerdict(Double(split.classes.count), v, tolerance: 0)
                row.note =
                    "by the recipe's taxonomy (\(split.classes.joined(separator: ", "))); the paper does not name its classes"
            case ("dataset", .claim):
                var counts: [String: Int] = [:]
                for r in split.all { counts[r.class, default: 0] += 1 }
                let lo = counts.values.min() ?? 0, hi = counts.values.max() ?? 0
                let balanced = hi > 0 && Double(hi - lo) <= 0.02 * Double(hi)
                row.reproduced = balanced ? "yes (\(lo)–\(hi) per class)" : "no (\(lo)–\(hi) per class)"
                row.verdict = balanced ? .reproduced : .below
                row.note = "per-class counts over all splits within 2%"
            case ("fusion", .number(let v)) where f.unit == "percent":
                accuracy(&row, .fusion, published: v)
            case ("fusion", .number):
                trainingTime(&row, .fusion)
            case ("fusion", .claim):
                // Both measured here, on the same test split and hardware, so the claim itself can be checked.
                if let o = byKind[.fusion], let b = byKind[.biomedclip] {
                    row.reproduced = String(
                        format: "fusion %.2f ms/image vs BiomedCLIP %.2f ms/image on %@, %d threads",
                        1000 * o.testSecondsPerImage, 1000 * b.testSecondsPerImage, hw, threads)
                    row.verdict = o.testSecondsPerImage < b.testSecondsPerImage ? .reproduced : .below
                    row.note = "same test split and hardware; decoding and pre-processing included for both"
                } else {
                    if let o = byKind[.fusion] {
                        row.reproduced = String(
                            format: "fusion %.2f ms/image on %@; BiomedCLIP not run", 1000 * o.testSecondsPerImage, hw)
                    }
                    row.verdict = .notRun
                    row.note = noBiomedCLIPWeightsNote
                }
            case ("biomedclip", .number(let v)) where f.unit == "percent":
                accuracy(
                    &row, .biomedclip, published: v, note: "; zero-shot with the recipe's prompts, weights as given",
                    missing: noBiomedCLIPWeightsNote)
            case ("biomedclip", .number):
                if let o = byKind[.biomedclip] {
                    row.reproduced = String(
                        format: "%.3f s/image on %@, %d threads", o.testSecondsPerImage, hw, threads)
                    row.verdict = .notComparable
                    row.note =
                        "different hardware (the paper states none); batches of 32, decoding and pre-processing included"
                } else {
                    row.note = noBiomedCLIPWeightsNote
                }
            case ("clip-zero-shot", .number(let v)) where f.unit == "percent",
                ("clip", .number(let v)) where f.unit == "percent":
                accuracy(
                    &row, f.ours == "clip" ? .clip : .clipZeroShot, published: v,
                    note: "; weights as given, not necessarily the paper's", missing: noWeightsNote)
            case ("clip", .number):
                trainingTime(&row, .clip, missing: noWeightsNote)
            default:
                row.verdict = .notRun
                row.note = "not implemented: \(f.subject) is not built here"
            }
            rows.append(row)
        }
        // The central claim.
        var gate = ValidationReport.Gate(
            claim: "fusion beats each single-modality baseline (image, text) in test accuracy", passed: false,
            detail: "")
        if let fu = byKind[.fusion], let im = byKind[.image], let tx = byKind[.text] {
            let (a, b, c) = (fu.metrics.accuracy, im.metrics.accuracy, tx.metrics.accuracy)
            gate.passed = a > b && a > c
            gate.detail = String(
                format: "fusion %.2f%% vs image %.2f%% (%+.2f points), text %.2f%% (%+.2f points)",
                100 * a, 100 * b, 100 * (a - b), 100 * c, 100 * (a - c))
        } else {
            gate.detail = "not all three models were trained"
        }
        return ValidationReport(
            split: split.name, recipe: recipe.name, source: recipe.sources.map(\.kind).joined(separator: ","),
            comparable: comparable, comparabilityNote: why, tolerancePoints: tol, hardware: hw, threads: threads,
            models: outcomes, rows: rows, gate: gate, totalSeconds: seconds)
    }
}
