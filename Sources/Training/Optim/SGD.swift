/// Stochastic gradient descent with momentum and (coupled, L2) weight decay, exactly as `torch.optim.SGD`
/// (dampening 0): d = g + λ·w; buf = d on the first step, else buf = μ·buf + d; w −= lr·buf
/// (Nesterov: w −= lr·(d + μ·buf)). The momentum buffer is one block parallel to the store. O(parameterCount).
public final class SGD: Optimizer {
    public let store: ParameterStore
    public let momentum: Float
    public let weightDecay: Float
    public let nesterov: Bool
    private var velocity: [Float]
    private var started = false

    public init(_ store: ParameterStore, momentum: Float = 0.9, weightDecay: Float = 0, nesterov: Bool = false) {
        self.store = store
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        velocity = [Float](repeating: 0, count: store.parameterCount)
    }

    public func step(learningRate lr: Float) {
        let w = store.allValues.baseAddress!, g = store.allGrads.baseAddress!
        let mu = momentum, first = !started
        velocity.withUnsafeMutableBufferPointer { vb in
            let v = vb.baseAddress!
            for entry in store.parameters where entry.trainable {
                let lambda = entry.decay ? weightDecay : 0
                for i in entry.offset..<(entry.offset + entry.count) {
                    let d = g[i] + lambda * w[i]
                    if mu == 0 {
                        w[i] -= lr * d
                        continue
                    }
                    let buf = first ? d : mu * v[i] + d
                    v[i] = buf
                    w[i] -= lr * (nesterov ? d + mu * buf : buf)
                }
            }
        }
        started = true
    }
}
