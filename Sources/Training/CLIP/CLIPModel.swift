import Foundation

/// CLIP: an image tower, a text tower and a learned temperature `logit_scale` (initialised to ln(1/0.07)),
/// all parameters in one `ParameterStore` under open_clip's names, so an open_clip state dict saved as
/// safetensors loads one to one (`CLIPWeights.load`).
///
/// `logits(image:text:)` = exp(logit_scale) · normalise(image) · normalise(text)ᵀ. Not thread-safe.
public final class CLIPModel {
    public let configuration: CLIPConfiguration
    public let store = ParameterStore()
    public let visual: VisionTower
    public let text: TextTower
    public let logitScale: ParameterRef

    /// A model with random weights drawn from `seed` (the distributions of open_clip's initialisation in spirit,
    /// not its random stream); load real weights with `CLIPWeights.load`.
    public init(configuration: CLIPConfiguration = .vitB32, seed: UInt64 = 0) {
        self.configuration = configuration
        var generator = SeededGenerator(seed: seed)
        visual = VisionTower(store, configuration: configuration, generator: &generator)
        text = TextTower(store, configuration: configuration, generator: &generator)
        logitScale = store.parameter("logit_scale", shape: [])
        store.value(logitScale).pointee = Float(log(1 / 0.07))
        // open_clip's weight-decay exclusion: gains, biases, 1-d parameters and the temperature.
        for (index, entry) in store.parameters.enumerated() {
            let name = entry.name
            if entry.shape.count < 2 || name.contains("ln_") || name.contains("bias") || name == "logit_scale" {
                store.setDecay(ParameterRef(index: index, offset: entry.offset, shape: entry.shape), false)
            }
        }
    }

    /// Image embeddings `[B, E]` of normalised images `[B, 3, S, S]` (not L2-normalised).
    public func encodeImages(_ images: Tensor, training: Bool = false) -> Tensor {
        visual.forward(images, training: training)
    }

    /// Text embeddings `[B, E]` of `[B × L]` token ids (not L2-normalised).
    public func encodeTexts(_ tokens: [Int32], training: Bool = false) -> Tensor {
        text.forward(tokens: tokens, training: training)
    }

    /// The current temperature exp(logit_scale).
    public var temperature: Float { expf(store.value(logitScale).pointee) }

    /// exp(logit_scale) · normalise(images) · normalise(texts)ᵀ, `[B_img, B_txt]`.
    public func logits(imageEmbeddings: Tensor, textEmbeddings: Tensor) -> Tensor {
        CLIPMath.scaledCosine(
            CLIPMath.normalised(imageEmbeddings), CLIPMath.normalised(textEmbeddings), scale: temperature)
    }

    /// `CLIPLoss` of a batch — B images `[B, 3, S, S]`, B caption rows then C class-prompt rows of token ids
    /// (`[(B + C) × L]`, encoded as one text batch), B labels — with every gradient accumulated into `store`
    /// (nothing is zeroed or updated). With `trainText` false the texts are encoded without caching and neither the
    /// text tower nor logit_scale receives a gradient. Returns the loss. O(one forward and backward of both towers).
    public func lossAndGradients(
        images: Tensor, captions: [Int32], classPrompts: [Int32], labels: [Int], trainText: Bool
    ) -> Float {
        let imageEmbeddings = encodeImages(images, training: true)
        let textEmbeddings = encodeTexts(captions + classPrompts, training: trainText)
        let result = CLIPLoss.evaluate(
            images: imageEmbeddings, texts: textEmbeddings, labels: labels,
            logitScale: store.value(logitScale).pointee)
        visual.backward(result.dImage)
        if trainText {
            text.backward(result.dText)
            if store.isTrainable(logitScale) { store.grad(logitScale).pointee += result.dLogitScale }
        }
        return result.loss
    }

    /// Every parameter that belongs to the text tower (for freezing it).
    public var textParameterNames: [String] {
        store.parameters.map(\.name).filter { !$0.hasPrefix("visual.") && $0 != "logit_scale" }
    }

    /// Freezes or unfreezes every parameter whose name satisfies `matching`.
    public func setTrainable(_ trainable: Bool, where matching: (String) -> Bool) {
        for (index, entry) in store.parameters.enumerated() where matching(entry.name) {
            store.setTrainable(ParameterRef(index: index, offset: entry.offset, shape: entry.shape), trainable)
        }
    }
}

/// Row-wise helpers on `[N, E]` embedding matrices.
public enum CLIPMath {
    /// Each row divided by its L2 norm. O(N·E).
    public static func normalised(_ x: Tensor) -> Tensor {
        let e = x.shape.last!, n = x.count / e
        return x.withUnsafeBufferPointer { xp in
            Tensor(shape: x.shape) { yp in
                for r in 0..<n {
                    var sum: Float = 0
                    for j in 0..<e { sum += xp[r * e + j] * xp[r * e + j] }
                    let inv = 1 / max(sum.squareRoot(), 1e-12)
                    for j in 0..<e { yp[r * e + j] = xp[r * e + j] * inv }
                }
            }
        }
    }

    /// scale · a · bᵀ for `a [N, E]`, `b [M, E]`: one GEMM. O(N·M·E).
    public static func scaledCosine(_ a: Tensor, _ b: Tensor, scale: Float) -> Tensor {
        let e = a.shape.last!, n = a.count / e, m = b.count / e
        return a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                Tensor(shape: [n, m]) { cp in
                    BLAS.gemm(
                        transB: true, m: n, n: m, k: e, alpha: scale, a: ap.baseAddress!, b: bp.baseAddress!,
                        c: cp.baseAddress!)
                }
            }
        }
    }

    /// Gradient through row normalisation: given x, y = x/|x| and ∂L/∂y, returns ∂L/∂x = (∂L/∂y − y·(y·∂L/∂y))/|x|.
    static func normaliseBackward(x: Tensor, y: Tensor, dy: Tensor) -> Tensor {
        let e = x.shape.last!, n = x.count / e
        return Tensor(shape: x.shape) { dx in
            for r in 0..<n {
                var norm: Float = 0, dot: Float = 0
                for j in 0..<e {
                    norm += x.storage[r * e + j] * x.storage[r * e + j]
                    dot += y.storage[r * e + j] * dy.storage[r * e + j]
                }
                let inv = 1 / max(norm.squareRoot(), 1e-12)
                for j in 0..<e { dx[r * e + j] = (dy.storage[r * e + j] - y.storage[r * e + j] * dot) * inv }
            }
        }
    }

    /// The transpose of an `[N, M]` matrix. O(N·M).
    static func transposed(_ x: Tensor) -> Tensor {
        let n = x.shape[0], m = x.shape[1]
        return Tensor(shape: [m, n]) { out in
            for i in 0..<n { for j in 0..<m { out[j * n + i] = x.storage[i * m + j] } }
        }
    }
}
