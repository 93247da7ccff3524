/// Zero-shot classification with CLIP: each class is the mean of its L2-normalised prompt embeddings
/// (class name × templates, e.g. "a CT scan." / "a photo of a CT scan."), normalised again; an image scores
/// 100 · normalise(image) · classᵀ (open_clip's zero-shot convention) and is assigned the best class.
public struct ZeroShotClassifier {
    /// `[C, E]` unit rows.
    public let classWeights: Tensor

    /// `prompts[c]` holds the `[templates × L]` token rows of class c (all classes the same template count or not).
    public init(model: CLIPModel, prompts: [[Int32]]) {
        let l = model.configuration.contextLength, e = model.configuration.embedDimension
        var weights = [Float]()
        weights.reserveCapacity(prompts.count * e)
        for tokens in prompts {
            precondition(!tokens.isEmpty && tokens.count % l == 0, "each class needs rows of \(l) prompt tokens")
            let embedded = CLIPMath.normalised(model.encodeTexts(tokens))
            let n = tokens.count / l
            var mean = [Float](repeating: 0, count: e)
            for r in 0..<n { for j in 0..<e { mean[j] += embedded.storage[r * e + j] / Float(n) } }
            weights += mean
        }
        classWeights = CLIPMath.normalised(Tensor(shape: [prompts.count, e], storage: weights))
    }

    /// Class names × templates ("{}" stands for the class name) tokenised with CLIP's tokeniser.
    public init(model: CLIPModel, tokenizer: CLIPTokenizer, classNames: [String], templates: [String]) {
        self.init(
            model: model,
            prompts: classNames.map { name in
                tokenizer.tokenizeBatch(templates.map { $0.replacingOccurrences(of: "{}", with: name) })
            })
    }

    /// 100 · normalise(images) · classWeightsᵀ, `[B, C]`.
    public func scores(imageEmbeddings: Tensor) -> Tensor {
        CLIPMath.scaledCosine(CLIPMath.normalised(imageEmbeddings), classWeights, scale: 100)
    }

    /// The best class of each image (ties go to the lower index).
    public func predict(imageEmbeddings: Tensor) -> [Int] {
        let s = scores(imageEmbeddings: imageEmbeddings), c = classWeights.shape[0]
        return (0..<(s.count / c)).map { r in
            (0..<c).max {
                s.storage[r * c + $0] < s.storage[r * c + $1]
                    || (s.storage[r * c + $0] == s.storage[r * c + $1] && $0 > $1)
            }!
        }
    }
}
