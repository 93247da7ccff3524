import Foundation
import Training

/// How one published figure fared here.
public enum Verdict: String, Codable, Sendable {
    /// Within the recipe's tolerance of the published figure (or the claim holds).
    case reproduced
    case below
    case above
    /// Measured, but not on the published dataset or hardware, so no verdict on the number.
    case notComparable = "not comparable"
    /// Not measured: the model is not implemented here.
    case notRun = "not run"
}

/// One row of the published-vs-reproduced table.
public struct ValidationRow: Codable, Sendable {
    public var id: String
    public var subject: String
    public var quantity: String
    public var published: String
    public var reproduced: String?
    public var verdict: Verdict
    public var note: String
}

/// A model of the validation table: the three classifiers of the training core, the two CLIP rows and BiomedCLIP.
public enum ValidatedModel: String, Codable, Sendable, CaseIterable {
    case image, text, fusion
    /// CLIP with the user's weights, classifying by prompt similarity without training.
    case clipZeroShot = "clip-zero-shot"
    /// CLIP fine-tuned on the train split (PairDxCLIP).
    case clip = "clip-fine-tuned"
    /// BiomedCLIP with the user's weights, zero-shot (the paper's BiomedCLIP row).
    case biomedclip

    public init(_ kind: ModelKind) {
        switch kind {
        case .image: self = .image;
        case .text: self = .text;
        case .fusion: self = .fusion
        }
    }
}

/// One of our models, evaluated on the test split.
public struct ModelOutcome: Codable, Sendable {
    public var model: ValidatedModel
    public var metrics: Metrics
    public var trainSeconds: Double
    public var testSecondsPerImage: Double
    public var parameters: Int
    public var epochs: [EpochLog]
    /// The epoch whose weights were evaluated (the last one, or the one chosen on validation accuracy).
    public var keptEpoch: Int? = nil
    /// Training loss of every optimiser step, in order.
    public var stepLosses: [Double]? = nil
    public var embeddings: String?
    public var oovShare: Double?
    public var hyperparameters: String
    public var skipped: Int
    /// How the model's products were computed, on which kernel, and the SHA-256 of its trained weights
    /// (`ParameterStore.weightsDigest`); nil for models not trained by the training core's `Trainer`.
    public var computeMode: ComputeMode? = nil
    public var kernel: String? = nil
    public var weightsSHA256: String? = nil
    /// Where its ResNet-18 started: `seed`, ImageNet weights (`imagenet:<file> sha256:<digest>`) or the image baseline.
    public var imageInitialisation: String? = nil
}

/// Everything `pairdx validate` found (`report/validation.json`).
public struct ValidationReport: Codable, Sendable {
    public var schema = "pairdx-validation/1"
    public var split: String
    public var recipe: String
    public var source: String
    /// Whether the split can stand for the published dataset; `comparabilityNote` says why not.
    public var comparable: Bool
    public var comparabilityNote: String
    public var tolerancePoints: Double
    public var hardware: String
    public var threads: Int
    public var models: [ModelOutcome]
    public var rows: [ValidationRow]
    /// The paper's central claim, checked on this split: fusion beats each single-modality baseline on test.
    public var gate: Gate
    public var totalSeconds: Double
    /// The compute mode of the run (`deterministic`: the same numbers on every AVX2+FMA x86-64 at any thread
    /// count) and the matrix kernel it ran on.
    public var computeMode: ComputeMode? = nil
    public var kernel: String? = nil

    public struct Gate: Codable, Sendable {
        public var claim: String
        public var passed: Bool
        public var detail: String
    }
}
