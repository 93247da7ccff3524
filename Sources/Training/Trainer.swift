import Curation
import Foundation
import PairDxCore

/// What to train: the model kind, its hyper-parameters (the recipe's `training[model]` with overrides),
/// the seed and thread count, and where GloVe vectors come from (nil: embeddings learned from the train split).
public struct TrainConfig: Sendable {
    public var kind: ModelKind
    public var hyper: ModelHyperparameters
    public var seed: UInt64
    public var threads: Int
    public var glove: String?
    public var gloveCache: String?
    /// Starting weights for the ResNet-18 of the image baseline or of the fusion model's image tower, under
    /// torchvision's names (ImageNet weights from `--image-weights`, or the trained image baseline's, as
    /// PairDxFusion starts from a trained ResNet-18); nil: initialised from the seed. A classifier `fc` is not loaded.
    public var imageTowerInit: [String: Tensor]?
    /// Where `imageTowerInit` comes from, for logs and reports (e.g. `imagenet:resnet18.safetensors`).
    public var imageTowerSource: String?
    /// How matrix products are computed (`.deterministic`: the same bits on every CPU and thread count).
    public var mode: ComputeMode
    public init(
        kind: ModelKind, hyper: ModelHyperparameters, seed: UInt64, threads: Int, glove: String? = nil,
        gloveCache: String? = nil,
        mode: ComputeMode = .deterministic
    ) {
        self.kind = kind; self.hyper = hyper; self.seed = seed; self.threads = threads; self.glove = glove;
        self.gloveCache = gloveCache
        self.mode = mode
    }
}

/// The trained model and how training went.
public struct TrainResult {
    public var model: any Classifier
    public var vocabulary: Vocabulary?
    public var epochs: [EpochLog]
    /// Loss of every optimiser step, in order (same seed and threads ⇒ identical).
    public var stepLosses: [Float]
    public var trainSeconds: Double
    /// OOV share per split part (text models).
    public var tokenStats: [String: TokenStats]
    /// Items left out of training or validation, id → reason.
    public var skipped: [String: String]
    /// The compute mode and matrix kernel the model was trained with, and the SHA-256 of its trained weights
    /// (`ParameterStore.weightsDigest`).
    public var mode: ComputeMode
    public var kernel: String
    public var weightsDigest: String
    /// Where the ResNet-18 weights started from: `seed`, or `TrainConfig.imageTowerSource`; nil for the text model.
    public var imageInitialisation: String?
}

/// Training of the image, text and fusion classifiers: data, vocabulary, model and optimiser from the recipe, then
/// `TrainingLoop` with steps of `zeroGrad` → forward → softmax cross-entropy → backward → optimiser step at the
/// schedule's learning rate, and the val accuracy after every epoch.
public enum Trainer {
    public static let defaultWidth = 128, defaultHeads = 4, learnedEmbeddingDim = 50, defaultMaxTokens = 64

    public static func train(
        _ config: TrainConfig, split: SplitSet, work: WorkDirectory,
        captions: [String: String]? = nil
    ) throws -> TrainResult {
        try check(config.hyper)
        let caps = try captions ?? Dataset.loadCaptions(work)
        let train = try Dataset.load(
            split, part: .train, work: work, captions: caps, requireImages: config.kind.usesImages)
        let val = try Dataset.load(split, part: .val, work: work, captions: caps, requireImages: config.kind.usesImages)
        guard !train.examples.isEmpty else {
            throw PairDxError.badInput("\(split.directory)/train.csv: no usable items")
        }
        return try self.train(config, classes: split.classes, train: train, val: val, work: work, captions: caps)
    }

