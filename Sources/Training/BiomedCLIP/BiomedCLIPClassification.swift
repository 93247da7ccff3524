import Foundation
import PairDxCore

/// BiomedCLIP as a zero-shot classifier of a split's figures: the recipe's class prompts inside every template,
/// tokenised by `WordPieceTokenizer` (context 256), embedded and averaged per class (`ZeroShotClassifier`); each
/// image is pre-processed as CLIP's (`CLIPImagePreprocess`: BiomedCLIP's open_clip config uses OpenAI CLIP's mean and
/// std and the same resize and centre crop to 224²) and assigned its most similar class. Unreadable images are left
/// out and listed, never stopping the run.
public enum BiomedCLIPClassification {
    /// The model, its tokeniser and where the weights came from.
    public struct Setup {
        public let model: BiomedCLIPModel
        public let tokenizer: WordPieceTokenizer
        public let weights: String

        /// Reads the vocabulary (`vocab.txt` of PubMedBERT) and the weights (shapes inferred from the file). Errors
        /// name the file: no vocabulary given, an unreadable or malformed vocabulary or weights file, or a
        /// vocabulary that does not fit the text tower (`BERTTextTower.check`).
        public init(weights: String, vocabulary: String?) throws {
            guard let vocabulary else {
                throw PairDxError.usage(
                    "BiomedCLIP weights \(weights) given but no vocabulary: pass --biomedclip-vocab FILE or set PAIRDX_BIOMEDCLIP_VOCAB (vocab.txt of microsoft/BiomedNLP-BiomedBERT-base-uncased-abstract, see the README)"
                )
            }
            let tokenizer = try WordPieceTokenizer(vocabularyFile: vocabulary)
            let model = try BiomedCLIPWeights.loadModel(from: weights, padId: tokenizer.padId)
            try model.text.check(tokenizer)
            self.model = model
            self.tokenizer = tokenizer
            self.weights = weights
        }

        /// For logs and reports: "ViT 224²/16, width 768 × 12, BERT 768 × 12 (30522 tokens, context 256), 512-d, … parameters".
        public var summary: String {
            let v = model.configuration.vision, t = model.configuration.text
            return "ViT \(v.imageSize)²/\(v.patchSize), width \(v.width) × \(v.layers), BERT \(t.width) × \(t.layers) "
                + "(\(t.vocabularySize) tokens, context \(t.contextLength)), \(v.embedDimension)-d, \(model.store.parameterCount) parameters"
        }
    }

    /// The zero-shot classifier of `promptTexts` (`[classes][templates]` texts). O(prompts · text-tower cost).
    public static func classifier(_ setup: Setup, promptTexts: [[String]]) -> ZeroShotClassifier {
        ZeroShotClassifier(model: setup.model, tokenizer: setup.tokenizer, prompts: promptTexts)
    }

    /// Classifies every image of `dataset` in batches of `batchSize` on `threads` threads; metrics against
    /// `classes`, seconds per image measured over decoding, pre-processing, the image tower and scoring (the class
    /// embeddings are computed before). O(items · image-tower cost).
    public static func evaluate(
        _ setup: Setup, classifier: ZeroShotClassifier, dataset: Dataset, blobs: BlobStore,
        classes: [String], batchSize: Int = 32, threads: Int
    ) -> CLIPClassification.Evaluation {
        CLIPClassification.evaluate(
            imageSize: setup.model.configuration.vision.imageSize, encodeImages: { setup.model.encodeImages($0) },
            classifier: classifier, dataset: dataset, blobs: blobs, classes: classes,
            batchSize: batchSize, threads: threads)
    }
}
