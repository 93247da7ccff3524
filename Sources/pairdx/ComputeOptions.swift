import ArgumentParser
import PairDxCore
import Training

extension ComputeMode: ExpressibleByArgument {}

/// `--fast` and `--image-weights`, shared by train, validate and rebuild --validate.
struct ComputeOptions: ParsableArguments {
    @Flag(
        name: .long,
        help: ArgumentHelp(
            "Compute matrix products with OpenBLAS's kernels for this CPU instead of the deterministic kernel.",
            discussion:
                "By default the results (checkpoint bytes, validation numbers) are the same on every x86-64 CPU with AVX2 and FMA at any thread count; with --fast they may differ in the last bits between CPUs and thread counts."
        ))
    var fast = false

    @Option(
        name: .customLong("image-weights"),
        help: ArgumentHelp(
            "torchvision's ImageNet ResNet-18 state dict saved as safetensors (see the README): the starting weights of the image baseline and of the fusion model's image tower.",
            valueName: "file"))
    var imageWeights: String?

    var mode: ComputeMode { fast ? .fast : .deterministic }
}