    /// The same on train and val items already in memory (items that are no split rows, such as real captions
    /// without images); `captions` holds every caption GloVe's vocabulary may draw words from.
    public static func train(
        _ config: TrainConfig, classes: [String], train: Dataset, val: Dataset, work: WorkDirectory,
        captions caps: [String: String]
    ) throws -> TrainResult {
        var train = train, val = val
        let h = config.hyper
        try check(h)
        guard !train.examples.isEmpty else { throw PairDxError.badInput("no usable training items") }
        BLAS.mode = config.mode
        Compute.threads = config.threads
        let maxTokens = h.maxTokens ?? defaultMaxTokens

        // Vocabulary and embeddings.
        var vocabulary: Vocabulary?
        var embeddingInit: [Float]?
        var embeddingDim = learnedEmbeddingDim
        var embeddingsLabel = "learned"
        var stats: [String: TokenStats] = [:]
        if config.kind.usesText {
            if let glovePath = config.glove {
                let glove = try GloVe.load(glovePath, cacheDirectory: config.gloveCache)
                // Every word of the work directory's captions that GloVe knows (word identities carry no labels),
                // plus the train split's own words.
                let known = Set(glove.words)
                var words = Set<String>()
                for c in caps.values {
                    for w in Tokenizer.words(c) {
                        if known.contains(w) { words.insert(w) };
                        for p in Tokenizer.parts(of: w) where known.contains(p) { words.insert(p) }
                    }
                }
                let trainVocab = Vocabulary.build(captions: train.examples.map(\.caption))
                for w in trainVocab.words.dropFirst(Vocabulary.specials.count) { words.insert(w) }
                vocabulary = Vocabulary(words: words.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
                var g = SeededGenerator(seed: config.seed &+ 0x61)
                let (m, covered) = glove.matrix(for: vocabulary!, rng: &g)
                embeddingInit = m; embeddingDim = glove.dimension
                embeddingsLabel = "glove:" + (glovePath as NSString).lastPathComponent
                Log.info(
                    "GloVe \(embeddingsLabel): \(glove.words.count) words × \(glove.dimension); vocabulary \(vocabulary!.count), \(covered) initialised from GloVe"
                )
            } else {
                vocabulary = Vocabulary.build(captions: train.examples.map(\.caption))
                Log.info(
                    "no GloVe file given: embeddings are learned from the train split's vocabulary (\(vocabulary!.count) words)"
                )
            }
            stats["train"] = train.tokenize(vocabulary!, maxTokens: maxTokens)
            stats["val"] = val.tokenize(vocabulary!, maxTokens: maxTokens)
            Log.info(
                "tokens: OOV share train \(pct(stats["train"]!.oovShare)), val \(pct(stats["val"]!.oovShare)); \(stats["train"]!.hyphenSplit) hyphenated words split"
            )
        }

        let spec = ModelSpec(
            kind: config.kind, classes: classes, resolution: h.resolution,
            widthMultiplier: h.widthMultiplier ?? 1, width: h.width ?? defaultWidth, heads: h.heads ?? defaultHeads,
            embeddingDim: embeddingDim, vocabularySize: vocabulary?.count ?? 0, maxTokens: maxTokens,
            dropout: h.dropout ?? 0.3, frozenEmbeddings: h.freezeEmbeddings ?? (config.glove != nil),
            modalityDropout: h.modalityDropout, embeddings: embeddingsLabel)
        let model = makeClassifier(spec, seed: config.seed)
        let resnet = (model as? FusionClassifier)?.tower ?? (model as? ImageClassifier)?.network
        if let weights = config.imageTowerInit, let resnet {
            let source = config.imageTowerSource ?? "image weights"
            try resnet.loadWeights(source: source, includeClassifier: false) { weights[$0] }
            Log.info("\(config.kind.rawValue): ResNet-18 initialised from \(source)")
        }
        if let embeddingInit, let e = model.embedding { e.load(embeddingInit) }
        let optimizer: any Optimizer
        switch h.optimizer {
        case .sgd: optimizer = SGD(model.store, momentum: Float(h.momentum ?? 0.9), weightDecay: Float(h.weightDecay))
        case .adamw: optimizer = AdamW(model.store, weightDecay: Float(h.weightDecay))
        }
        let trainLoader = BatchLoader(
            train, blobs: work.blobs, batchSize: h.batchSize, resolution: h.resolution,
            needsImages: config.kind.usesImages, seed: config.seed, workers: config.threads,
            decodedCache: work.decodedImageCache)
        let valLoader = BatchLoader(
            val, blobs: work.blobs, batchSize: max(h.batchSize, 64), resolution: h.resolution,
            needsImages: config.kind.usesImages, seed: config.seed, workers: config.threads,
            decodedCache: work.decodedImageCache)
        let perEpoch = trainLoader.batchesPerEpoch, total = perEpoch * h.epochs
        let warm = h.warmupSteps ?? 0, lr = Float(h.learningRate)
        let schedule = try learningRateSchedule(
            h.schedule, base: lr, totalSteps: total, warmupSteps: warm,
            what: "training.\(config.kind.rawValue) (\(h.epochs) epochs × \(perEpoch) batches of \(h.batchSize))")
        Log.info(
            "training \(config.kind.rawValue): \(train.examples.count) train / \(val.examples.count) val items, \(model.store.parameterCount) parameters, "
                + "\(h.epochs) epochs × \(perEpoch) steps, batch \(h.batchSize), \(config.kind.usesImages ? "\(h.resolution)² px, " : "")\(h.optimizer.rawValue) lr \(h.learningRate), \(config.threads) threads, "
                + "\(config.mode.rawValue) mode (\(BLAS.kernel))")

        let ce = SoftmaxCrossEntropy()
        let outcome = TrainingLoop.run(
            config.kind.rawValue, epochs: h.epochs, stepsPerEpoch: perEpoch,
            batches: { epoch in
                let stream = trainLoader.stream(epoch: epoch, shuffle: true, augment: config.kind.usesImages)
                return AnyIterator { stream.next() }
            },
            step: { batch, step in
                guard batch.count > 0 else { return nil }
                model.store.zeroGrad()
                let loss = ce.forward(logits: model.forward(batch, training: true), labels: batch.labels)
                model.backward(ce.backward())
                optimizer.step(learningRate: schedule.learningRate(atStep: step))
                return (loss, batch.count)
            },
            validate: { _ in
                guard !val.examples.isEmpty else { return nil }
                let (p, l, _, _) = Evaluation.predict(model, loader: valLoader)
                return Metrics(predictions: p, labels: l, classes: classes).accuracy
            })
        var skipped = train.problems.merging(val.problems) { a, _ in a }
        for (k, v) in trainLoader.failures { skipped[k] = v }
        for (k, v) in valLoader.failures { skipped[k] = v }
        if !skipped.isEmpty {
            Log.warning("\(skipped.count) items skipped (first: \(skipped.sorted { $0.key < $1.key }.first!))")
        }
        let digest = model.store.weightsDigest()
        Log.info(
            "\(config.kind.rawValue): \(config.mode.rawValue) mode, kernel \(BLAS.kernel), weights SHA-256 \(digest)")
        return TrainResult(
            model: model, vocabulary: vocabulary, epochs: outcome.epochs, stepLosses: outcome.stepLosses,
            trainSeconds: outcome.seconds,
            tokenStats: stats, skipped: skipped, mode: config.mode, kernel: BLAS.kernel, weightsDigest: digest,
            imageInitialisation: resnet == nil
                ? nil : config.imageTowerInit == nil ? "seed" : config.imageTowerSource ?? "image weights")
    }

    static func check(_ h: ModelHyperparameters) throws {
        guard h.epochs >= 1, h.batchSize >= 1, h.learningRate > 0 else {
            throw PairDxError.usage(
                "hyper-parameters need epochs ≥ 1, batch ≥ 1 and a positive learning rate (got \(h.epochs), \(h.batchSize), \(h.learningRate))"
            )
        }
    }

    public static func now() -> Double { TrainingLoop.now() }
    static func pct(_ x: Double) -> String { String(format: "%.2f%%", 100 * x) }
    /// "1h02m", "3m05s", "12.3s".
    public static func duration(_ s: Double) -> String { TrainingLoop.duration(s) }
}
