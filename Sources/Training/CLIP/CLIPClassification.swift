import Curation
import Foundation
import PairDxCore

/// CLIP as a classifier of a split's figures: zero-shot (class prompts × templates, embeddings averaged) and
/// fine-tuned (PairDxCLIP: `CLIPFineTuner` on the train split, the epoch with the best validation accuracy kept).
///
/// Images go through `CLIPImagePreprocess` (shorter side to the model's image size, centre crop, CLIP's mean and
/// std); captions and prompts through `CLIPTokenizer` at the model's context length. An image that cannot be read
/// or decoded is left out and listed in `skipped` (id → reason); it never stops the run.
public enum CLIPClassification {
    /// Everything a CLIP run needs besides the data: the model, its tokeniser, and where the weights came from.
    public struct Setup {
        public let model: CLIPModel
        public let tokenizer: CLIPTokenizer
        public let weights: String

        /// Loads the weights (configuration inferred from the tensor shapes) and the BPE merges file. Errors name
        /// the file: a missing or unreadable weights file, a file that is not an open_clip CLIP state dict, a
        /// vocabulary other than CLIP's 49,408 ids, or no BPE file (`bpe == nil`). `activation` overrides the MLP
        /// activation (`CLIPWeights.loadModel`: else the file's record, else QuickGELU).
        public init(weights: String, bpe: String?, activation: GELU.Kind? = nil) throws {
            guard let bpe else {
                throw PairDxError.usage(
                    "CLIP weights \(weights) given but no BPE merges file: pass --clip-bpe FILE or set PAIRDX_CLIP_BPE (bpe_simple_vocab_16e6.txt.gz, shipped with open_clip)"
                )
            }
            let model = try CLIPWeights.loadModel(from: weights, activation: activation)
            let c = model.configuration
            guard c.vocabularySize == CLIPTokenizer.vocabularySize else {
                throw PairDxError.badInput(
                    "\(weights): token_embedding.weight has \(c.vocabularySize) rows; CLIP's BPE vocabulary has \(CLIPTokenizer.vocabularySize)"
                )
            }
            self.model = model
            tokenizer = try CLIPTokenizer(mergesFile: bpe, contextLength: c.contextLength)
            self.weights = weights
        }

        /// A short description for logs and reports: "ViT 224²/32, width 768 × 12, text 512 × 12, 512-d, 151,277,313 parameters".
        public var summary: String {
            let c = model.configuration
            return
                "ViT \(c.imageSize)²/\(c.patchSize), width \(c.visionWidth) × \(c.visionLayers), text \(c.textWidth) × \(c.textLayers), "
                + "\(c.embedDimension)-d, \(c.activation == .quick ? "QuickGELU" : "GELU"), \(model.store.parameterCount) parameters"
        }
    }

    /// What one evaluation found.
    public struct Evaluation: Sendable {
        public var metrics: Metrics
        /// Wall time of decoding, pre-processing and encoding the images and scoring them, per image (the class
        /// embeddings are computed once, before the clock starts).
        public var secondsPerImage: Double
        public var skipped: [String: String]
    }

    /// One class's prompt inside every template ("{}" → prompt): `[classes][templates]` texts.
    public static func promptTexts(prompts: [String], templates: [String]) -> [[String]] {
        let t = templates.isEmpty ? ["{}"] : templates
        return prompts.map { p in t.map { $0.replacingOccurrences(of: "{}", with: p) } }
    }

    /// The recipe's prompt for each class of the split inside every template: `[classes][templates]`. Throws when a
    /// class of the split has no rule (and so no prompt) in the recipe.
    public static func promptTexts(recipe: Recipe, classes: [String]) throws -> [[String]] {
        let byName = Dictionary(recipe.classes.map { ($0.name, $0.prompt) }) { a, _ in a }
        let prompts = try classes.map { c in
            guard let p = byName[c] else {
                throw PairDxError.badInput(
                    "recipe \(recipe.name): the split's class '\(c)' has no prompt (classes[].prompt)")
            }
            return p
        }
        return promptTexts(prompts: prompts, templates: recipe.validation.promptTemplates)
    }

    /// The zero-shot classifier of the current weights for these prompt texts.
    public static func classifier(_ setup: Setup, promptTexts: [[String]]) -> ZeroShotClassifier {
        ZeroShotClassifier(model: setup.model, prompts: promptTexts.map { setup.tokenizer.tokenizeBatch($0) })
    }

