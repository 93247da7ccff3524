import Foundation
import Imaging
import PairDxCore
import Training

/// `pairdx bench validate`: the wall time `validate` would take for a recipe at a given number of pairs on this
/// machine, from a few measured steps of each model at the recipe's shapes, without running it.
///
/// Per model: training = epochs × ⌈train/batch⌉ × (seconds per training step); each epoch also predicts the val
/// split, and the test split is predicted once (forward passes of batches of 64); image models add one decode and
/// resize per image for the first image model (the decoded-image cache keeps them for later epochs and models), timed
/// on a 512×512 JPEG figure.
/// Steps run on random inputs (images, token ids) at the recipe's batch, resolution and widths, with the caption
/// vocabulary `vocabulary` words long, in the current `BLAS.mode` on `Compute.threads` threads. O(models × steps).
public enum ValidationEstimate {
    public struct ModelEstimate: Codable, Sendable {
        public var model: ModelKind
        public var epochs: Int
        public var stepsPerEpoch: Int
        public var secondsPerStep: Double
        public var secondsPerPredictedItem: Double
        public var decodeSeconds: Double
        public var trainSeconds: Double
        public var evaluationSeconds: Double
        public var totalSeconds: Double
        public var initialisation: String
    }

    public struct Result: Codable, Sendable {
        public var recipe: String
        public var pairs: Int
        public var train: Int, val: Int, test: Int
        public var threads: Int
        public var mode: ComputeMode
        public var kernel: String
        public var cpu: String
        public var models: [ModelEstimate]
        public var totalSeconds: Double
    }

    public static func run(
        recipe: Recipe, pairs: Int, threads: Int, steps: Int = 2, vocabulary: Int = 20_000,
        log: (String) -> Void = { _ in }
    ) throws -> Result {
        let ratios = recipe.split
        let train = Int((Double(pairs) * ratios.train).rounded()), val = Int((Double(pairs) * ratios.val).rounded())
        let test = pairs - train - val
        Compute.threads = threads
        let decode = try decodeSeconds()
        var models: [ModelEstimate] = []
        for kind in ModelKind.allCases {
            guard let h = recipe.training[kind.rawValue] else {
                throw PairDxError.badInput("recipe \(recipe.name): training has no '\(kind.rawValue)' entry")
            }
            let spec = ModelSpec(
                kind: kind, classes: recipe.classes.map(\.name), resolution: h.resolution,
                widthMultiplier: h.widthMultiplier ?? 1, width: h.width ?? Trainer.defaultWidth,
                heads: h.heads ?? Trainer.defaultHeads, embeddingDim: Trainer.learnedEmbeddingDim,
                vocabularySize: vocabulary, maxTokens: h.maxTokens ?? Trainer.defaultMaxTokens,
                dropout: h.dropout ?? 0.3, frozenEmbeddings: h.freezeEmbeddings ?? false,
                modalityDropout: h.modalityDropout, embeddings: "learned")
            let (step, predict) = timeSteps(spec, batch: h.batchSize, steps: steps)
            let perEpoch = (train + h.batchSize - 1) / h.batchSize
            let trainSeconds = Double(h.epochs * perEpoch) * step
            let evaluation = Double(h.epochs * val + test) * predict
            // The decoded-image cache is shared by every model of the run: the first image model decodes.
            let decoding =
                kind.usesImages && !models.contains(where: { $0.model.usesImages }) ? Double(pairs) * decode : 0
            let initialisation =
                kind == .text
                ? "embeddings learned from the seed"
                : h.initialiseFrom.map { "the trained \($0) model" }
                    ?? (h.imageInitialisation.map { "\($0) weights (--image-weights)" } ?? "the seed")
            let e = ModelEstimate(
                model: kind, epochs: h.epochs, stepsPerEpoch: perEpoch, secondsPerStep: step,
                secondsPerPredictedItem: predict, decodeSeconds: decoding, trainSeconds: trainSeconds,
                evaluationSeconds: evaluation, totalSeconds: trainSeconds + evaluation + decoding,
                initialisation: initialisation)
            log(line(e, resolution: h.resolution, batch: h.batchSize))
            models.append(e)
        }
        return Result(
            recipe: recipe.name, pairs: pairs, train: train, val: val, test: test, threads: threads, mode: BLAS.mode,
            kernel: BLAS.kernel, cpu: CPUInfo.summary, models: models,
            totalSeconds: models.map(\.totalSeconds).reduce(0, +))
    }

