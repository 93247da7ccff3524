import Foundation
import PairDxCore

/// Shapes of a BiomedCLIP model: open_clip's `CustomTextCLIP` with a timm ViT image tower and a BERT text tower
/// whose outputs have the same width. `standard` is `microsoft/BiomedCLIP-PubMedBERT_256-vit_base_patch16_224`.
public struct BiomedCLIPConfiguration: Sendable, Equatable, Codable {
    public var vision: TimmViTConfiguration
    public var text: BERTTextConfiguration

    public init(vision: TimmViTConfiguration, text: BERTTextConfiguration) {
        precondition(
            vision.embedDimension == text.outputDimension,
            "image embeddings (\(vision.embedDimension)) and text embeddings (\(text.outputDimension)) differ in width")
        self.vision = vision
        self.text = text
    }

    /// ViT-B/16 (224², timm `vit_base_patch16_224`) + PubMedBERT-base (context 256), 512-d embeddings.
    public static let standard = BiomedCLIPConfiguration(vision: .vitB16, text: .pubMedBERT)

    /// Width of the shared embedding space.
    public var embedDimension: Int { vision.embedDimension }
}

/// BiomedCLIP as open_clip's `CustomTextCLIP`: `visual` (`TimmViTImageTower`, names `visual.trunk.…`,
/// `visual.head.proj.weight`), `text` (`BERTTextTower`, names `text.transformer.…`, `text.proj.0/2.weight`) and
/// `logit_scale`, all in one `ParameterStore` under open_clip's state-dict names, so a converted checkpoint loads
/// one to one (`BiomedCLIPWeights.load`). Inference only.
///
/// `logits` = exp(logit_scale) · normalise(image) · normalise(text)ᵀ, as `CustomTextCLIP.get_logits`. Not thread-safe.
public final class BiomedCLIPModel {
    public let configuration: BiomedCLIPConfiguration
    public let store = ParameterStore()
    public let visual: TimmViTImageTower
    public let text: BERTTextTower
    public let logitScale: ParameterRef

    /// A model with random placeholder weights drawn from `seed`; load real ones with `BiomedCLIPWeights.load`.
    /// `padId` is the tokeniser's `[PAD]` id (0 in PubMedBERT's vocabulary), masked in the text tower's attention.
    public init(configuration: BiomedCLIPConfiguration = .standard, padId: Int32 = 0, seed: UInt64 = 0) {
        self.configuration = configuration
        logitScale = store.parameter("logit_scale", shape: [])
        store.value(logitScale).pointee = Float(log(1 / 0.07))
        var generator = SeededGenerator(seed: seed)
        visual = TimmViTImageTower(store, prefix: "visual", configuration: configuration.vision, generator: &generator)
        text = BERTTextTower(store, prefix: "text.", configuration: configuration.text, padId: padId, seed: seed &+ 1)
    }

    /// Image embeddings `[B, E]` of normalised images `[B, 3, S, S]` (not L2-normalised).
    public func encodeImages(_ images: Tensor) -> Tensor {
        visual.forward(images)
    }

    /// Text embeddings `[B, E]` of B rows of `contextLength` token ids (not L2-normalised).
    public func encodeTexts(_ tokens: [Int32]) -> Tensor {
        let l = configuration.text.contextLength
        precondition(
            !tokens.isEmpty && tokens.count % l == 0,
            "BiomedCLIP texts are rows of \(l) token ids, got \(tokens.count) ids")
        let rows = tokens.count / l
        return Tensor(shape: [rows, configuration.embedDimension], storage: text.forward(tokens: tokens, batch: rows))
    }

    /// The current temperature exp(logit_scale).
    public var temperature: Float { expf(store.value(logitScale).pointee) }

    /// exp(logit_scale) · normalise(images) · normalise(texts)ᵀ, `[B_img, B_txt]`.
    public func logits(imageEmbeddings: Tensor, textEmbeddings: Tensor) -> Tensor {
        CLIPMath.scaledCosine(
            CLIPMath.normalised(imageEmbeddings), CLIPMath.normalised(textEmbeddings), scale: temperature)
    }
}

extension ZeroShotClassifier {
    /// Class weights from any text tower: `promptEmbeddings[c]` holds the `[templates, E]` embeddings of class c's
    /// prompts; each row is L2-normalised, the rows averaged, the mean normalised again (the rule of
    /// `init(model:prompts:)`). O(prompts · E).
    public init(promptEmbeddings: [Tensor]) {
        precondition(!promptEmbeddings.isEmpty, "zero-shot classification needs at least one class")
        let e = promptEmbeddings[0].shape.last!
        var weights = [Float]()
        weights.reserveCapacity(promptEmbeddings.count * e)
        for embedded in promptEmbeddings {
            precondition(
                embedded.shape.last == e && embedded.count >= e,
                "each class needs at least one \(e)-wide prompt embedding")
            let unit = CLIPMath.normalised(embedded), n = embedded.count / e
            var mean = [Float](repeating: 0, count: e)
            for r in 0..<n { for j in 0..<e { mean[j] += unit.storage[r * e + j] / Float(n) } }
            weights += mean
        }
        classWeights = CLIPMath.normalised(Tensor(shape: [promptEmbeddings.count, e], storage: weights))
    }

    /// BiomedCLIP's zero-shot classifier: `prompts[c]` holds class c's texts (e.g. its prompt inside every
    /// template), tokenised with `tokenizer` at the model's context length and embedded by the text tower.
    public init(model: BiomedCLIPModel, tokenizer: WordPieceTokenizer, prompts: [[String]]) {
        let l = model.configuration.text.contextLength
        self.init(promptEmbeddings: prompts.map { model.encodeTexts(tokenizer.encodeBatch($0, contextLength: l)) })
    }
}
