import ArgumentParser
import Foundation
import PairDxCore
import Training
import Validation

/// `pairdx bench`: micro-benchmarks users run to size their jobs.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks that help size a run.",
        subcommands: [BenchTrainCommand.self, BenchInferCommand.self, BenchValidateCommand.self]
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
            (OpenBLAS) and the peak resident memory. --threads sets the compute threads (OpenBLAS and the layers). \
            --mode deterministic (the default of train and validate) times the deterministic matrix kernel, --mode fast \
            OpenBLAS's kernels for this CPU; every line names the CPU, its vector extensions, OpenBLAS's core and the kernel.
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
    @Option(help: "Matrix products: \(ComputeMode.allCases.map(\.rawValue).joined(separator: " or ")).") var mode:
        ComputeMode = .deterministic
    @Flag(
        help:
            "Print the SHA-256 of the weights after the steps (the same on every CPU and thread count in deterministic mode) instead of the timing."
    )
    var digest = false
    @OptionGroup var output: JSONOutput

    func validate() throws {
        guard res >= 32 else { throw ValidationError("--res must be at least 32 (ResNet-18 downsamples 32×)") }
        guard batch >= 1, steps >= 1, tokens >= 1 else {
            throw ValidationError("--batch, --steps and --tokens must be at least 1")
        }
        guard width > 0 else { throw ValidationError("--width must be positive") }
    }

    func run() async throws {
        global.apply()
        let threads = global.threadCount
        Compute.threads = threads
        BLAS.mode = mode
        let (step, store) =
            switch model {
            case .image: TrainBenchmark.imageStep(resolution: res, batch: batch, widthMultiplier: width)
            case .fusion:
                TrainBenchmark.fusionStep(resolution: res, batch: batch, tokens: tokens, widthMultiplier: width)
            }
        let r = TrainBenchmark.measure(
            model: model.rawValue, resolution: res, batch: batch, threads: threads,
            steps: steps, step: step)
        if digest {
            // The weights after the warm-up and timed steps: a fixed computation, so equal digests mean equal bits.
            print(
                "weights SHA-256 \(store.weightsDigest()) after \(r.steps + 2) steps: \(model.rawValue) res=\(res) batch=\(batch) "
                    + "threads=\(threads), \(mode.rawValue) mode, kernel \(BLAS.kernel); \(CPUInfo.summary)")
            return
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(r), as: UTF8.self))
        } else {
            let rss = r.peakResidentBytes.map { String(format: ", peak RSS %.0f MB", Double($0) / 1_048_576) } ?? ""
            print(
                String(
                    format:
                        "pairdx %@ train step: res=%d batch=%d threads=%d: %.1f images/s, %.1f GFLOP/s (GEMM %.1f GFLOP/s, %.0f%% of time in GEMM)%@; %@ mode, kernel %@; %@",
                    r.model, r.resolution, r.batch, r.threads, r.imagesPerSecond, r.gflopsPerSecond,
                    r.gemmGflopsPerSecond, 100 * r.gemmShare, rss, r.mode.rawValue, r.kernel, CPUInfo.summary))
        }
    }
}

/// `pairdx bench validate`: how long `validate` would take for a recipe at a number of pairs, from measured steps.
struct BenchValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract:
            "Estimate the wall time of validate's image, text and fusion models for a recipe, from a few measured steps.",
        discussion: """
            Splits --pairs by the recipe's ratios, builds each model of the recipe's training section at its batch, \
            resolution and widths, times --steps training steps (after one warm-up) and one prediction batch of 64 on \
            random inputs, and the decoding of one 512×512 JPEG figure; then prints per model epochs × steps × seconds \
            per step, plus predicting the val split each epoch and the test split once, plus decoding each image once. \
            Nothing is trained to the end: the estimate takes a minute or two.
            """
    )

    @OptionGroup var global: GlobalOptions
    @Option(help: "Recipe name or recipe.json path.") var recipe: String = "pairdx-v1"
    @Option(help: "Pairs in the whole dataset (train + val + test).") var pairs: Int = 22_662
    @Option(help: "Timed training steps per model (after one warm-up).") var steps: Int = 2
    @Option(help: "Caption vocabulary size assumed for the text and fusion models.") var vocabulary: Int = 20_000
    @Option(help: "Matrix products: \(ComputeMode.allCases.map(\.rawValue).joined(separator: " or ")).") var mode:
        ComputeMode = .deterministic
    @Option(help: "Target for image + text + fusion, in hours (the verdict line).") var targetHours: Double = 3
    @OptionGroup var output: JSONOutput

    func validate() throws {
        guard pairs >= 10, steps >= 1, vocabulary >= 2 else {
            throw ValidationError("--pairs ≥ 10, --steps ≥ 1 and --vocabulary ≥ 2")
        }
    }

    func run() async throws {
        global.apply()
        let r = try TrainingSetup.recipe(recipe, split: SplitSet.placeholder)
        BLAS.mode = mode
        let threads = global.threadCount
        let result = try ValidationEstimate.run(
            recipe: r, pairs: pairs, threads: threads, steps: steps, vocabulary: vocabulary
        ) { Log.info($0) }
        if json { return try printJSON(result) }
        print(
            "recipe \(r.name), \(pairs) pairs (train \(result.train), val \(result.val), test \(result.test)), \(threads) threads, "
                + "\(mode.rawValue) mode, kernel \(result.kernel); \(result.cpu)")
        for (e, kind) in zip(result.models, ModelKind.allCases) {
            let h = r.training[kind.rawValue]!
            print(ValidationEstimate.line(e, resolution: h.resolution, batch: h.batchSize))
        }
        let met = result.totalSeconds <= targetHours * 3600
        print(
            "image + text + fusion: \(Trainer.duration(result.totalSeconds)) (target ≤ \(Trainer.duration(targetHours * 3600)): \(met ? "met" : "not met"))"
        )
    }
}

extension BenchTrainCommand: ReportsJSON {}
extension BenchValidateCommand: ReportsJSON {}