    /// One model's estimate as a line of text.
    public static func line(_ e: ModelEstimate, resolution: Int, batch: Int) -> String {
        String(
            format:
                "%@: %d epochs × %d steps × %.3f s/step (batch %d%@) = %@ training + %@ predicting val each epoch and test once%@ = %@; starts from %@",
            e.model.rawValue, e.epochs, e.stepsPerEpoch, e.secondsPerStep, batch,
            e.model.usesImages ? ", \(resolution)² px" : "", Trainer.duration(e.trainSeconds),
            Trainer.duration(e.evaluationSeconds),
            e.decodeSeconds > 0 ? " + \(Trainer.duration(e.decodeSeconds)) decoding each image once" : "",
            Trainer.duration(e.totalSeconds), e.initialisation)
    }

    /// Median seconds of a training step and seconds per item of prediction (batches of 64) for `spec`.
    static func timeSteps(_ spec: ModelSpec, batch: Int, steps: Int) -> (step: Double, predictPerItem: Double) {
        let model = makeClassifier(spec, seed: 0)
        func randomBatch(_ n: Int) -> Batch {
            var g = SeededGenerator(seed: UInt64(n))
            let r = spec.resolution, t = spec.maxTokens
            let images =
                spec.kind.usesImages
                ? Tensor(shape: [n, 3, r, r]) { p in for i in 0..<p.count { p[i] = g.nextNormal() } } : nil
            let ids = (0..<(n * t)).map { _ in
                Int32(truncatingIfNeeded: 1 + g.next() % UInt64(max(spec.vocabularySize - 1, 1)))
            }
            return Batch(
                ids: (0..<n).map { "estimate/\($0)" },
                labels: (0..<n).map { _ in Int(g.next() % UInt64(spec.classes.count)) },
                images: images, tokens: ids, tokenLength: t, lengths: [Int](repeating: t, count: n))
        }
        let input = randomBatch(batch)
        let optimizer = AdamW(model.store)
        let ce = SoftmaxCrossEntropy()
        var times: [Double] = []
        for i in 0...max(1, steps) {
            let start = Trainer.now()
            model.store.zeroGrad()
            _ = ce.forward(logits: model.forward(input, training: true), labels: input.labels)
            model.backward(ce.backward())
            optimizer.step(learningRate: 1e-4)
            if i > 0 { times.append(Trainer.now() - start) }  // the first step warms up
        }
        let evalBatch = randomBatch(64)
        let start = Trainer.now()
        _ = model.forward(evalBatch, training: false)
        let predict = (Trainer.now() - start) / 64
        return (times.sorted()[times.count / 2], predict)
    }

    /// Seconds to decode a 512×512 JPEG figure and resize it to 224² (the median of 5).
    static func decodeSeconds() throws -> Double {
        var g = SeededGenerator(seed: 5)
        let side = 512
        var px = [UInt8](repeating: 0, count: side * side * 3)
        for y in 0..<side {
            for x in 0..<side {
                for c in 0..<3 {
                    px[(y * side + x) * 3 + c] = UInt8(
                        truncatingIfNeeded: (x * (c + 1) + y * 3) / 4 + Int(g.next() % 24))
                }
            }
        }
        let data = try ImageEncoder.jpeg(pixels: px, width: side, height: side, channels: 3)
        var times: [Double] = []
        for _ in 0..<5 {
            let start = Trainer.now()
            _ = try ImagePipeline.prepare(data, resolution: 224)
            times.append(Trainer.now() - start)
        }
        return times.sorted()[2]
    }
}
