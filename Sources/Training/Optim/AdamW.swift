import Foundation

/// Adam with decoupled weight decay, exactly as `torch.optim.AdamW` (amsgrad off):
/// w ← w·(1 − lr·λ); m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²;
/// w ← w − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε). Moments are blocks parallel to the store. O(parameterCount).
public final class AdamW: Optimizer {
    public let store: ParameterStore
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public let weightDecay: Float
    private var m: [Float]
    private var v: [Float]
    private var t = 0

    public init(
        _ store: ParameterStore, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
        weightDecay: Float = 0.01
    ) {
        self.store = store
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        m = [Float](repeating: 0, count: store.parameterCount)
        v = [Float](repeating: 0, count: store.parameterCount)
    }

    public func step(learningRate lr: Float) {
        t += 1
        let w = store.allValues.baseAddress!, g = store.allGrads.baseAddress!
        let b1 = beta1, b2 = beta2, eps = epsilon
        let bc1 = 1 - Float(DeterministicMath.pow(Double(b1), t))
        let bc2Sqrt = Float((1 - DeterministicMath.pow(Double(b2), t)).squareRoot())
        let stepSize = lr / bc1
        m.withUnsafeMutableBufferPointer { mb in
            v.withUnsafeMutableBufferPointer { vb in
                let mp = mb.baseAddress!, vp = vb.baseAddress!
                for entry in store.parameters where entry.trainable {
                    let shrink = 1 - lr * (entry.decay ? weightDecay : 0), base = entry.offset
                    // Element-wise, so any split over the compute threads gives the same bits.
                    Compute.parallelFor(entry.count, costPerItem: 16) { range in
                        for i in (base &+ range.lowerBound)..<(base &+ range.upperBound) {
                            let gi = g[i]
                            w[i] *= shrink
                            mp[i] = b1 * mp[i] + (1 - b1) * gi
                            vp[i] = b2 * vp[i] + (1 - b2) * gi * gi
                            w[i] -= stepSize * mp[i] / (vp[i].squareRoot() / bc2Sqrt + eps)
                        }
                    }
                }
            }
        }
    }
}
