import ArgumentParser
import Foundation
import PairDxCore
import Training

/// `pairdx bench infer`: test-time image-tower throughput of a model with random weights.
struct BenchInferCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infer",
        abstract: "Measure test-time inference speed (images/s, seconds per image) of the CLIP image tower.",
        discussion: """
        Builds the model with random weights (speed does not depend on the weights), encodes --batch random \
        pre-processed images of --res × --res pixels once untimed, then --iterations times, and reports the \
        median as images per second and seconds per image, with the hardware. Image decoding and resizing are \
        not included. --model clip is CLIP ViT-B/32 (patch 32, width 768, 12 layers, 12 heads, 512-d output); \
        compare with the paper's test-time figure (BiomedCLIP: 0.387 s/image). \
        scripts/bench/clip-infer.sh runs this beside a PyTorch ViT-B/32 of the same shapes and prints the ratio.
        """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "Model to time: clip (ViT-B/32 image tower) or fusion.")
    var model: String = "clip"

    @Option(help: "Images per batch.")
    var batch: Int = 32

    @Option(name: .customLong("res"), help: "Image side in pixels (a multiple of 32 for clip).")
    var resolution: Int = 224

    @Option(help: "Timed batches (the median is reported).")
    var iterations: Int = 3

    @Flag(help: "Print the result as JSON on stdout.")
    var json = false

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard iterations >= 1 else { throw ValidationError("--iterations must be at least 1") }
        guard resolution >= 32, resolution % 32 == 0 else { throw ValidationError("--res must be a positive multiple of 32 (the patch size), got \(resolution)") }
    }

    func run() async throws {
        global.apply()
        guard model == "clip" else {
            if model == "fusion" { throw PairDxError.usage("'pairdx bench infer --model fusion' is not available in this build; use --model clip") }
            throw PairDxError.usage("--model must be clip or fusion, got '\(model)'")
        }
        var configuration = CLIPConfiguration.vitB32
        configuration.imageSize = resolution
        let threads = global.threadCount
        Log.info("bench infer: CLIP ViT-B/32 image tower, batch \(batch), \(resolution)², \(threads) thread(s), \(iterations) timed batch(es)")
        Compute.threads = threads
        let result = CLIPInferenceBenchmark.run(configuration: configuration, batch: batch, iterations: iterations)
        if json {
            struct Report: Encodable {
                let result: CLIPInferenceBenchmark.Result
                let hardware: String
            }
            print(String(decoding: try CanonicalJSON.encode(Report(result: result, hardware: Platform.hardware)), as: UTF8.self))
        } else {
            let rate = String(format: "%.2f images/s, %.4f s/image", result.imagesPerSecond, result.secondsPerImage)
            print("clip ViT-B/32 image tower: \(rate) (batch \(batch), \(resolution)×\(resolution), \(threads) threads; \(Platform.hardware))")
        }
    }
}
