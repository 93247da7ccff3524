import Foundation

/// The training objective of CLIP fine-tuning: the symmetric contrastive loss over B matching
/// (image, caption) pairs plus, when class prompts are given, the cross-entropy of each image against the C
/// class-prompt embeddings — both through the shared temperature s = exp(logit_scale):
///
///   L = ½(CE(s·ÛV̂ᵀ, I) + CE(s·V̂Ûᵀ, I)) + CE(s·ÛŴᵀ, labels)
///
/// with Û, V̂, Ŵ the L2-normalised image, caption and class embeddings. `evaluate` returns the loss and the
/// gradients with respect to the unnormalised embeddings and logit_scale. O(B·(B + C)·E).
public enum CLIPLoss {
    public struct Result {
        public let loss: Float
        /// exp(logit_scale) · Û·V̂ᵀ, `[B, B]`.
        public let logits: Tensor
        public let dImage: Tensor
        /// Gradient for the caption rows then the class rows, in the order of `texts`.
        public let dText: Tensor
        public let dLogitScale: Float
    }

    /// `images [B, E]`, `texts [B + C, E]` (B captions, then C class prompts), `labels` (B class indices, empty
    /// when C = 0), `logitScale` the raw parameter.
    public static func evaluate(images: Tensor, texts: Tensor, labels: [Int], logitScale: Float) -> Result {
        let e = images.shape[1], b = images.shape[0], c = texts.shape[0] - b
        precondition(
            c >= 0 && (c == 0 ? labels.isEmpty : labels.count == b),
            "CLIPLoss: \(b) images, \(texts.shape[0]) texts, \(labels.count) labels")
        let s = expf(logitScale)
        let u = CLIPMath.normalised(images), vAll = CLIPMath.normalised(texts)
        let v = Tensor(shape: [b, e], storage: Array(vAll.storage[0..<(b * e)]))
        let logits = CLIPMath.scaledCosine(u, v, scale: s)
        let diagonal = Array(0..<b)
        let rows = SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: diagonal)
        let cols = SoftmaxCrossEntropy.lossAndGradient(logits: CLIPMath.transposed(logits), labels: diagonal)
        var loss = 0.5 * (rows.loss + cols.loss)
        // dLogits = ½ dRows + ½ dColsᵀ
        var dLogits = CLIPMath.transposed(cols.gradient)
        for i in 0..<dLogits.count { dLogits.storage[i] = 0.5 * (rows.gradient.storage[i] + dLogits.storage[i]) }
        var dScale: Float = 0
        for i in 0..<dLogits.count { dScale += dLogits.storage[i] * logits.storage[i] }
        var dU = matmul(dLogits, v, scale: s)  // [B, E]
        var dV = matmul(CLIPMath.transposed(dLogits), u, scale: s)  // [B, E]
        var dW = Tensor(shape: [c, e], repeating: 0)
        if c > 0 {
            let w = Tensor(shape: [c, e], storage: Array(vAll.storage[(b * e)...]))
            let classLogits = CLIPMath.scaledCosine(u, w, scale: s)
            let cls = SoftmaxCrossEntropy.lossAndGradient(logits: classLogits, labels: labels)
            loss += cls.loss
            for i in 0..<classLogits.count { dScale += cls.gradient.storage[i] * classLogits.storage[i] }
            let extra = matmul(cls.gradient, w, scale: s)
            for i in 0..<dU.count { dU.storage[i] += extra.storage[i] }
            dW = matmul(CLIPMath.transposed(cls.gradient), u, scale: s)
        }
        dV = Tensor(shape: [b + c, e], storage: dV.storage + dW.storage)
        dU = CLIPMath.normaliseBackward(x: images, y: u, dy: dU)
        let dText = CLIPMath.normaliseBackward(x: texts, y: vAll, dy: dV)
        return Result(loss: loss, logits: logits, dImage: dU, dText: dText, dLogitScale: dScale)
    }

    /// scale · a[N, K] · b[K, M]. One GEMM.
    private static func matmul(_ a: Tensor, _ b: Tensor, scale: Float) -> Tensor {
        let n = a.shape[0], k = a.shape[1], m = b.shape[1]
        return a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                Tensor(shape: [n, m]) { cp in
                    BLAS.gemm(
                        m: n, n: m, k: k, alpha: scale, a: ap.baseAddress!, b: bp.baseAddress!, c: cp.baseAddress!)
                }
            }
        }
    }
}
