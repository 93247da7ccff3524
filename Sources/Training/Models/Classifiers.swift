import Foundation
import PairDxCore

/// The three models `pairdx train --model` builds.
public enum ModelKind: String, CaseIterable, Sendable, Codable {
    case image, text, fusion
    public var usesImages: Bool { self != .text }
    public var usesText: Bool { self != .image }
}

/// Everything needed to rebuild a model's architecture (stored in checkpoints as JSON metadata).
public struct ModelSpec: Codable, Sendable, Equatable {
    public var kind: ModelKind
    public var classes: [String]
    public var resolution: Int
    public var widthMultiplier: Double
    public var width: Int
    public var heads: Int
    public var embeddingDim: Int
    public var vocabularySize: Int
    public var maxTokens: Int
    public var dropout: Double
    public var frozenEmbeddings: Bool
    /// Fusion only: the share of training samples whose image features are zeroed, so the model must also learn
    /// to read the caption instead of leaning on a tower that already fits the training images (nil = 0).
    public var modalityDropout: Double?
    /// `glove:<file name>` or `learned` (embeddings learned from the train split's vocabulary).
    public var embeddings: String

    public init(
        kind: ModelKind, classes: [String], resolution: Int, widthMultiplier: Double, width: Int, heads: Int,
        embeddingDim: Int, vocabularySize: Int, maxTokens: Int, dropout: Double, frozenEmbeddings: Bool,
        modalityDropout: Double? = nil, embeddings: String
    ) {
        self.kind = kind; self.classes = classes; self.resolution = resolution; self.widthMultiplier = widthMultiplier
        self.width = width; self.heads = heads; self.embeddingDim = embeddingDim; self.vocabularySize = vocabularySize
        self.maxTokens = maxTokens; self.dropout = dropout; self.frozenEmbeddings = frozenEmbeddings
        self.modalityDropout = modalityDropout; self.embeddings = embeddings
    }
}

/// A classifier over batches: logits [B, classes] forward, gradients into `store` backward.
public protocol Classifier: AnyObject {
    var spec: ModelSpec { get }
    var store: ParameterStore { get }
    func forward(_ batch: Batch, training: Bool) -> Tensor
    /// Back-propagates ∂loss/∂logits of the last training forward (accumulating into `store`).
    func backward(_ dLogits: Tensor)
    /// The token embedding table, when the model reads captions.
    var embedding: Embedding? { get }
}

/// Builds the model `spec` describes, initialised from `seed`.
public func makeClassifier(_ spec: ModelSpec, seed: UInt64) -> any Classifier {
    switch spec.kind {
    case .image: ImageClassifier(spec, seed: seed)
    case .text: TextClassifier(spec, seed: seed)
    case .fusion: FusionClassifier(spec, seed: seed)
    }
}

/// `image`: ResNet-18 (width × multiplier) → linear → classes; torchvision parameter names.
public final class ImageClassifier: Classifier {
    public let spec: ModelSpec
    public let store = ParameterStore()
    public let network: ResNet18
    public var embedding: Embedding? { nil }

    public init(_ spec: ModelSpec, seed: UInt64) {
        self.spec = spec
        var g = SeededGenerator(seed: seed)
        network = ResNet18(store, widthMultiplier: spec.widthMultiplier, classes: spec.classes.count, generator: &g)
    }

    public func forward(_ batch: Batch, training: Bool) -> Tensor {
        guard let images = batch.images else { preconditionFailure("the image model needs images in its batches") }
        return network.forward(images, training: training)
    }

    public func backward(_ dLogits: Tensor) { _ = network.backward(dLogits) }
}

/// `text`: see `TextEncoder`.
public final class TextClassifier: Classifier {
    public let spec: ModelSpec
    public let encoder: TextEncoder
    public var store: ParameterStore { encoder.store }
    public var embedding: Embedding? { encoder.embedding }

    public init(_ spec: ModelSpec, seed: UInt64) {
        self.spec = spec
        encoder = TextEncoder(
            vocab: spec.vocabularySize, embeddingDim: spec.embeddingDim, width: spec.width, heads: spec.heads,
            classes: spec.classes.count, dropout: Float(spec.dropout), frozenEmbeddings: spec.frozenEmbeddings,
            seed: seed)
    }

    public func forward(_ batch: Batch, training: Bool) -> Tensor {
        encoder.forward(
            tokens: batch.tokens, batch: batch.count, tokenLength: batch.tokenLength, lengths: batch.lengths,
            training: training)
    }

    public func backward(_ dLogits: Tensor) { encoder.backward(dLogits) }
}

/// `fusion`: ResNet-18 image tower (parameters under `image.`) feeding `FusionHead`; one parameter block.
public final class FusionClassifier: Classifier {
    public let spec: ModelSpec
    public let store = ParameterStore()
    public let tower: ResNet18
    public let head: FusionHead
    public var embedding: Embedding? { head.embedding }

    /// Per-sample keep factors of the last training forward (empty when no modality dropout was applied).
    private var keep: [Float] = []
    private var dropoutDraws: SeededGenerator

    public init(_ spec: ModelSpec, seed: UInt64) {
        self.spec = spec
        dropoutDraws = SeededGenerator(seed: seed ^ 0x6D6F_6461_6C69_7479)
        var g = SeededGenerator(seed: seed)
        tower = ResNet18(store, name: "image", widthMultiplier: spec.widthMultiplier, classes: nil, generator: &g)
        head = FusionHead(
            store, featureDim: tower.featureWidth, vocab: spec.vocabularySize, embeddingDim: spec.embeddingDim,
            width: spec.width, heads: spec.heads, classes: spec.classes.count, dropout: Float(spec.dropout),
            frozenEmbeddings: spec.frozenEmbeddings, seed: seed, generator: &g)
    }

    public func forward(_ batch: Batch, training: Bool) -> Tensor {
        guard let images = batch.images else { preconditionFailure("the fusion model needs images in its batches") }
        var f = tower.features(images, training: training)
        keep = []
        let p = Float(spec.modalityDropout ?? 0)
        if training && p > 0 {
            // Inverted dropout over whole samples: a dropped sample's image features are zero, the rest are scaled
            // by 1/(1-p) so their expected value is unchanged. Draws come from the model's seeded generator.
            let b = f.shape[0], width = f.count / max(b, 1)
            keep = (0..<b).map { _ in dropoutDraws.nextUniform() < p ? 0 : 1 / (1 - p) }
            scaleRows(&f, by: keep, width: width)
        }
        return head.forward(
            features: f, tokens: batch.tokens, tokenLength: batch.tokenLength, lengths: batch.lengths,
            training: training)
    }

    public func backward(_ dLogits: Tensor) {
        var d = head.backward(dLogits)
        if !keep.isEmpty { scaleRows(&d, by: keep, width: d.count / keep.count) }
        tower.backwardFeatures(d)
    }

    private func scaleRows(_ t: inout Tensor, by factors: [Float], width: Int) {
        t.withUnsafeMutableBufferPointer { p in
            for (i, k) in factors.enumerated() where k != 1 {
                for j in 0..<width { p[i &* width &+ j] *= k }
            }
        }
    }
}
