/// Layer normalisation over the last dimension, as `torch.nn.LayerNorm(features, eps: 1e-5)`:
/// y = (x − mean) / √(var + ε) · weight + bias, with the biased variance. Parameters `<name>.weight` (ones) and
/// `<name>.bias` (zeros). Input `[..., features]`; caches x̂ and 1/σ per row for `backward`. O(count).
public final class LayerNorm: Layer {
    public let features: Int
    public let epsilon: Float
    public let weight: ParameterRef
    public let bias: ParameterRef
    private let store: ParameterStore
    private var normalised = Tensor(shape: [0])
    private var inverseStd: [Float] = []

    public init(_ store: ParameterStore, name: String, features: Int, epsilon: Float = 1e-5) {
        self.store = store
        self.features = features
        self.epsilon = epsilon
        weight = store.parameter("\(name).weight", shape: [features])
        bias = store.parameter("\(name).bias", shape: [features])
        store.value(weight).update(repeating: 1, count: features)
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.shape.last == features, "LayerNorm expects [..., \(features)], got \(x.shape)")
        let d = features, rows = x.count / d
        let g = store.value(weight), b = store.value(bias)
        // x̂ and 1/σ are kept only for a training forward (backward needs them); inference writes y alone.
        var xhat = Tensor(shape: training ? x.shape : [0])
        var rstd = [Float](repeating: 0, count: training ? rows : 0)
        let eps = epsilon
        let y = x.withUnsafeBufferPointer { xp in
            xhat.withUnsafeMutableBufferPointer { hp in
                rstd.withUnsafeMutableBufferPointer { rp in
                    Tensor(shape: x.shape) { yp in
                        let x0 = xp.baseAddress!, y0 = yp.baseAddress!
                        let h0 = hp.baseAddress, r0 = rp.baseAddress, keep = training
                        // Rows are independent: split them over the compute threads.
                        Compute.parallelFor(rows, costPerItem: 4 * d) { range in
                            for r in range {
                                let xr = x0 + r &* d, yr = y0 + r &* d
                                let (mean, inv) = Self.statistics(xr, count: d, epsilon: eps)
                                if keep, let h0, let r0 {
                                    let hr = h0 + r &* d
                                    r0[r] = inv
                                    for j in 0..<d {
                                        let h = (xr[j] - mean) * inv
                                        hr[j] = h
                                        yr[j] = h * g[j] + b[j]
                                    }
                                } else {
                                    Self.affine(xr, yr, count: d, mean: mean, inverseStd: inv, gain: g, bias: b)
                                }
                            }
                        }
                    }
                }
            }
        }
        if training {
            normalised = xhat
            inverseStd = rstd
        }
        return y
    }

    /// The mean and 1/√(biased variance + ε) of one row, summed eight lanes at a time (lane sums then the tail, in
    /// a fixed order, so every row of any batch split gets the same bits). O(count).
    @inline(__always)
    static func statistics(_ x: UnsafePointer<Float>, count d: Int, epsilon: Float) -> (mean: Float, inverseStd: Float)
    {
        let whole = d - d % 8
        var lanes = SIMD8<Float>(repeating: 0)
        var j = 0
        while j < whole { lanes += UnsafeRawPointer(x + j).loadUnaligned(as: SIMD8<Float>.self); j &+= 8 }
        var sum = lanes.sum()
        for k in whole..<d { sum += x[k] }
        let mean = sum / Float(d)
        lanes = SIMD8(repeating: 0)
        j = 0
        while j < whole {
            let c = UnsafeRawPointer(x + j).loadUnaligned(as: SIMD8<Float>.self) - mean
            lanes += c * c
            j &+= 8
        }
        var variance = lanes.sum()
        for k in whole..<d { let c = x[k] - mean; variance += c * c }
        return (mean, 1 / (variance / Float(d) + epsilon).squareRoot())
    }

    /// y = (x − mean)·inverseStd·gain + bias over one row, eight lanes at a time. O(count).
    @inline(__always)
    static func affine(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count d: Int, mean: Float, inverseStd: Float,
        gain: UnsafePointer<Float>, bias: UnsafePointer<Float>
    ) {
        let whole = d - d % 8
        var j = 0
        while j < whole {
            let v =
                (UnsafeRawPointer(x + j).loadUnaligned(as: SIMD8<Float>.self) - mean) * inverseStd
                * UnsafeRawPointer(gain + j).loadUnaligned(as: SIMD8<Float>.self)
                + UnsafeRawPointer(bias + j).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(y + j).storeBytes(of: v, as: SIMD8<Float>.self)
            j &+= 8
        }
        for k in whole..<d { y[k] = (x[k] - mean) * inverseStd * gain[k] + bias[k] }
    }

    /// dx = (1/σ)·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = dy·weight; dweight += Σ dy·x̂, dbias += Σ dy.
    public func backward(_ dOut: Tensor) -> Tensor {
        let d = features, rows = normalised.count / d
        precondition(
            dOut.count == normalised.count, "LayerNorm.backward: gradient \(dOut.shape) does not match the last forward"
        )
        let g = store.value(weight), dg = store.grad(weight), db = store.grad(bias)
        let trainable = store.isTrainable(weight)
        return dOut.withUnsafeBufferPointer { dyp in
            normalised.withUnsafeBufferPointer { hp in
                Tensor(shape: normalised.shape) { dxp in
                    for r in 0..<rows {
                        let dy = dyp.baseAddress! + r &* d, h = hp.baseAddress! + r &* d, dx = dxp.baseAddress! + r &* d
                        var sum: Float = 0, dot: Float = 0
                        for j in 0..<d {
                            let gh = dy[j] * g[j]
                            sum += gh
                            dot += gh * h[j]
                            if trainable {
                                dg[j] += dy[j] * h[j]
                                db[j] += dy[j]
                            }
                        }
                        let inv = inverseStd[r], mSum = sum / Float(d), mDot = dot / Float(d)
                        for j in 0..<d { dx[j] = inv * (dy[j] * g[j] - mSum - h[j] * mDot) }
                    }
                }
            }
        }
    }
}
