import Foundation

/// Times image-tower inference (test-time encoding of already pre-processed images) of a CLIP model with random
/// weights: `warmup` untimed batches, then `iterations` timed batches of `batch` random images. Reports the
/// median batch time as images/s and seconds per image. BLAS and the element-wise loops run on `Compute.threads`
/// threads (set it first; the result records it).
public enum CLIPInferenceBenchmark {
    public typealias Result = InferenceBenchmarkResult<CLIPConfiguration>

    public static func run(configuration: CLIPConfiguration, batch: Int, iterations: Int, warmup: Int = 1) -> Result {
        precondition(batch >= 1 && iterations >= 1, "batch and iterations must be positive")
        let model = CLIPModel(configuration: configuration, seed: 1)
        var generator = SeededGenerator(seed: 2)
        let s = configuration.imageSize
        let images = Tensor(shape: [batch, 3, s, s]) { p in for i in 0..<p.count { p[i] = generator.nextNormal() } }
        let median = InferenceTiming.medianSeconds(iterations: iterations, warmup: warmup) {
            let out = model.encodeImages(images)
            precondition(out.storage.allSatisfy(\.isFinite), "non-finite embedding")
        }
        return Result(
            model: "clip", configuration: configuration, batch: batch, iterations: iterations,
            medianBatchSeconds: median)
    }
}
