import ArgumentParser
import Foundation
import PairDxCore
import Training

struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the image baseline, the text baseline, the fusion model or fine-tune CLIP on a split.",
        discussion: """
            Reads Splits/<name>/{train,val}.csv, captions from WORKDIR/figures.jsonl and images from WORKDIR/blobs.
            Hyper-parameters come from the recipe's training[<model>] (the recipe named in splits.json, or --recipe);
            the options below override them. Progress (epoch, step, loss, images/s, ETA) and the validation accuracy
            after each epoch go to stderr; the checkpoint is a safetensors file Python's `safetensors` can load.
            Without --glove, word embeddings are learned from the train split's vocabulary; with it they start from
            GloVe vectors (official text format; a binary cache is kept in WORKDIR/cache).
            --model clip fine-tunes the CLIP weights of --clip-weights (open_clip names, safetensors) with the recipe's
            training.clip (AdamW with warm-up, both towers or the image tower), keeps the epoch with the best val
            accuracy (zero-shot classifier of the recipe's class prompts × validation.promptTemplates), saves it with
            those prompts and reports test accuracy, macro-F1 and the confusion matrix.
            """)
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "The model to train.") var model: TrainedModel
    @Option(name: .long, help: "Split directory (Splits/<name>).") var split: String
    @Option(name: .long, help: "Work directory with figures.jsonl and blobs/ (default: --work).") var data: String?
    @Option(name: .long, help: "Recipe name or recipe.json path (default: the recipe named in splits.json).")
    var recipe: String?
    @OptionGroup var overrides: HyperparameterOverrides
    @Option(name: .long, help: "GloVe vectors in the official text format (word v1 … vd).") var glove: String?
    @Option(name: .long, help: "Checkpoint to write (default: WORKDIR/checkpoints/<split>-<model>.safetensors).")
    var out: String?
    @OptionGroup var clip: CLIPOptions
    @OptionGroup var compute: ComputeOptions
    @OptionGroup var output: JSONOutput

    func run() async throws {
        global.apply()
        if model == .clip { return try trainCLIP() }
        guard clip.weights == nil else { throw PairDxError.usage("--clip-weights goes with --model clip") }
        guard let kind = ModelKind(rawValue: model.rawValue) else {
            throw PairDxError.usage("--model \(model.rawValue) is not a classifier kind")
        }
        guard compute.imageWeights == nil || kind.usesImages else {
            throw PairDxError.usage("--image-weights goes with --model image or fusion")
        }
        let splitFiles = try SplitSet.load(split)
        let r = try TrainingSetup.recipe(recipe, split: splitFiles)
        var h = try TrainingSetup.hyper(r, kind: kind)
        overrides.apply(to: &h)
        let work = WorkDirectory(data ?? global.work)
        let threads = global.threads ?? h.threads ?? Platform.coreCount
        var config = TrainConfig(
            kind: kind, hyper: h, seed: overrides.seed ?? r.seed, threads: threads, glove: glove,
            gloveCache: work.path("cache"),
            mode: compute.mode)
        if let weights = compute.imageWeights {
            let imagenet = try ImageNetResNet18.load(weights, widthMultiplier: h.widthMultiplier ?? 1)
            config.imageTowerInit = imagenet.tensors
            config.imageTowerSource = imagenet.source
        }
        let result = try Trainer.train(config, split: splitFiles, work: work)
        let path = out ?? work.path("checkpoints/\(splitFiles.name)-\(kind.rawValue).safetensors")
        var extra = ["pairdx.split": splitFiles.name, "pairdx.recipe": r.name, "pairdx.seed": "\(config.seed)"]
        if let initialisation = result.imageInitialisation { extra["pairdx.image-init"] = initialisation }
        try Checkpoint.save(result.model, vocabulary: result.vocabulary, extra: extra, to: path)
        Log.info(
            "trained \(kind.rawValue) in \(Trainer.duration(result.trainSeconds)) on \(Platform.hardware), \(threads) threads, "
                + "\(result.mode.rawValue) mode (\(result.kernel)), weights SHA-256 \(result.weightsDigest) → \(path)")
        if json {
            try printJSON(
                TrainSummary(
                    model: kind.rawValue, split: splitFiles.name, checkpoint: path, epochs: result.epochs,
                    trainSeconds: result.trainSeconds, hardware: Platform.hardware, threads: threads,
                    oovShare: result.tokenStats.mapValues(\.oovShare), skipped: result.skipped.count,
                    computeMode: result.mode, kernel: result.kernel, weightsSHA256: result.weightsDigest,
                    imageInitialisation: result.imageInitialisation))
        }
    }
}

