import Foundation

/// Times test-time inference of the fusion model (`pairdx bench infer --model fusion`): random weights and
/// inputs (speed does not depend on them), `warmup` untimed batches, then `iterations` timed forward passes in
/// evaluation mode; the median batch time gives images/s and seconds per image. Image decoding and resizing are
/// not included in any of these benchmarks. BLAS and the layers' loops run on `Compute.threads` threads (set it
/// first; the result records it).
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
        let model = makeClassifier(spec, seed: 1)
        var g = SeededGenerator(seed: 2)
        let t = spec.maxTokens
        let images = InferenceTiming.randomImages(batch: batch, size: spec.resolution, generator: &g)
        let ids = (0..<(batch * t)).map { _ in Int32(truncatingIfNeeded: g.next() % UInt64(spec.vocabularySize)) }
        let input = Batch(
            ids: (0..<batch).map { "bench/\($0)" }, labels: [Int](repeating: 0, count: batch), images: images,
            tokens: ids, tokenLength: t, lengths: [Int](repeating: t, count: batch))
        return InferenceTiming.measure(
            "fusion", configuration: spec, batch: batch, iterations: iterations, warmup: warmup
        ) {
            model.forward(input, training: false)
        }
    }
}

/// Times image-tower inference (test-time encoding of already pre-processed images) of a CLIP model with random
/// weights (`pairdx bench infer --model clip`): `warmup` untimed batches, then `iterations` timed batches of
/// `batch` random images; the median batch time gives images/s and seconds per image.
public enum CLIPInferenceBenchmark {
    public typealias Result = InferenceBenchmarkResult<CLIPConfiguration>

    public static func run(configuration: CLIPConfiguration, batch: Int, iterations: Int, warmup: Int = 1) -> Result {
        let model = CLIPModel(configuration: configuration, seed: 1)
        var generator = SeededGenerator(seed: 2)
        let images = InferenceTiming.randomImages(batch: batch, size: configuration.imageSize, generator: &generator)
        return InferenceTiming.measure(
            "clip", configuration: configuration, batch: batch, iterations: iterations, warmup: warmup
        ) {
            model.encodeImages(images)
        }
    }
}

/// The same for BiomedCLIP's image tower, the timm ViT (`pairdx bench infer --model biomedclip`).
public enum TimmViTInferenceBenchmark {
    public typealias Result = InferenceBenchmarkResult<TimmViTConfiguration>

    public static func run(configuration: TimmViTConfiguration, batch: Int, iterations: Int, warmup: Int = 1) -> Result
    {
        var generator = SeededGenerator(seed: 1)
        let tower = TimmViTImageTower(ParameterStore(), configuration: configuration, generator: &generator)
        let images = InferenceTiming.randomImages(batch: batch, size: configuration.imageSize, generator: &generator)
        return InferenceTiming.measure(
            "biomedclip", configuration: configuration, batch: batch, iterations: iterations, warmup: warmup
        ) {
            tower.forward(images)
        }
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
    /// `batch` images `[B, 3, size, size]` of standard normal values (speed does not depend on them).
    static func randomImages(batch: Int, size s: Int, generator: inout SeededGenerator) -> Tensor {
        Tensor(shape: [batch, 3, s, s]) { p in for i in 0..<p.count { p[i] = generator.nextNormal() } }
    }

    /// The median time of `forward` (whose output must be finite) on one batch, as `model` with `configuration`.
    static func measure<C>(
        _ model: String, configuration: C, batch: Int, iterations: Int, warmup: Int, _ forward: () -> Tensor
    ) -> InferenceBenchmarkResult<C> {
        precondition(batch >= 1 && iterations >= 1, "batch and iterations must be positive")
        let median = medianSeconds(iterations: iterations, warmup: warmup) {
            precondition(forward().storage.allSatisfy(\.isFinite), "non-finite output")
        }
        return InferenceBenchmarkResult(
            model: model, configuration: configuration, batch: batch, iterations: iterations, medianBatchSeconds: median
        )
    }

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
