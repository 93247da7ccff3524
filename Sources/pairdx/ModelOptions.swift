import ArgumentParser
import Foundation
import Training
import Validation

/// `--clip-weights` with the CLIP model options, shared by validate, rebuild --validate and train --model clip.
struct CLIPOptions: ParsableArguments {
    @Option(
        name: .customLong("clip-weights"),
        help: ArgumentHelp(
            "CLIP weights: an open_clip state dict saved as safetensors (e.g. ViT-B-32, see the README); shapes are read from the file.",
            valueName: "file"))
    var weights: String?
    @OptionGroup var model: CLIPModelOptions

    var input: Validation.CLIPInput {
        Validation.CLIPInput(weights: weights, bpe: model.bpePath, activation: model.activation?.kind)
    }
}

/// `--clip-bpe` and `--clip-activation`: what a CLIP state dict does not store, for CLIP weights and checkpoints
/// alike (`CLIPOptions`, evaluate).
struct CLIPModelOptions: ParsableArguments {
    @Option(
        name: .customLong("clip-bpe"),
        help: ArgumentHelp(
            "CLIP's BPE merges file bpe_simple_vocab_16e6.txt.gz (default: $PAIRDX_CLIP_BPE).", valueName: "file"))
    var bpe: String?
    @Option(
        name: .customLong("clip-activation"),
        help: ArgumentHelp(
            "The MLP activation of the CLIP weights: quick-gelu (OpenAI's checkpoints, open_clip's '-quickgelu' models) or gelu (e.g. LAION's). Default: what a file written by pairdx records, else quick-gelu.",
            valueName: "kind"))
    var activation: CLIPActivation?

    /// `--clip-bpe`, else `$PAIRDX_CLIP_BPE`.
    var bpePath: String? { bpe ?? environmentPath("PAIRDX_CLIP_BPE") }
}

/// `--clip-activation`, in open_clip's words.
enum CLIPActivation: String, ExpressibleByArgument, CaseIterable {
    case quickGELU = "quick-gelu"
    case gelu

    var kind: GELU.Kind { self == .quickGELU ? .quick : .erf }
}

/// `--biomedclip-weights` and `--biomedclip-vocab`, shared by validate and rebuild --validate.
struct BiomedCLIPOptions: ParsableArguments {
    @Option(
        name: .customLong("biomedclip-weights"),
        help: ArgumentHelp(
            "BiomedCLIP weights: open_clip's BiomedCLIP-PubMedBERT_256-vit_base_patch16_224 state dict saved as safetensors (see the README); shapes are read from the file.",
            valueName: "file"))
    var weights: String?
    @Option(
        name: .customLong("biomedclip-vocab"),
        help: ArgumentHelp(
            "PubMedBERT's WordPiece vocab.txt for BiomedCLIP's text tower (default: $PAIRDX_BIOMEDCLIP_VOCAB).",
            valueName: "file"))
    var vocabulary: String?

    var input: Validation.BiomedCLIPInput {
        Validation.BiomedCLIPInput(
            weights: weights, vocabulary: vocabulary ?? environmentPath("PAIRDX_BIOMEDCLIP_VOCAB"))
    }
}

/// The path in environment variable `name`, nil when it is unset or empty: the default of a file option.
private func environmentPath(_ name: String) -> String? {
    ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
}