extension TrainCommand {
    /// `--model clip`: fine-tune, keep the best val epoch, save, evaluate on test.
    func trainCLIP() throws {
        guard let weights = clip.weights else {
            throw PairDxError.usage(
                "--model clip needs --clip-weights FILE (open_clip names, safetensors; see the README)")
        }
        let splitFiles = try SplitSet.load(split)
        let r = try TrainingSetup.recipe(recipe, split: splitFiles)
        guard var h = r.training["clip"] else {
            throw PairDxError.badInput(
                "recipe \(r.name): training has no 'clip' entry; add its hyper-parameters to recipe.json")
        }
        overrides.apply(to: &h)
        let prompts = try CLIPClassification.promptTexts(recipe: r, classes: splitFiles.classes)
        let setup = try CLIPClassification.Setup(
            weights: weights, bpe: clip.model.bpePath, activation: clip.model.activation?.kind)
        Log.info("CLIP weights \(weights): \(setup.summary)")
        let work = WorkDirectory(data ?? global.work)
        let captions = try Dataset.loadCaptions(work)
        let threads = global.threads ?? h.threads ?? Platform.coreCount
        let s = overrides.seed ?? r.seed
        let tuned = try CLIPClassification.fineTune(
            setup, hyper: h, split: splitFiles, work: work, captions: captions,
            promptTexts: prompts, seed: s, threads: threads)
        let path = out ?? work.path("checkpoints/\(splitFiles.name)-clip.safetensors")
        try CLIPWeights.save(
            setup.model, to: path,
            metadata: try CLIPClassification.checkpointMetadata(
                classes: splitFiles.classes, promptTexts: prompts,
                extra: [
                    "pairdx.split": splitFiles.name, "pairdx.recipe": r.name, "pairdx.seed": "\(s)",
                    "pairdx.selectedEpoch": "\(tuned.selectedEpoch)"
                ]))
        let test = try Dataset.load(splitFiles, part: .test, work: work, captions: captions)
        let eval = CLIPClassification.evaluate(
            setup, classifier: CLIPClassification.classifier(setup, promptTexts: prompts), dataset: test,
            blobs: work.blobs, classes: splitFiles.classes, threads: threads)
        Log.info(
            "trained clip in \(Trainer.duration(tuned.trainSeconds)) on \(Platform.hardware), \(threads) threads (epoch \(tuned.selectedEpoch) kept) → \(path)"
        )
        Log.info(
            "clip on \(splitFiles.name)/test:\n" + eval.metrics.table()
                + String(format: "\ntest time %.2f ms/image", 1000 * eval.secondsPerImage))
        if json {
            try printJSON(
                TrainSummary(
                    model: "clip", split: splitFiles.name, checkpoint: path, epochs: tuned.epochs,
                    trainSeconds: tuned.trainSeconds, hardware: Platform.hardware, threads: threads, oovShare: [:],
                    skipped: tuned.skipped.count + eval.skipped.count, test: eval.metrics,
                    testSecondsPerImage: eval.secondsPerImage))
        }
    }
}

struct TrainSummary: Codable {
    var model: String
    var split: String
    var checkpoint: String
    var epochs: [EpochLog]
    var trainSeconds: Double
    var hardware: String
    var threads: Int
    var oovShare: [String: Double]
    var skipped: Int
    /// Test-split metrics (CLIP: the kept epoch on test).
    var test: Metrics? = nil
    var testSecondsPerImage: Double? = nil
    var computeMode: ComputeMode? = nil
    var kernel: String? = nil
    var weightsSHA256: String? = nil
    var imageInitialisation: String? = nil
}

/// `--epochs`, `--batch`, `--res`, `--lr` and `--seed` over the recipe's hyper-parameters (train, suspects).
struct HyperparameterOverrides: ParsableArguments {
    @Option(name: .long, help: "Override epochs.") var epochs: Int?
    @Option(name: .long, help: "Override batch size.") var batch: Int?
    @Option(name: .long, help: "Override input resolution (pixels, square).") var res: Int?
    @Option(name: .long, help: "Override learning rate.") var lr: Double?
    @Option(name: .long, help: "Override seed (default: the recipe's).") var seed: UInt64?

    func apply(to h: inout ModelHyperparameters) {
        if let epochs { h.epochs = epochs }
        if let batch { h.batchSize = batch }
        if let res { h.resolution = res }
        if let lr { h.learningRate = lr }
    }
}

/// Recipe and hyper-parameter lookup shared by train, evaluate and validate.
enum TrainingSetup {
    /// `--recipe` when given (a name under Manifests/ or a path), else the recipe splits.json names.
    static func recipe(_ option: String?, split: SplitSet, manifestsRoot: String = "Manifests") throws -> Recipe {
        let name = option ?? split.recipe
        guard let name else {
            throw PairDxError.usage(
                "\(split.directory)/splits.json names no recipe: pass --recipe NAME or a recipe.json path")
        }
        let path = name.hasSuffix(".json") || name.contains("/") ? name : "\(manifestsRoot)/\(name)/recipe.json"
        return try Recipe.load(path)
    }

    static func hyper(_ r: Recipe, kind: ModelKind) throws -> ModelHyperparameters {
        guard let h = r.training[kind.rawValue] else {
            throw PairDxError.badInput(
                "recipe \(r.name): training has no '\(kind.rawValue)' entry; add its hyper-parameters to recipe.json")
        }
        return h
    }
}

extension TrainCommand: ReportsJSON {}

/// `train --model`: the three classifiers of `ModelKind` and fine-tuned CLIP.
enum TrainedModel: String, ExpressibleByArgument, CaseIterable {
    case image, text, fusion, clip
}
