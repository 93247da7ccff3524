import Curation
import Foundation
import PairDxCore

/// The result of evaluating one model on one split part.
public struct EvaluationReport: Codable, Sendable {
    public var model: ModelKind
    public var split: String
    public var part: String
    public var metrics: Metrics
    /// Wall time of inference (decode + forward) divided by the number of items, in seconds.
    public var secondsPerImage: Double
    public var hardware: String
    public var threads: Int
    /// Items left out (no caption, missing blob, undecodable image), id → reason.
    public var skipped: [String: String]
    public var oovShare: Double?
}

/// Runs a model over a loader in evaluation mode (BatchNorm running statistics, no dropout, no augmentation).
public enum Evaluation {
    /// Runs `model` over `loader` in evaluation mode, in split order, and hands each non-empty batch with its logits
    /// (row-major, `classes` per row) to `body`.
    public static func forEachBatch(
        _ model: any Classifier, loader: BatchLoader,
        _ body: (_ batch: Batch, _ logits: UnsafeBufferPointer<Float>, _ classes: Int) -> Void
    ) {
        let stream = loader.stream(epoch: 0, shuffle: false, augment: false)
        while let b = stream.next() {
            guard b.count > 0 else { continue }
            let logits = model.forward(b, training: false)
            let k = logits.shape[1]
            logits.withUnsafeBufferPointer { z in body(b, z, k) }
        }
    }

    /// Predictions (arg-max of the logits) and true labels, in split order, and the elapsed seconds.
    public static func predict(_ model: any Classifier, loader: BatchLoader) -> (
        predictions: [Int], labels: [Int], ids: [String], seconds: Double
    ) {
        let start = DispatchTime.now().uptimeNanoseconds
        var preds: [Int] = [], labels: [Int] = [], ids: [String] = []
        forEachBatch(model, loader: loader) { b, z, k in
            for r in 0..<b.count {
                var best = 0
                for j in 1..<k where z[r * k + j] > z[r * k + best] { best = j }
                preds.append(best)
            }
            labels += b.labels; ids += b.ids
        }
        return (preds, labels, ids, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    /// Evaluates `model` on `part` of `split`, tokenising captions with `vocabulary`.
    public static func run(
        _ model: any Classifier, vocabulary: Vocabulary?, split: SplitSet, part: SplitName,
        work: WorkDirectory, threads: Int, captions: [String: String]? = nil
    ) throws -> EvaluationReport {
        let spec = model.spec
        guard spec.classes == split.classes else {
            throw PairDxError.badInput(
                "\(split.directory): classes \(split.classes) differ from the checkpoint's \(spec.classes)")
        }
        let ds = try Dataset.load(
            split, part: part, work: work, captions: captions, requireImages: spec.kind.usesImages)
        return try run(model, vocabulary: vocabulary, dataset: ds, split: split.name, work: work, threads: threads)
    }

    /// Evaluates `model` on items already in memory (`dataset.part` of the split named `split`).
    public static func run(
        _ model: any Classifier, vocabulary: Vocabulary?, dataset: Dataset, split: String, work: WorkDirectory,
        threads: Int
    ) throws -> EvaluationReport {
        let spec = model.spec
        Compute.threads = threads
        var ds = dataset
        var oov: Double?
        if spec.kind.usesText {
            guard let vocabulary else {
                throw PairDxError.badInput("the \(spec.kind.rawValue) model needs a vocabulary")
            }
            oov = ds.tokenize(vocabulary, maxTokens: spec.maxTokens).oovShare
        }
        let loader = BatchLoader(
            ds, blobs: work.blobs, batchSize: 64, resolution: spec.resolution, needsImages: spec.kind.usesImages,
            seed: 0, workers: threads, decodedCache: work.decodedImageCache)
        let (p, l, _, seconds) = predict(model, loader: loader)
        var skipped = ds.problems
        for (k, v) in loader.failures { skipped[k] = v }
        return EvaluationReport(
            model: spec.kind, split: split, part: ds.part.rawValue,
            metrics: Metrics(predictions: p, labels: l, classes: spec.classes),
            secondsPerImage: l.isEmpty ? 0 : seconds / Double(l.count), hardware: Platform.hardware,
            threads: threads, skipped: skipped, oovShare: oov)
    }
}
