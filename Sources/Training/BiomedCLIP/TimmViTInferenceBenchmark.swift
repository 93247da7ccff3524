import Foundation

/// Times test-time inference of BiomedCLIP's image tower (`pairdx bench infer --model biomedclip`): the timm ViT
/// with random weights (speed does not depend on them) on `batch` random pre-processed images, `warmup` untimed
/// batches, then `iterations` timed ones; the median batch time gives images/s and seconds per image. Decoding and
/// resizing are not included (as for `CLIPInferenceBenchmark`). BLAS and the layers' loops run on `Compute.threads`.
public enum TimmViTInferenceBenchmark {
    public typealias Result = InferenceBenchmarkResult<TimmViTConfiguration>

    public static func run(configuration: TimmViTConfiguration, batch: Int, iterations: Int, warmup: Int = 1) -> Result
    {
        precondition(batch >= 1 && iterations >= 1, "batch and iterations must be positive")
        let store = ParameterStore()
        var generator = SeededGenerator(seed: 1)
        let tower = TimmViTImageTower(store, configuration: configuration, generator: &generator)
        let s = configuration.imageSize
        let images = Tensor(shape: [batch, 3, s, s]) { p in for i in 0..<p.count { p[i] = generator.nextNormal() } }
        let median = InferenceTiming.medianSeconds(iterations: iterations, warmup: warmup) {
            let out = tower.forward(images)
            precondition(out.storage.allSatisfy(\.isFinite), "non-finite embedding")
        }
        return Result(
            model: "biomedclip", configuration: configuration, batch: batch, iterations: iterations,
            medianBatchSeconds: median)
    }
}
