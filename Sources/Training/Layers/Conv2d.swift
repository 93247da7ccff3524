/// 2-D convolution in the channel-major layout: input `[Cin, B, H, W]`, output `[Cout, B, Ho, Wo]`, weight
/// `[Cout, Cin, kh, kw]` (PyTorch layout), optional bias `[Cout]`.
///
/// Forward: im2col of the whole batch into `cols[Cin·kh·kw, B·Ho·Wo]` (in the shared `Workspace`), then ONE GEMM
/// `W · cols`, whose result already is `[Cout, B, Ho, Wo]`. A 1×1 stride-1 unpadded convolution skips im2col (the
/// input is its own column matrix). Backward recomputes the columns from the cached input (memory stays O(input)),
/// accumulates `dW += dY · colsᵀ` (one GEMM), then `dCols = Wᵀ · dY` (one GEMM, into the same scratch) and col2im
/// scatters it into dX. Cost O(Cout·Cin·kh·kw·B·Ho·Wo) per GEMM.
///
/// In fast mode every 3×3 stride-1 pad-1 convolution (whatever its channel counts and size) runs its forward, its input gradient and its weight gradient by Winograd F(2×2, 3×3) instead (`Winograd`: 4/9 of the multiplies, results
/// equal to float rounding). Deterministic mode always takes im2col, so its bits never change.
public final class Conv2d: Layer {
    public let inChannels: Int, outChannels: Int
    public let kernel: Int, stride: Int, padding: Int
    public let weight: ParameterRef
    public let bias: ParameterRef?
    private let store: ParameterStore
    private let workspace: Workspace
    private let needsInputGradient: Bool
    private var input = Tensor(shape: [0])
    /// Winograd's transformed filters (`Winograd.transformFilters` of the weights) from the last training forward in
    /// fast mode, which its input gradient reuses: the weights do not change between a forward and its backward.
    private var transformedFilters: [Float] = []

    /// Registers `<name>.weight` (and `<name>.bias`), initialised Kaiming-normal with fan-out (torchvision's
    /// ResNet convention); biases start at zero.
    public init(
        _ store: ParameterStore, name: String, inChannels: Int, outChannels: Int, kernel: Int,
        stride: Int = 1, padding: Int = 0, bias: Bool = false, workspace: Workspace,
        needsInputGradient: Bool = true, generator: inout SeededGenerator
    ) {
        self.store = store
        self.workspace = workspace
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.needsInputGradient = needsInputGradient
        weight = store.parameter("\(name).weight", shape: [outChannels, inChannels, kernel, kernel])
        self.bias = bias ? store.parameter("\(name).bias", shape: [outChannels]) : nil
        Initialisation.kaimingNormalFanOut(store, weight, using: &generator)
    }

    /// Output spatial size for an input extent.
    public func outputSize(_ n: Int) -> Int { (n + 2 * padding - kernel) / stride + 1 }

    private var isPointwise: Bool { kernel == 1 && stride == 1 && padding == 0 }

