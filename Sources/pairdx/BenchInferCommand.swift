import ArgumentParser
import Foundation
import PairDxCore
import Training

/// `pairdx bench infer`: test-time throughput of the CLIP or BiomedCLIP image tower or the fusion model, with random weights.
struct BenchInferCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infer",
        abstract:
            "Measure test-time inference speed (images/s, seconds per image) of the CLIP or BiomedCLIP image tower or the fusion model.",
        discussion: """
            Builds the model with random weights (speed does not depend on the weights), runs --batch random \
            pre-processed inputs once untimed, then --iterations times, and reports the median as images per second \
            and seconds per image, with the hardware and thread count. Image decoding and resizing are not included. \
            --model clip is CLIP ViT-B/32's image tower (patch 32, width 768, 12 layers, 12 heads, 512-d output; \
            --res a multiple of 32); --model fusion is the fusion model of recipe pairdx-v1 in evaluation mode \
            (ResNet-18 at full width on --res² images + --tokens caption tokens of 50-d embeddings, 64-wide \
            cross-attention with 4 heads, six classes); --model biomedclip is BiomedCLIP's image tower (timm ViT-B/16: \
            patch 16, width 768, 12 layers, 12 heads, 512-d output; --res a multiple of 16). Compare with the paper's \
            test-time figure (BiomedCLIP: 0.387 s/image, hardware not stated). scripts/bench/infer.sh clip|biomedclip \
            runs a tower beside open_clip's and prints the ratio.
            """)

    @OptionGroup var global: GlobalOptions

    /// `--model`.
    enum Model: String, ExpressibleByArgument, CaseIterable {
        case clip, biomedclip, fusion
    }

    @Option(help: "Model to time: clip (ViT-B/32 image tower), biomedclip (ViT-B/16 image tower) or fusion.")
    var model: Model = .clip

    @Option(help: "Images per batch.")
    var batch: Int = 32

    @Option(name: .customLong("res"), help: "Image side in pixels (a multiple of 32 for clip).")
    var resolution: Int = 224

    @Option(help: "Caption tokens per image (fusion).")
    var tokens: Int = 64

    @Option(help: "Timed batches (the median is reported).")
    var iterations: Int = 3

    @OptionGroup var output: JSONOutput

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard iterations >= 1 else { throw ValidationError("--iterations must be at least 1") }
        guard tokens >= 1 else { throw ValidationError("--tokens must be at least 1") }
        switch model {
        case .biomedclip:
            guard resolution >= 16, resolution % 16 == 0 else {
                throw ValidationError("--res must be a positive multiple of 16 (the patch size), got \(resolution)")
            }
        case .clip:
            guard resolution >= 32, resolution % 32 == 0 else {
                throw ValidationError("--res must be a positive multiple of 32 (the patch size), got \(resolution)")
            }
        case .fusion:
            guard resolution >= 32 else { throw ValidationError("--res must be at least 32, got \(resolution)") }
        }
    }

    func run() async throws {
        global.apply()
        let threads = global.threadCount
        Compute.threads = threads
        // What the log line and the printed rate call the model, and its run.
        let described: String, what: String, measure: () -> any InferenceReport
        switch model {
        case .fusion:
            let spec = FusionInferenceBenchmark.spec(resolution: resolution, tokens: tokens)
            (described, what) = (
                "fusion (ResNet-18 + \(tokens) caption tokens, cross-attention)",
                "fusion (ResNet-18 + \(tokens) tokens)"
            )
            measure = { FusionInferenceBenchmark.run(spec: spec, batch: batch, iterations: iterations) }
        case .biomedclip:
            var configuration = TimmViTConfiguration.vitB16
            configuration.imageSize = resolution
            (described, what) = ("BiomedCLIP ViT-B/16 image tower", "biomedclip ViT-B/16 image tower")
            measure = {
                TimmViTInferenceBenchmark.run(configuration: configuration, batch: batch, iterations: iterations)
            }
        case .clip:
            var configuration = CLIPConfiguration.vitB32
            configuration.imageSize = resolution
            (described, what) = ("CLIP ViT-B/32 image tower", "clip ViT-B/32 image tower")
            measure = { CLIPInferenceBenchmark.run(configuration: configuration, batch: batch, iterations: iterations) }
        }
        Log.info(
            "bench infer: \(described), batch \(batch), \(resolution)², \(threads) thread(s), \(iterations) timed batch(es)"
        )
        let result = measure()
        if json { return print(String(decoding: try result.reportJSON(hardware: Platform.hardware), as: UTF8.self)) }
        let rate = String(format: "%.2f images/s, %.4f s/image", result.imagesPerSecond, result.secondsPerImage)
        print(
            "\(what): \(rate) (batch \(batch), \(resolution)×\(resolution), \(threads) threads; \(Platform.hardware))")
    }
}

/// An inference benchmark's result as `bench infer` prints it: the rates, and as JSON with the hardware beside it.
private protocol InferenceReport {
    var imagesPerSecond: Double { get }
    var secondsPerImage: Double { get }
    func reportJSON(hardware: String) throws -> Data
}

/// `{"result": …, "hardware": …}`, the JSON of `bench infer --json`.
private struct HardwareReport<R: Encodable>: Encodable {
    let result: R
    let hardware: String
}

extension InferenceBenchmarkResult: InferenceReport {
    func reportJSON(hardware: String) throws -> Data {
        try CanonicalJSON.encode(HardwareReport(result: self, hardware: hardware))
    }
}

extension BenchInferCommand: ReportsJSON {}
