import Foundation

/// Batch normalisation over `[C, B, H, W]` (channel-major: each channel's B·H·W values are contiguous).
///
/// Training: normalises with the batch mean and biased variance, and updates the running statistics as PyTorch
/// does (momentum 0.1; the running variance takes the unbiased batch variance). Evaluation: uses the running
/// statistics. Parameters `<name>.weight` (γ = 1) and `<name>.bias` (β = 0); buffers `<name>.running_mean` (0) and
/// `<name>.running_var` (1). Backward recomputes x̂ from the cached input (no extra activation memory):
/// dx = γ·σ⁻¹/M · (M·dy − Σdy − x̂·Σ(dy·x̂)). Sums are accumulated in Double. O(C·M) with M = B·H·W.
public final class BatchNorm2d: Layer {
    public let channels: Int
    public let epsilon: Float
    public let momentum: Float
    public let weight: ParameterRef, bias: ParameterRef
    public let runningMean: BufferRef, runningVar: BufferRef
    private let store: ParameterStore
    private var input = Tensor(shape: [0])
    private var mean: [Float] = []
    private var invStd: [Float] = []

    public init(_ store: ParameterStore, name: String, channels: Int, epsilon: Float = 1e-5, momentum: Float = 0.1) {
        self.store = store
        self.channels = channels
        self.epsilon = epsilon
        self.momentum = momentum
        weight = store.parameter("\(name).weight", shape: [channels])
        bias = store.parameter("\(name).bias", shape: [channels])
        store.value(weight).update(repeating: 1, count: channels)
        runningMean = store.buffer("\(name).running_mean", shape: [channels], initial: 0)
        runningVar = store.buffer("\(name).running_var", shape: [channels], initial: 1)
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.rank == 4 && x.shape[0] == channels, "BatchNorm2d expects [\(channels), B, H, W], got \(x.shape)")
        let m = x.count / channels
        let gamma = store.value(weight), beta = store.value(bias)
        let rm = store.buffer(runningMean), rv = store.buffer(runningVar)
        if training {
            input = x
            mean = [Float](repeating: 0, count: channels)
            invStd = [Float](repeating: 0, count: channels)
        }
        let eps = epsilon, mom = momentum
        return x.withUnsafeBufferPointer { xb in
            Tensor(shape: x.shape) { yb in
                mean.withUnsafeMutableBufferPointer { meanB in
                    invStd.withUnsafeMutableBufferPointer { invB in
                        Compute.parallelFor(channels, costPerItem: 3 * m) { range in
                            for c in range {
                                let src = xb.baseAddress! + c &* m
                                let dst = yb.baseAddress! + c &* m
                                var mu: Float, inv: Float
                                if training {
                                    var sum = 0.0
                                    for i in 0..<m { sum += Double(src[i]) }
                                    let meanD = sum / Double(m)
                                    var sq = 0.0
                                    for i in 0..<m {
                                        let d = Double(src[i]) - meanD
                                        sq += d * d
                                    }
                                    let variance = sq / Double(m)
                                    mu = Float(meanD)
                                    inv = Float(1 / (variance + Double(eps)).squareRoot())
                                    meanB[c] = mu
                                    invB[c] = inv
                                    let unbiased = m > 1 ? sq / Double(m - 1) : variance
                                    rm[c] = (1 - mom) * rm[c] + mom * mu
                                    rv[c] = (1 - mom) * rv[c] + mom * Float(unbiased)
                                } else {
                                    mu = rm[c]
                                    inv = 1 / (rv[c] + eps).squareRoot()
                                }
                                let scale = gamma[c] * inv
                                let shift = beta[c] - mu * scale
                                for i in 0..<m { dst[i] = src[i] * scale + shift }
                            }
                        }
                    }
                }
            }
        }
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        precondition(dOut.shape == input.shape, "BatchNorm2d.backward: gradient \(dOut.shape) does not match the last forward")
        let m = input.count / channels
        let gamma = store.value(weight)
        let dGamma = store.grad(weight), dBeta = store.grad(bias)
        let trainGamma = store.isTrainable(weight), trainBeta = store.isTrainable(bias)
        return input.withUnsafeBufferPointer { xb in
            dOut.withUnsafeBufferPointer { dyb in
                mean.withUnsafeBufferPointer { meanB in
                    invStd.withUnsafeBufferPointer { invB in
                        Tensor(shape: input.shape) { dxb in
                            Compute.parallelFor(channels, costPerItem: 4 * m) { range in
                                for c in range {
                                    let x = xb.baseAddress! + c &* m
                                    let dy = dyb.baseAddress! + c &* m
                                    let dx = dxb.baseAddress! + c &* m
                                    let mu = meanB[c], inv = invB[c]
                                    var sumDy = 0.0, sumDyXhat = 0.0
                                    for i in 0..<m {
                                        let g = Double(dy[i])
                                        sumDy += g
                                        sumDyXhat += g * Double((x[i] - mu) * inv)
                                    }
                                    if trainGamma { dGamma[c] += Float(sumDyXhat) }
                                    if trainBeta { dBeta[c] += Float(sumDy) }
                                    let k = gamma[c] * inv
                                    let meanDy = Float(sumDy / Double(m)), meanDyXhat = Float(sumDyXhat / Double(m))
                                    for i in 0..<m {
                                        let xhat = (x[i] - mu) * inv
                                        dx[i] = k * (dy[i] - meanDy - xhat * meanDyXhat)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
