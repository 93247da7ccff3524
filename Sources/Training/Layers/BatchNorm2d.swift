import Foundation

/// Batch normalisation over `[C, B, H, W]` (channel-major: each channel's B·H·W values are contiguous).
///
/// Training: normalises with the batch mean and biased variance, and updates the running statistics as PyTorch
/// does (momentum 0.1; the running variance takes the unbiased batch variance). Evaluation: uses the running
/// statistics. Parameters `<name>.weight` (γ = 1) and `<name>.bias` (β = 0); buffers `<name>.running_mean` (0) and
/// `<name>.running_var` (1). Backward recomputes x̂ from the cached input (no extra activation memory):
/// dx = γ·σ⁻¹/M · (M·dy − Σdy − x̂·Σ(dy·x̂)). Sums are accumulated in Double (see `ChannelReduction`). O(C·M) with
/// M = B·H·W. `forward(_:adding:relu:training:)` fuses a residual add and a ReLU into the same sweep, forward and
/// backward.
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
    /// The fused parts of the last training forward (see `forward(_:adding:relu:training:)`) and its output, which
    /// the ReLU's mask reads in backward.
    private var fusedReLU = false, fusedResidual = false
    private var output = Tensor(shape: [0])

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
        forward(x, adding: nil, relu: false, training: training)
    }

    /// The fused pass `y = relu(BN(x) + residual)` (each part optional) in one sweep over the data: the end of a
    /// ResNet branch (`BN → ReLU`, and `BN → + shortcut → ReLU`). Element by element it performs the operations of
    /// the unfused layers in their order — `max(BN(x), 0)`, or `max(0, BN(x) + residual)` — so the bits equal the
    /// composition's. Caches the output for the ReLU's mask (training).
    public func forward(_ x: Tensor, adding residual: Tensor?, relu: Bool, training: Bool) -> Tensor {
        precondition(
            x.rank == 4 && x.shape[0] == channels, "BatchNorm2d expects [\(channels), B, H, W], got \(x.shape)")
        precondition(
            residual.map { $0.shape == x.shape } ?? true,
            "BatchNorm2d: residual \(residual?.shape ?? []) does not match the input \(x.shape)")
        let m = x.count / channels
        let gamma = store.value(weight), beta = store.value(bias)
        let rm = store.buffer(runningMean), rv = store.buffer(runningVar)
        if training {
            input = x
            mean = [Float](repeating: 0, count: channels)
            invStd = [Float](repeating: 0, count: channels)
            fusedReLU = relu
            fusedResidual = residual != nil
        }
        let eps = epsilon, mom = momentum
        let reduction = ChannelReduction(BLAS.mode)
        // an empty tensor's buffer may have a base address
        let r = residual ?? Tensor(shape: [0]), hasResidual = residual != nil
        let y = x.withUnsafeBufferPointer { xb in
            r.withUnsafeBufferPointer { rb in
                Tensor(shape: x.shape) { yb in
                    mean.withUnsafeMutableBufferPointer { meanB in
                        invStd.withUnsafeMutableBufferPointer { invB in
                            Compute.parallelFor(channels, costPerItem: 3 * m) { range in
                                // Deterministic mode: the channels' sums first, four at a time; fast mode: each
                                // channel's just before its sweep, while it is in cache.
                                let statistics =
                                    training && !reduction.vectorised
                                    ? reduction.meansAndSquaredDeviations(xb.baseAddress!, range, m) : []
                                for c in range {
                                    let src = xb.baseAddress! + c &* m
                                    let dst = yb.baseAddress! + c &* m
                                    var mu: Float, inv: Float
                                    if training {
                                        let (meanD, sq) =
                                            statistics.isEmpty
                                            ? reduction.meanAndSquaredDeviations(src, m)
                                            : statistics[c &- range.lowerBound]
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
                                    if hasResidual, let rp = rb.baseAddress.map({ $0 + c &* m }) {
                                        if relu {
                                            for i in 0..<m { dst[i] = max(0, (src[i] * scale + shift) + rp[i]) }
                                        } else {
                                            for i in 0..<m { dst[i] = (src[i] * scale + shift) + rp[i] }
                                        }
                                    } else if relu {
                                        for i in 0..<m { dst[i] = max(src[i] * scale + shift, 0) }
                                    } else {
                                        for i in 0..<m { dst[i] = src[i] * scale + shift }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        if training { output = relu ? y : Tensor(shape: [0]) }
        return y
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        backwardWithResidual(dOut).input
    }

    /// ∂loss/∂x of the last training forward and, when that forward added a residual, ∂loss/∂residual (the output
    /// gradient through the fused ReLU's mask, which is written in the same sweep). Bit-identical to
    /// `ReLU.backward` followed by the unfused BatchNorm backward.
    public func backwardWithResidual(_ dOut: Tensor) -> (input: Tensor, residual: Tensor?) {
        precondition(
            dOut.shape == input.shape, "BatchNorm2d.backward: gradient \(dOut.shape) does not match the last forward")
        // Without a ReLU the residual's gradient is the output gradient itself.
        var residualGradient: Tensor? = fusedResidual && !fusedReLU ? dOut : nil
        let writesResidual = fusedResidual && fusedReLU
        let dx = Tensor(shape: input.shape) { dxb in
            if writesResidual {
                residualGradient = Tensor(shape: input.shape) { drb in
                    backwardSweep(dOut, dx: dxb.baseAddress!, residual: drb.baseAddress!)
                }
            } else {
                backwardSweep(dOut, dx: dxb.baseAddress!, residual: nil)
            }
        }
        return (dx, residualGradient)
    }

    /// Writes dx (and the masked output gradient into `residual`), accumulating γ's and β's gradients.
    private func backwardSweep(
        _ dOut: Tensor, dx dxBase: UnsafeMutablePointer<Float>, residual: UnsafeMutablePointer<Float>?
    ) {
        let m = input.count / channels
        let gamma = store.value(weight)
        let dGamma = store.grad(weight), dBeta = store.grad(bias)
        let trainGamma = store.isTrainable(weight), trainBeta = store.isTrainable(bias)
        let relu = fusedReLU, reduction = ChannelReduction(BLAS.mode)
        let mask = relu ? output : Tensor(shape: [0])
        input.withUnsafeBufferPointer { xb in
            dOut.withUnsafeBufferPointer { dyb in
                mask.withUnsafeBufferPointer { yb in
                    mean.withUnsafeBufferPointer { meanB in
                        invStd.withUnsafeBufferPointer { invB in
                            Compute.parallelFor(channels, costPerItem: 4 * m) { range in
                                // As in forward: deterministic mode's sums first, four channels at a time.
                                let sums =
                                    reduction.vectorised
                                    ? []
                                    : reduction.gradientSums(
                                        dyb.baseAddress!, xb.baseAddress!, mask: relu ? yb.baseAddress! : nil, range,
                                        means: meanB.baseAddress!, invStd: invB.baseAddress!, m)
                                for c in range {
                                    let x = xb.baseAddress! + c &* m
                                    let dy = dyb.baseAddress! + c &* m
                                    let dx = dxBase + c &* m
                                    let mu = meanB[c], inv = invB[c]
                                    let y = relu ? yb.baseAddress! + c &* m : nil
                                    if let y, let residual {
                                        let d = residual + c &* m
                                        for i in 0..<m {
                                            let g = dy[i]  // loaded unconditionally, so the loop vectorises
                                            d[i] = y[i] > 0 ? g : 0
                                        }
                                    }
                                    let (sumDy, sumDyXhat) =
                                        sums.isEmpty
                                        ? reduction.gradientSums(dy, x, mask: y, mu, inv, m)
                                        : sums[c &- range.lowerBound]
                                    if trainGamma { dGamma[c] += Float(sumDyXhat) }
                                    if trainBeta { dBeta[c] += Float(sumDy) }
                                    let k = gamma[c] * inv
                                    let meanDy = Float(sumDy / Double(m)), meanDyXhat = Float(sumDyXhat / Double(m))
                                    if let y {
                                        for i in 0..<m {
                                            let xhat = (x[i] - mu) * inv
                                            let d = dy[i]
                                            let g: Float = y[i] > 0 ? d : 0
                                            dx[i] = k * (g - meanDy - xhat * meanDyXhat)
                                        }
                                    } else {
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
}

/// The per-channel sums of BatchNorm. Deterministic mode keeps one sequential Double sum per quantity (the order
/// the committed weight digests were computed in); fast mode sums eight lanes at a time in blocks of 512 floats
/// (each block's Float lanes added into a Double total), which is several times faster and rounds differently.
struct ChannelReduction {
    let vectorised: Bool

    init(_ mode: ComputeMode) { vectorised = mode == .fast }

    /// (mean, Σ(x − mean)²) of `x[0..<m]`, in Double.
    @inline(__always)
    func meanAndSquaredDeviations(_ x: UnsafePointer<Float>, _ m: Int) -> (Double, Double) {
        if !vectorised {
            var sum = 0.0
            for i in 0..<m { sum += Double(x[i]) }
            let meanD = sum / Double(m)
            var sq = 0.0
            for i in 0..<m {
                let d = Double(x[i]) - meanD
                sq += d * d
            }
            return (meanD, sq)
        }
        let meanD =
            Self.blockedSum(m) { lane, i in
                lane + Self.load(x, i)
            } scalar: { i in
                x[i]
            } / Double(m)
        let mu = SIMD8<Float>(repeating: Float(meanD))
        let sq = Self.blockedSum(m) { lane, i in
            let d = Self.load(x, i) - mu
            return lane + d * d
        } scalar: { i in
            let d = x[i] - mu[0]
            return d * d
        }
        // The Float mean's own rounding shifts Σ(x − μ)² by m·δ² (δ = μ − mean): negligible, but removed.
        let delta = Double(Float(meanD)) - meanD
        return (meanD, max(0, sq - Double(m) * delta * delta))
    }

    /// (Σg, Σg·x̂) with g = dy, or dy where `mask` > 0 (a fused ReLU), and x̂ = (x − μ)·inv.
    @inline(__always)
    func gradientSums(
        _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, mask y: UnsafePointer<Float>?,
        _ mu: Float, _ inv: Float, _ m: Int
    ) -> (Double, Double) {
        if !vectorised {
            var sumDy = 0.0, sumDyXhat = 0.0
            if let y {
                for i in 0..<m {
                    let g = Double(y[i] > 0 ? dy[i] : 0)
                    sumDy += g
                    sumDyXhat += g * Double((x[i] - mu) * inv)
                }
            } else {
                for i in 0..<m {
                    let g = Double(dy[i])
                    sumDy += g
                    sumDyXhat += g * Double((x[i] - mu) * inv)
                }
            }
            return (sumDy, sumDyXhat)
        }
        let zero = SIMD8<Float>(repeating: 0), muV = SIMD8<Float>(repeating: mu)
        @inline(__always) func g(_ i: Int) -> SIMD8<Float> {
            let d = load(dy, i)
            guard let y else { return d }
            return d.replacing(with: zero, where: load(y, i) .<= zero)
        }
        let sumDy = Self.blockedSum(m) { lane, i in
            lane + g(i)
        } scalar: { i in
            y.map { $0[i] > 0 ? dy[i] : 0 } ?? dy[i]
        }
        // Σg·(x − μ) in lanes, scaled by inv once.
        let sumDyCentred = Self.blockedSum(m) { lane, i in
            lane + g(i) * (Self.load(x, i) - muV)
        } scalar: { i in
            (y.map { $0[i] > 0 ? dy[i] : 0 } ?? dy[i]) * (x[i] - mu)
        }
        return (sumDy, sumDyCentred * Double(inv))
    }

    /// `meanAndSquaredDeviations` of channels `range` (channel c at `x + c·m`), in order. Deterministic mode runs
    /// four channels' sequential chains side by side in the lanes of one vector: each lane performs its channel's
    /// operations in the order it has alone, so the bits are the same, and the four chains overlap in time.
    func meansAndSquaredDeviations(_ x: UnsafePointer<Float>, _ range: Range<Int>, _ m: Int) -> [(Double, Double)] {
        var out: [(Double, Double)] = []
        out.reserveCapacity(range.count)
        var c = range.lowerBound
        while !vectorised && c &+ 4 <= range.upperBound {
            let x0 = x + c &* m, x1 = x0 + m, x2 = x1 + m, x3 = x2 + m
            @inline(__always) func lanes(_ i: Int) -> SIMD4<Double> {
                SIMD4(Double(x0[i]), Double(x1[i]), Double(x2[i]), Double(x3[i]))
            }
            var sum = SIMD4<Double>()
            for i in 0..<m { sum += lanes(i) }
            let mean = sum / Double(m)
            var sq = SIMD4<Double>()
            for i in 0..<m {
                let d = lanes(i) - mean
                sq += d * d
            }
            for j in 0..<4 { out.append((mean[j], sq[j])) }
            c &+= 4
        }
        while c < range.upperBound {
            out.append(meanAndSquaredDeviations(x + c &* m, m))
            c &+= 1
        }
        return out
    }

    /// `gradientSums` of channels `range` (channel c's values at `+ c·m`, its mean and inverse deviation at
    /// `means[c]`, `invStd[c]`), in order; deterministic mode runs four channels' chains in the lanes of one vector,
    /// each with its own channel's operations in order (the same bits as alone).
    func gradientSums(
        _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, mask y: UnsafePointer<Float>?, _ range: Range<Int>,
        means: UnsafePointer<Float>, invStd: UnsafePointer<Float>, _ m: Int
    ) -> [(Double, Double)] {
        var out: [(Double, Double)] = []
        out.reserveCapacity(range.count)
        var c = range.lowerBound
        while !vectorised && c &+ 4 <= range.upperBound {
            let base = c &* m
            @inline(__always) func lanes(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD4<Float> {
                SIMD4(p[base &+ i], p[base &+ m &+ i], p[base &+ 2 &* m &+ i], p[base &+ 3 &* m &+ i])
            }
            let mu = SIMD4(means[c], means[c &+ 1], means[c &+ 2], means[c &+ 3])
            let inv = SIMD4(invStd[c], invStd[c &+ 1], invStd[c &+ 2], invStd[c &+ 3])
            var sumDy = SIMD4<Double>(), sumDyXhat = SIMD4<Double>()
            for i in 0..<m {
                var g = lanes(dy, i)
                if let y { g.replace(with: 0, where: .!(lanes(y, i) .> 0)) }
                let gd = SIMD4<Double>(g)
                sumDy += gd
                sumDyXhat += gd * SIMD4<Double>((lanes(x, i) - mu) * inv)
            }
            for j in 0..<4 { out.append((sumDy[j], sumDyXhat[j])) }
            c &+= 4
        }
        while c < range.upperBound {
            out.append(
                gradientSums(dy + c &* m, x + c &* m, mask: y.map { $0 + c &* m }, means[c], invStd[c], m))
            c &+= 1
        }
        return out
    }

    @inline(__always)
    private func load(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD8<Float> { Self.load(p, i) }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD8<Float> {
        UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// Σ over i < m of the values `lane` accumulates eight at a time (`scalar(i)` for the tail), by blocks of 512
    /// whose Float sums are added in Double.
    @inline(__always)
    static func blockedSum(_ m: Int, _ lane: (SIMD8<Float>, Int) -> SIMD8<Float>, scalar: (Int) -> Float) -> Double {
        var total = 0.0
        var i = 0
        let vectorEnd = m & ~7
        while i < vectorEnd {
            let end = min(vectorEnd, i &+ 512)
            var acc = SIMD8<Float>(repeating: 0)
            while i < end {
                acc = lane(acc, i)
                i &+= 8
            }
            total += Double(acc.sum())
        }
        var tail: Float = 0
        while i < m {
            tail += scalar(i)
            i &+= 1
        }
        return total + Double(tail)
    }
}
