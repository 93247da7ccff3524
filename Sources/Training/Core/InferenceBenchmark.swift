import Foundation

/// Times test-time inference of the fusion model (`pairdx bench infer --model fusion`): random weights and
/// inputs (speed does not depend on them), `warmup` untimed batches, then `iterations` timed forward passes in
/// evaluation mode; the median batch time gives images/s and seconds per image. Image decoding and resizing are
/// not included (as for `CLIPInferenceBenchmark`). BLAS and the layers' loops run on `Compute.threads` threads.
public enum FusionInferenceBenchmark {
    public typealias Result = InferenceBenchmarkResult<ModelSpec>

    /// The fusion model of recipe `pairdx-v1` at `resolution`: ResNet-18 at full width, 64-wide cross-attention
    /// with 4 heads, 50-d word embeddings (GloVe's size) over a 20,000-word vocabulary, `tokens` caption tokens,
    /// six classes.
    public static func spec(
        resolution: Int, tokens: Int = 64, widthMultiplier: Double = 1, width: Int = 64, heads: Int = 4
    ) -> ModelSpec {
        ModelSpec(
            kind: .fusion, classes: ["ct", "mri", "xray", "ultrasound", "histopathology", "endoscopy"],
            resolution: resolution,
            widthMultiplier: widthMultiplier, width: width, heads: heads, embeddingDim: 50, vocabularySize: 20_000,
            maxTokens: tokens, dropout: 0.1, frozenEmbeddings: true, embeddings: "random")
    }

    public static func run(spec: ModelSpec, batch: Int, iterations: Int, warmup: Int = 1) -> Result {
        precondition(batch >= 1 && iterations >= 1, "batch and iterations must be positive")
        let model = makeClassifier(spec, seed: 1)
        var g = SeededGenerator(seed: 2)
        let r = spec.resolution, t = spec.maxTokens
        let images = Tensor(shape: [batch, 3, r, r]) { p in for i in 0..<p.count { p[i] = g.nextNormal() } }
        let ids = (0..<(batch * t)).map { _ in Int32(truncatingIfNeeded: g.next() % UInt64(spec.vocabularySize)) }
        let input = Batch(
            ids: (0..<batch).map { "bench/\($0)" }, labels: [Int](repeating: 0, count: batch), images: images,
            tokens: ids, tokenLength: t, lengths: [Int](repeating: t, count: batch))
        let median = InferenceTiming.medianSeconds(iterations: iterations, warmup: warmup) {
            let out = model.forward(input, training: false)
            precondition(out.storage.allSatisfy(\.isFinite), "non-finite logits")
        }
        return Result(
            model: "fusion", configuration: spec, batch: batch, iterations: iterations, medianBatchSeconds: median)
    }
}

/// What an inference benchmark measured: the model and its shapes, the batch, the thread count (`Compute.threads`
/// when the result is made) and the median batch time, with the images/s and seconds per image it gives.
public struct InferenceBenchmarkResult<Configuration: Codable & Sendable>: Codable, Sendable {
    public var model: String
    public var configuration: Configuration
    public var batch: Int
    public var threads: Int
    public var iterations: Int
    public var medianBatchSeconds: Double
    public var imagesPerSecond: Double
    public var secondsPerImage: Double

    init(model: String, configuration: Configuration, batch: Int, iterations: Int, medianBatchSeconds median: Double) {
        self.model = model
        self.configuration = configuration
        self.batch = batch
        threads = Compute.threads
        self.iterations = iterations
        medianBatchSeconds = median
        imagesPerSecond = Double(batch) / median
        secondsPerImage = median / Double(batch)
    }
}

/// Timing shared by the inference benchmarks.
enum InferenceTiming {
    /// Median wall time of `iterations` calls of `body` after `warmup` untimed ones.
    static func medianSeconds(iterations: Int, warmup: Int, _ body: () -> Void) -> Double {
        for _ in 0..<warmup { body() }
        var times: [Double] = []
        for _ in 0..<iterations {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        times.sort()
        return times.count % 2 == 1
            ? times[times.count / 2] : 0.5 * (times[times.count / 2 - 1] + times[times.count / 2])
    }
}