    /// Decodes and pre-processes the images of `examples` on `threads` threads into `[kept, 3, S, S]`; returns
    /// the tensor, the indices kept and the failures. O(decoded pixels).
    static func images(_ examples: [Example], blobs: BlobStore, size: Int, threads: Int) -> (
        Tensor?, [Int], [String: String]
    ) {
        let n = examples.count, plane = 3 * size * size
        guard n > 0 else { return (nil, [], [:]) }
        var buffer = [Float](repeating: 0, count: n * plane)
        nonisolated(unsafe) var errors = [String?](repeating: nil, count: n)
        buffer.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let base = out.baseAddress!
            let workers = max(1, min(threads, n))
            errors.withUnsafeMutableBufferPointer { errs in
                nonisolated(unsafe) let e = errs.baseAddress!
                DispatchQueue.concurrentPerform(iterations: workers) { w in
                    var i = w
                    while i < n {
                        let ex = examples[i]
                        do {
                            try CLIPImagePreprocess.prepare(
                                try blobs.read(ex.sha256), size: size, source: "\(ex.id) (blob \(ex.sha256))",
                                into: base + i * plane)
                        } catch {
                            e[i] = "\(error)"
                        }
                        i += workers
                    }
                }
            }
        }
        let kept = (0..<n).filter { errors[$0] == nil }
        var failures: [String: String] = [:]
        for i in 0..<n { if let e = errors[i] { failures[examples[i].id] = e } }
        guard !kept.isEmpty else { return (nil, [], failures) }
        if kept.count == n { return (Tensor(shape: [n, 3, size, size], storage: buffer), kept, failures) }
        var packed = [Float]()
        packed.reserveCapacity(kept.count * plane)
        for i in kept { packed += buffer[(i * plane)..<((i + 1) * plane)] }
        return (Tensor(shape: [kept.count, 3, size, size], storage: packed), kept, failures)
    }

    /// Classifies every image of `dataset` with `classifier` in batches of `batchSize`; metrics against `classes`.
    /// O(items · image-tower cost).
    public static func evaluate(
        _ setup: Setup, classifier: ZeroShotClassifier, dataset: Dataset, blobs: BlobStore,
        classes: [String], batchSize: Int = 32, threads: Int
    ) -> Evaluation {
        evaluate(
            imageSize: setup.model.configuration.imageSize, encodeImages: { setup.model.encodeImages($0) },
            classifier: classifier,
            dataset: dataset, blobs: blobs, classes: classes, batchSize: batchSize, threads: threads)
    }

    /// The same for any image tower: `encodeImages` maps CLIP-normalised images `[B, 3, imageSize, imageSize]` to
    /// embeddings `[B, E]` (BiomedCLIP's tower uses the same pre-processing).
    public static func evaluate(
        imageSize: Int, encodeImages: (Tensor) -> Tensor, classifier: ZeroShotClassifier, dataset: Dataset,
        blobs: BlobStore, classes: [String], batchSize: Int = 32, threads: Int
    ) -> Evaluation {
        Compute.threads = threads
        let start = DispatchTime.now().uptimeNanoseconds
        var predictions: [Int] = [], labels: [Int] = []
        var skipped = dataset.problems
        let examples = dataset.examples
        for lo in stride(from: 0, to: examples.count, by: max(1, batchSize)) {
            let chunk = Array(examples[lo..<min(lo + batchSize, examples.count)])
            let (tensor, kept, failures) = images(chunk, blobs: blobs, size: imageSize, threads: threads)
            skipped.merge(failures) { a, _ in a }
            guard let tensor else { continue }
            predictions += classifier.predict(imageEmbeddings: encodeImages(tensor))
            labels += kept.map { chunk[$0].label }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Evaluation(
            metrics: Metrics(predictions: predictions, labels: labels, classes: classes),
            secondsPerImage: labels.isEmpty ? 0 : seconds / Double(labels.count), skipped: skipped)
    }

    /// How fine-tuning went.
    public struct FineTuneResult: Sendable {
        public var epochs: [EpochLog]
        /// Loss of every optimiser step, in order.
        public var stepLosses: [Float]
        public var trainSeconds: Double
        /// The epoch whose weights were kept (best validation accuracy, first on ties; the last without a val split).
        public var selectedEpoch: Int
        public var skipped: [String: String]
    }

    /// Fine-tunes `setup.model` in place on the train split with `CLIPFineTuner` (AdamW, warm-up then the
    /// recipe's schedule over all steps, `towers` both or image) and the loss of `CLIPLoss`: image–caption
    /// contrastive plus image–class-prompt cross-entropy. The class prompts take the templates in turn: optimiser
    /// step k (from 0, over all epochs) uses template k mod T for every class, so training sees each template the
    /// zero-shot classifier averages, as often as the others. After each epoch the zero-shot classifier of
    /// `promptTexts` is scored on the val split; the weights of the best epoch are restored at the end (`TrainingLoop`,
    /// the loop of the other models). Batch order: keyed hash of (seed, epoch, id), as the other models.
    /// O(epochs · train items · (image + text tower cost)).
    public static func fineTune(
        _ setup: Setup, hyper h: ModelHyperparameters, split: SplitSet, work: WorkDirectory,
        captions: [String: String], promptTexts: [[String]], seed: UInt64, threads: Int
    ) throws -> FineTuneResult {
        let model = setup.model, c = model.configuration
        guard h.epochs >= 1, h.batchSize >= 1, h.learningRate > 0 else {
            throw PairDxError.usage(
                "CLIP hyper-parameters need epochs ≥ 1, batch ≥ 1 and a positive learning rate (got \(h.epochs), \(h.batchSize), \(h.learningRate))"
            )
        }
        guard h.optimizer == .adamw else {
            throw PairDxError.usage(
                "CLIP fine-tuning uses AdamW: training.clip.optimizer must be 'adamw' (got '\(h.optimizer.rawValue)')")
        }
        guard h.resolution == c.imageSize else {
            throw PairDxError.badInput(
                "\(setup.weights): the weights take \(c.imageSize)² images, training.clip.resolution is \(h.resolution)"
            )
        }
        let mode = h.towers ?? .both
        Compute.threads = threads
        let train = try Dataset.load(split, part: .train, work: work, captions: captions)
        let val = try Dataset.load(split, part: .val, work: work, captions: captions)
        guard !train.examples.isEmpty else {
            throw PairDxError.badInput("\(split.directory)/train.csv: no usable items")
        }
        let perEpoch = (train.examples.count + h.batchSize - 1) / h.batchSize, total = perEpoch * h.epochs
        let lr = Float(h.learningRate), warm = h.warmupSteps ?? 0
        let schedule = try learningRateSchedule(
            h.schedule, base: lr, totalSteps: total, warmupSteps: warm,
            what: "training.clip (\(h.epochs) epochs × \(perEpoch) batches of \(h.batchSize))")
        let tuner = CLIPFineTuner(model: model, mode: mode, schedule: schedule, weightDecay: Float(h.weightDecay))
        let templates = promptTexts.map(\.count).min() ?? 0
        guard templates >= 1 else {
            throw PairDxError.usage("CLIP fine-tuning needs at least one prompt text per class")
        }
        let classRowsByTemplate = (0..<templates).map { t in setup.tokenizer.tokenizeBatch(promptTexts.map { $0[t] }) }
        Log.info(
            "fine-tuning CLIP (\(mode.rawValue) tower\(mode == .both ? "s" : "")): \(train.examples.count) train / \(val.examples.count) val items, "
                + "\(h.epochs) epochs × \(perEpoch) steps, batch \(h.batchSize), AdamW lr \(h.learningRate) (\(warm) warm-up steps, \(h.schedule.rawValue)), \(threads) threads"
        )
        var skipped = train.problems.merging(val.problems) { a, _ in a }
        let outcome = TrainingLoop.run(
            "clip", epochs: h.epochs, stepsPerEpoch: perEpoch, keepBest: model.store,
            batches: { epoch in
                let keys = train.examples.map { KeyedHash.value(seed: seed, domain: "order-\(epoch)", id: $0.id) }
                let order = train.examples.indices.sorted {
                    keys[$0] != keys[$1] ? keys[$0] < keys[$1] : train.examples[$0].id < train.examples[$1].id
                }
                return AnyIterator(
                    stride(from: 0, to: order.count, by: h.batchSize).lazy.map { lo in
                        order[lo..<min(lo + h.batchSize, order.count)].map { train.examples[$0] }
                    }.makeIterator())
            },
            step: { chunk, step in
                let (tensor, kept, failures) = images(chunk, blobs: work.blobs, size: c.imageSize, threads: threads)
                skipped.merge(failures) { a, _ in a }
                guard let tensor else { return nil }
                let items = kept.map { chunk[$0] }
                let loss = tuner.train(
                    images: tensor, captions: setup.tokenizer.tokenizeBatch(items.map(\.caption)),
                    classPrompts: classRowsByTemplate[step % templates], labels: items.map(\.label))
                return (loss, items.count)
            },
            validate: { _ in
                guard !val.examples.isEmpty else { return nil }
                let e = evaluate(
                    setup, classifier: classifier(setup, promptTexts: promptTexts), dataset: val, blobs: work.blobs,
                    classes: split.classes, batchSize: max(h.batchSize, 32), threads: threads)
                skipped.merge(e.skipped) { a, _ in a }
                return e.metrics.accuracy
            })
        return FineTuneResult(
            epochs: outcome.epochs, stepLosses: outcome.stepLosses, trainSeconds: outcome.seconds,
            selectedEpoch: outcome.selectedEpoch, skipped: skipped)
    }

    /// Metadata stored beside fine-tuned weights so `pairdx evaluate` can rebuild the classifier.
    public static func checkpointMetadata(classes: [String], promptTexts: [[String]], extra: [String: String]) throws
        -> [String: String]
    {
        var m = extra
        m["pairdx.model"] = "clip"
        m["pairdx.classes"] = try CanonicalJSON.string(classes)
        m["pairdx.prompts"] = try CanonicalJSON.string(promptTexts)
        return m
    }

    /// Classes and prompt texts from `checkpointMetadata`, or nil when the file has none.
    public static func checkpointPrompts(_ metadata: [String: String]) -> (classes: [String], promptTexts: [[String]])?
    {
        guard let c = metadata["pairdx.classes"], let p = metadata["pairdx.prompts"],
            let classes = try? JSONDecoder().decode([String].self, from: Data(c.utf8)),
            let prompts = try? JSONDecoder().decode([[String]].self, from: Data(p.utf8)), classes.count == prompts.count
        else { return nil }
        return (classes, prompts)
    }
}