    /// Whether the passes run by Winograd now: fast mode, 3×3 stride 1 pad 1, unless `PAIRDX_WINOGRAD=off`.
    var usesWinograd: Bool {
        BLAS.mode == .fast && Winograd.enabled && Winograd.applies(kernel: kernel, stride: stride, padding: padding)
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.rank == 4 && x.shape[0] == inChannels, "Conv2d expects [\(inChannels), B, H, W], got \(x.shape)")
        let b = x.shape[1], h = x.shape[2], w = x.shape[3]
        let ho = outputSize(h), wo = outputSize(w)
        let n = b * ho * wo, k = inChannels * kernel * kernel
        if training { input = x }
        let wp = store.value(weight)
        let biasPointer = bias.map { store.value($0) }
        let winograd = usesWinograd
        if winograd && training {
            let count = Winograd.points * outChannels * inChannels
            if transformedFilters.count != count { transformedFilters = [Float](repeating: 0, count: count) }
            transformedFilters.withUnsafeMutableBufferPointer {
                Winograd.transformFilters(wp, outChannels: outChannels, inChannels: inChannels, into: $0.baseAddress!)
            }
        } else if training && !transformedFilters.isEmpty {
            transformedFilters = []  // this forward's backward runs without Winograd
        }
        let filters = winograd && training ? transformedFilters : []
        return x.withUnsafeBufferPointer { xp in
            Tensor(shape: [outChannels, b, ho, wo]) { yp in
                if winograd {
                    filters.withUnsafeBufferPointer { up in
                        Winograd.convolve(
                            xp.baseAddress!, inChannels: inChannels, outChannels: outChannels,
                            tiling: Winograd.Tiling(batch: b, height: h, width: w), weights: wp, rotated: false,
                            workspace: workspace, into: yp.baseAddress!,
                            transformedFilters: up.isEmpty ? nil : up.baseAddress)
                    }
                } else {
                    let cols: UnsafePointer<Float>
                    if isPointwise {
                        cols = xp.baseAddress!
                    } else {
                        let scratch = workspace.floats(k * n)
                        im2col(xp.baseAddress!, batch: b, height: h, width: w, into: scratch)
                        cols = UnsafePointer(scratch)
                    }
                    BLAS.gemm(m: outChannels, n: n, k: k, a: wp, b: cols, c: yp.baseAddress!)
                }
                if let bp = biasPointer {
                    for o in 0..<outChannels {
                        let row = yp.baseAddress! + o &* n
                        let v = bp[o]
                        for i in 0..<n { row[i] += v }
                    }
                }
            }
        }
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        backward(dOut, adding: nil)
    }

    /// ∂loss/∂input plus `residual` (the gradient another branch sends to the same input, e.g. a ResNet shortcut),
    /// added per channel inside col2im while that channel is in cache: `dX = (col2im(Wᵀ·dY)) + residual`, the
    /// operations of a separate add, so the same bits.
    public func backward(_ dOut: Tensor, adding residual: Tensor?) -> Tensor {
        let b = input.shape[1], h = input.shape[2], w = input.shape[3]
        let ho = outputSize(h), wo = outputSize(w)
        let n = b * ho * wo, k = inChannels * kernel * kernel
        precondition(
            dOut.shape == [outChannels, b, ho, wo],
            "Conv2d.backward: gradient \(dOut.shape) does not match the last forward")
        return dOut.withUnsafeBufferPointer { dyb in
            let dy = dyb.baseAddress!
            if let bias, store.isTrainable(bias) {
                let db = store.grad(bias)
                for o in 0..<outChannels {
                    let row = dy + o &* n
                    var s: Float = 0
                    for i in 0..<n { s += row[i] }
                    db[o] += s
                }
            }
            return input.withUnsafeBufferPointer { xb in
                let winograd = usesWinograd
                let tiling = Winograd.Tiling(batch: b, height: h, width: w)
                let scratch: UnsafeMutablePointer<Float>? = isPointwise || winograd ? nil : workspace.floats(k * n)
                if store.isTrainable(weight), winograd {
                    Winograd.accumulateWeightGradient(
                        input: xb.baseAddress!, outputGradient: dy, inChannels: inChannels, outChannels: outChannels,
                        tiling: tiling, workspace: workspace, into: store.grad(weight))
                } else if store.isTrainable(weight) {
                    let cols: UnsafePointer<Float>
                    if let scratch {
                        im2col(xb.baseAddress!, batch: b, height: h, width: w, into: scratch)
                        cols = UnsafePointer(scratch)
                    } else {
                        cols = xb.baseAddress!
                    }
                    // dW[Cout, K] += dY[Cout, N] · colsᵀ[N, K]
                    BLAS.gemm(transB: true, m: outChannels, n: k, k: n, a: dy, b: cols, beta: 1, c: store.grad(weight))
                }
                guard needsInputGradient else { return Tensor(shape: [0]) }
                precondition(
                    residual.map { $0.shape == input.shape } ?? true,
                    "Conv2d.backward: residual \(residual?.shape ?? []) does not match the input \(input.shape)")
                let r = residual ?? Tensor(shape: [0])
                return r.withUnsafeBufferPointer { rb in
                    Tensor(shape: input.shape) { dxb in
                        let dx = dxb.baseAddress!
                        if winograd {
                            // dX = dY ⋆ rot180(W) with the channel axes swapped (+ residual in the output transform),
                            // from the forward's transformed filters.
                            transformedFilters.withUnsafeBufferPointer { up in
                                Winograd.convolve(
                                    dy, inChannels: outChannels, outChannels: inChannels,
                                    tiling: tiling, weights: store.value(weight), rotated: true, workspace: workspace,
                                    into: dx, adding: residual == nil ? nil : rb.baseAddress,
                                    transformedFilters: up.isEmpty ? nil : up.baseAddress)
                            }
                        } else if let scratch {
                            // dCols[K, N] = Wᵀ[K, Cout] · dY[Cout, N], then scatter-add into dX.
                            BLAS.gemm(
                                transA: true, m: k, n: n, k: outChannels, a: store.value(weight), b: dy, c: scratch)
                            col2im(
                                scratch, batch: b, height: h, width: w, into: dx,
                                adding: residual == nil ? nil : rb.baseAddress)
                        } else {
                            BLAS.gemm(transA: true, m: k, n: n, k: outChannels, a: store.value(weight), b: dy, c: dx)
                            if residual != nil, let rp = rb.baseAddress {
                                Compute.parallelFor(dxb.count) { range in for i in range { dx[i] = dx[i] + rp[i] } }
                            }
                        }
                    }
                }
            }
        }
    }

    // MARK: kernels

    /// The output columns ox (of `wo`) whose input column ix = ox·s − p + j, for kernel column j, lies inside [0, w):
    /// lo..<hi, none when lo ≥ hi. The one rule im2col and col2im share. O(1).
    @inline(__always)
    static func insideColumns(_ j: Int, stride s: Int, padding p: Int, width w: Int, outputWidth wo: Int) -> (
        lo: Int, hi: Int
    ) {
        (j >= p ? 0 : (p - j + s - 1) / s, min(wo, (w - 1 + p - j) / s + 1))
    }

    /// cols[(c·kh + i)·kw + j][(bi·Ho + oy)·Wo + ox] = x[c][bi][oy·s − p + i][ox·s − p + j] (0 outside).
    /// Rows are independent, so they are split over the compute threads. O(K·N).
    func im2col(
        _ x: UnsafePointer<Float>, batch: Int, height h: Int, width w: Int, into cols: UnsafeMutablePointer<Float>
    ) {
        let ho = outputSize(h), wo = outputSize(w)
        let n = batch * ho * wo
        let kk = kernel, s = stride, p = padding
        let plane = h * w, channelStride = batch * plane
        Compute.parallelFor(inChannels * kk * kk, costPerItem: n) { rows in
            for row in rows {
                let c = row / (kk * kk), i = (row / kk) % kk, j = row % kk
                var out = cols + row &* n
                let (oxLo, oxHi) = Self.insideColumns(j, stride: s, padding: p, width: w, outputWidth: wo)
                for bi in 0..<batch {
                    let src = x + (c &* channelStride &+ bi &* plane)
                    for oy in 0..<ho {
                        let iy = oy &* s &- p &+ i
                        if iy < 0 || iy >= h || oxLo >= oxHi {
                            out.update(repeating: 0, count: wo)
                        } else {
                            let line = src + iy &* w
                            if oxLo > 0 { out.update(repeating: 0, count: oxLo) }
                            if s == 1 {
                                (out + oxLo).update(from: line + (oxLo &- p &+ j), count: oxHi &- oxLo)
                            } else {
                                var ix = oxLo &* s &- p &+ j
                                for ox in oxLo..<oxHi {
                                    out[ox] = line[ix]
                                    ix &+= s
                                }
                            }
                            if oxHi < wo { (out + oxHi).update(repeating: 0, count: wo &- oxHi) }
                        }
                        out += wo
                    }
                }
            }
        }
    }

    /// The adjoint of `im2col`: dx[c][bi][iy][ix] = Σ over the column entries that read it (then `+ residual`, when
    /// given, once the channel's sum is complete). Each input channel is written by one thread only (its kernel rows
    /// are processed together, in a fixed order). O(K·N).
    func col2im(
        _ cols: UnsafePointer<Float>, batch: Int, height h: Int, width w: Int, into dx: UnsafeMutablePointer<Float>,
        adding residual: UnsafePointer<Float>? = nil
    ) {
        let ho = outputSize(h), wo = outputSize(w)
        let n = batch * ho * wo
        let kk = kernel, s = stride, p = padding
        let plane = h * w, channelStride = batch * plane
        Compute.parallelFor(inChannels, costPerItem: kk * kk * n) { channels in
            for c in channels {
                (dx + c &* channelStride).update(repeating: 0, count: channelStride)
                for i in 0..<kk {
                    for j in 0..<kk {
                        var src = cols + ((c &* kk &+ i) &* kk &+ j) &* n
                        let (oxLo, oxHi) = Self.insideColumns(j, stride: s, padding: p, width: w, outputWidth: wo)
                        for bi in 0..<batch {
                            let dst = dx + (c &* channelStride &+ bi &* plane)
                            for oy in 0..<ho {
                                let iy = oy &* s &- p &+ i
                                if iy >= 0 && iy < h && oxLo < oxHi {
                                    let line = dst + iy &* w
                                    var ix = oxLo &* s &- p &+ j
                                    for ox in oxLo..<oxHi {
                                        line[ix] += src[ox]
                                        ix &+= s
                                    }
                                }
                                src += wo
                            }
                        }
                    }
                }
                if let residual {
                    let d = dx + c &* channelStride, r = residual + c &* channelStride
                    for i in 0..<channelStride { d[i] = d[i] + r[i] }
                }
            }
        }
    }
}
