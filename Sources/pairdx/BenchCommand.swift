import ArgumentParser
import Foundation
import PairDxCore
import Training

/// `pairdx bench`: micro-benchmarks users run to size their jobs.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks that help size a run.",
        subcommands: [BenchTrainCommand.self, BenchInferCommand.self]
    )
}

/// `pairdx bench train`: times training steps on random inputs of the given shapes.
struct BenchTrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Time training steps of a model on random inputs and print images/s.",
        discussion: """
        --model image is ResNet-18 → linear (six classes); --model fusion adds the caption branch (a trainable \
        50-d embedding of a 20,000-word vocabulary, --tokens tokens per caption, projections to width 256, \
        4-head cross-attention from the image to the tokens, MLP head), the shapes of \
        ../shared/bench/peer_torch_fusion.py. \
        Builds the model with random weights, runs two untimed warm-up steps, then times --steps full training \
        steps (forward, backward, SGD update) on one random batch of --batch images at --res × --res pixels. \
        Prints images/s, GFLOP/s of the matrix products over the whole step, the share of time spent inside GEMM \
        (OpenBLAS) and the peak resident memory. --threads sets the compute threads (OpenBLAS and the layers).
        """
    )

    enum Model: String, ExpressibleByArgument, CaseIterable {
        case image, fusion
    }

    @OptionGroup var global: GlobalOptions
    @Option(help: "Model to time: \(Model.allCases.map(\.rawValue).joined(separator: ", ")).") var model: Model = .image
    @Option(help: "Image side in pixels.") var res: Int = 112
    @Option(help: "Images per batch.") var batch: Int = 32
    @Option(help: "Timed steps (after two warm-up steps).") var steps: Int = 5
    @Option(help: "ResNet width multiplier (1 = ResNet-18).") var width: Double = 1
    @Option(help: "Caption tokens per image (fusion model).") var tokens: Int = 40
    @Flag(help: "Print the result as JSON on stdout.") var json = false

    func validate() throws {
        guard res >= 32 else { throw ValidationError("--res must be at least 32 (ResNet-18 downsamples 32×)") }
        guard batch >= 1, steps >= 1, tokens >= 1 else { throw ValidationError("--batch, --steps and --tokens must be at least 1") }
        guard width > 0 else { throw ValidationError("--width must be positive") }
    }

    func run() async throws {
        global.apply()
        let threads = global.threadCount
        Compute.threads = threads
        let step: () -> Void
        switch model {
        case .image:
            step = TrainBenchmark.imageStep(resolution: res, batch: batch, widthMultiplier: width)
        case .fusion:
            step = TrainBenchmark.fusionStep(resolution: res, batch: batch, tokens: tokens, widthMultiplier: width)
        }
        let r = TrainBenchmark.measure(model: model.rawValue, resolution: res, batch: batch, threads: threads,
                                       steps: steps, step: step)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(r), as: UTF8.self))
        } else {
            let rss = r.peakResidentBytes.map { String(format: ", peak RSS %.0f MB", Double($0) / 1_048_576) } ?? ""
            print(String(format: "pairdx %@ train step: res=%d batch=%d threads=%d: %.1f images/s, %.1f GFLOP/s (GEMM %.1f GFLOP/s, %.0f%% of time in GEMM)%@",
                         r.model, r.resolution, r.batch, r.threads, r.imagesPerSecond, r.gflopsPerSecond,
                         r.gemmGflopsPerSecond, 100 * r.gemmShare, rss))
        }
    }
}
