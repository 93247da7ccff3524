import Foundation

/// Softmax over the last dimension followed by the mean negative log-likelihood of integer labels
/// (PyTorch's `F.cross_entropy` with mean reduction). Numerically stable (max-subtracted, log-sum-exp).
/// O(B·K).
public final class SoftmaxCrossEntropy {
    private var probabilities = Tensor(shape: [0])
    private var labels: [Int] = []

    public init() {}

    /// Mean loss over the batch of `logits` `[B, K]` against `labels` (B values in 0..<K).
    /// Caches the probabilities for `backward()`.
    public func forward(logits: Tensor, labels: [Int]) -> Float {
        precondition(
            logits.rank == 2 && logits.shape[0] == labels.count, "logits \(logits.shape) vs \(labels.count) labels")
        let b = logits.shape[0], k = logits.shape[1]
        self.labels = labels
        var loss = 0.0
        probabilities = logits.withUnsafeBufferPointer { z in
            Tensor(shape: logits.shape) { p in
                for r in 0..<b {
                    let row = z.baseAddress! + r &* k
                    let out = p.baseAddress! + r &* k
                    var m = -Float.infinity
                    for j in 0..<k { m = max(m, row[j]) }
                    var sum = 0.0
                    for j in 0..<k {
                        let e = DeterministicMath.exp(row[j] - m)
                        out[j] = e
                        sum += Double(e)
                    }
                    let inv = Float(1 / sum)
                    for j in 0..<k { out[j] *= inv }
                    precondition(labels[r] >= 0 && labels[r] < k, "label \(labels[r]) out of range 0..<\(k)")
                    loss += -(Double(row[labels[r]] - m) - DeterministicMath.log(sum))
                }
            }
        }
        return Float(loss / Double(b))
    }

    /// Predicted class (arg-max) per row of the last forward's probabilities.
    public var predictions: [Int] {
        let b = probabilities.shape[0], k = probabilities.shape[1]
        return (0..<b).map { r in
            var best = 0
            for j in 1..<k where probabilities.storage[r * k + j] > probabilities.storage[r * k + best] { best = j }
            return best
        }
    }

    /// The mean loss of `logits` `[B, K]` against `labels` and its gradient ∂loss/∂logits, in one call (a loss
    /// that combines several cross-entropies, such as CLIP's contrastive one).
    public static func lossAndGradient(logits: Tensor, labels: [Int]) -> (loss: Float, gradient: Tensor) {
        let ce = SoftmaxCrossEntropy()
        let loss = ce.forward(logits: logits, labels: labels)
        return (loss, ce.backward())
    }

    /// ∂(mean loss)/∂logits = (softmax − onehot) / B.
    public func backward() -> Tensor {
        let b = probabilities.shape[0], k = probabilities.shape[1]
        var d = probabilities
        let inv = 1 / Float(b)
        d.withUnsafeMutableBufferPointer { p in
            for r in 0..<b {
                p[r &* k &+ labels[r]] -= 1
                for j in 0..<k { p[r &* k &+ j] *= inv }
            }
        }
        return d
    }
}
