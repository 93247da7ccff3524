/// Multi-head attention, the one attention of the training core: self-attention (`forward(_:training:)`, a
/// `Layer`) in the CLIP, timm ViT and BERT towers, cross-attention (`forward(query:keys:values:training:)`) in
/// the fusion and text models. Input and output `[B, L, D]`.
///
/// Q = Xq·Wqᵀ + bq, K = Xk·Wkᵀ + bk, V = Xv·Wvᵀ + bv (one GEMM each over the whole batch); per (item, head)
/// P = softmax(Q_h·K_hᵀ/√d_h + mask), O_h = P·V_h (two GEMMs on strided views, written straight into the context);
/// Y = O·Woᵀ + bo (`output`, a `Linear`). Backward mirrors each step (four GEMMs per item and head) and accumulates
/// the parameter gradients. The (item, head) units run in parallel on `Compute.threads` threads, each with
/// single-threaded BLAS and writing only its own blocks, so the split over threads never changes a bit. Only a
/// training forward keeps the `[B, heads, Lq, Lk]` probabilities; inference uses one scratch per thread. Set `mask`
/// before `forward`; backward uses the state of the last training forward. O(B·(Lq + 2Lk)·D² + B·Lq·Lk·D).
public final class MultiHeadAttention: Layer {
    /// Parameter names under the layer's name, with the initialisation each source uses.
    public enum Names: Sendable {
        /// `torch.nn.MultiheadAttention` (open_clip, fusion, text): `in_proj_weight [3D, D]` (rows Q, K, V),
        /// `in_proj_bias [3D]`, `out_proj.{weight,bias}`; Xavier-uniform input projection, output U(±1/√D), zero biases.
        case pytorch
        /// timm's `Attention`: `qkv.{weight,bias}`, `proj.{weight,bias}` (the same tensors, the same initialisation).
        case timm
        /// Hugging Face BERT (`<layer>.attention`): `self.{query,key,value}.{weight,bias}`, `output.dense.{weight,bias}`,
        /// each initialised as a `Linear`.
        case bert
    }

    /// One of the three input projections: `width` rows of `weight` and `width` entries of `bias` from `part`·width
    /// on (part 0 = Q, 1 = K, 2 = V of a fused tensor; 0 for BERT's separate tensors).
    public struct Projection: Sendable, Equatable {
        public let weight: ParameterRef
        public let bias: ParameterRef
        public let part: Int
    }

    public let width: Int
    public let heads: Int
    public var headDim: Int { width / heads }
    public let query: Projection, key: Projection, value: Projection
    public let output: Linear
    public let softmax: SoftmaxKind
    public var mask = AttentionMask.none
    private let store: ParameterStore

    // State of the last training forward.
    private var inputs: [Tensor] = []
    private var layout = AttentionLayout(items: 0, queries: 0, keys: 0, width: 0, selfAttention: true)
    private var projected = Tensor(shape: [0])
    private var probabilities = Tensor(shape: [0])
    private var spans: [(span: Int, gather: Bool)] = []
    private var keyFlags: [Bool] = []

    public init(
        _ store: ParameterStore, name: String, width: Int, heads: Int, names: Names = .pytorch,
        softmax: SoftmaxKind = .vectorised, generator: inout SeededGenerator
    ) {
        precondition(heads > 0 && width % heads == 0, "width \(width) is not a multiple of \(heads) heads")
        self.store = store
        self.width = width
        self.heads = heads
        self.softmax = softmax
        switch names {
        case .pytorch, .timm:
            let (w, b, out) =
                names == .timm ? ("qkv.weight", "qkv.bias", "proj") : ("in_proj_weight", "in_proj_bias", "out_proj")
            let weight = store.parameter("\(name).\(w)", shape: [3 * width, width])
            let bias = store.parameter("\(name).\(b)", shape: [3 * width])
            Initialisation.uniform(
                store.value(weight), count: weight.count, bound: (6 / Float(4 * width)).squareRoot(), using: &generator)
            (query, key, value) = (
                Projection(weight: weight, bias: bias, part: 0), Projection(weight: weight, bias: bias, part: 1),
                Projection(weight: weight, bias: bias, part: 2)
            )
            output = Linear(
                store, name: "\(name).\(out)", inFeatures: width, outFeatures: width, zeroBias: true,
                generator: &generator)
        case .bert:
            let p = ["query", "key", "value"].map {
                let l = Linear(
                    store, name: "\(name).self.\($0)", inFeatures: width, outFeatures: width, generator: &generator)
                return Projection(weight: l.weight, bias: l.bias!, part: 0)
            }
            (query, key, value) = (p[0], p[1], p[2])
            output = Linear(
                store, name: "\(name).output.dense", inFeatures: width, outFeatures: width, generator: &generator)
        }
    }

    /// Attention weights of the last training forward, `[B, heads, Lq, Lk]` (exactly 0 at masked keys).
    public var attentionWeights: Tensor { probabilities }

    // MARK: forward and backward

    /// Self-attention over `x` `[B, T, D]`.
    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.rank == 3 && x.shape[2] == width, "attention expects [B, T, \(width)], got \(x.shape)")
        let layout = AttentionLayout(
            items: x.shape[0], queries: x.shape[1], keys: x.shape[1], width: width, selfAttention: true)
        return run([x], layout: layout, training: training)
    }

    /// Cross-attention from `query` `[B, Lq, D]` to `keys`/`values` `[B, Lk, D]`.
    public func forward(query: Tensor, keys: Tensor, values: Tensor, training: Bool) -> Tensor {
        precondition(
            query.rank == 3 && keys.rank == 3 && query.shape[2] == width && keys.shape == values.shape
                && keys.shape[2] == width && keys.shape[0] == query.shape[0],
            "attention expects query [B, Lq, \(width)] and keys/values [B, Lk, \(width)], "
                + "got \(query.shape), \(keys.shape), \(values.shape)")
        let layout = AttentionLayout(
            items: query.shape[0], queries: query.shape[1], keys: keys.shape[1], width: width, selfAttention: false)
        return run([query, keys, values], layout: layout, training: training)
    }

    /// ∂L/∂x of the last training self-attention forward.
    public func backward(_ dOut: Tensor) -> Tensor {
        precondition(layout.selfAttention, "backward(_:) follows a self-attention forward; use backwardCross")
        return gradients(dOut)[0]
    }

    /// ∂L/∂query, ∂L/∂keys and ∂L/∂values of the last training cross-attention forward (when keys and values are
    /// one tensor, add the last two).
    public func backwardCross(_ dOut: Tensor) -> (dQuery: Tensor, dKeys: Tensor, dValues: Tensor) {
        precondition(!layout.selfAttention, "backwardCross follows a cross-attention forward")
        let d = gradients(dOut)
        return (d[0], d[1], d[2])
    }

    private func run(_ inputs: [Tensor], layout l: AttentionLayout, training: Bool) -> Tensor {
        let b = l.items, lq = l.queries, lk = l.keys, hd = headDim, d = width
        let spans = mask.spans(items: b, keyCount: lk)
        var flags: [Bool] = []
        if case .allowed(let allowed) = mask.keys { flags = allowed }
        precondition(!mask.causal || lq == lk, "a causal mask needs as many queries as keys")
        let projected = Tensor(shape: [l.count]) { pp in
            for (part, projection) in [query, key, value].enumerated() {
                let input = inputs[l.selfAttention ? 0 : part], rows = b * (part == 0 ? lq : lk)
                input.withUnsafeBufferPointer {
                    project(
                        $0.baseAddress!, rows: rows, projection, into: pp.baseAddress! + l.offset(part), ld: l.ld(part))
                }
            }
        }
        let scale = 1 / Float(hd).squareRoot(), causal = mask.causal, softmax = self.softmax, heads = self.heads
        var kept = Tensor(shape: training ? [b, heads, lq, lk] : [0])
        let context = projected.withUnsafeBufferPointer { pp in
            flags.withUnsafeBufferPointer { fp in
                kept.withUnsafeMutableBufferPointer { kp in
                    Tensor(shape: [b, lq, d]) { cp in
                        let keeping = training ? kp.baseAddress! : nil
                        forEachUnit(items: b, cost: 2 &* lq &* lk &* hd) { units in
                            let scratch = UnsafeMutablePointer<Float>.allocate(
                                capacity: (keeping == nil ? lq &* lk : 0) &+ lk)
                            defer { scratch.deallocate() }
                            for unit in units {
                                let item = unit / heads, h = unit % heads, (span, gather) = spans[item]
                                let p = keeping.map { $0 + unit &* lq &* lk } ?? scratch
                                let c = cp.baseAddress! + item &* lq &* d + h &* hd
                                guard span > 0 else {
                                    p.update(repeating: 0, count: lq &* lk)
                                    for r in 0..<lq { (c + r &* d).update(repeating: 0, count: hd) }
                                    continue
                                }
                                let q = pp.baseAddress! + l.block(0, item: item, head: h, headDim: hd)
                                let k = pp.baseAddress! + l.block(1, item: item, head: h, headDim: hd)
                                let v = pp.baseAddress! + l.block(2, item: item, head: h, headDim: hd)
                                // S = scale·Q_h·K_hᵀ over the span; P = masked softmax(S) row by row; O_h = P·V_h.
                                BLAS.gemm(
                                    transB: true, m: lq, n: span, k: hd, alpha: scale, a: q, lda: l.ld(0), b: k,
                                    ldb: l.ld(1),
                                    c: p, ldc: lk)
                                let allowed = gather ? fp.baseAddress! + item &* lk : nil
                                for i in 0..<lq {
                                    softmax.maskedRow(
                                        p + i &* lk, end: causal ? min(span, i &+ 1) : span, width: lk,
                                        allowed: allowed,
                                        scratch: scratch + (keeping == nil ? lq &* lk : 0))
                                }
                                BLAS.gemm(m: lq, n: hd, k: span, a: p, lda: lk, b: v, ldb: l.ld(2), c: c, ldc: d)
                            }
                        }
                    }
                }
            }
        }
        if training {
            self.inputs = inputs
            self.layout = l
            self.projected = projected
            self.spans = spans
            self.keyFlags = flags
            probabilities = kept
        }
        return output.forward(context, training: training)
    }

    /// Input gradients (one for self-attention; query, keys, values for cross-attention) of the last training forward.
    private func gradients(_ dOut: Tensor) -> [Tensor] {
        let l = layout, b = l.items, lq = l.queries, lk = l.keys, d = width, hd = headDim
        precondition(
            dOut.count == b * lq * d && probabilities.count == b * heads * lq * lk,
            "attention backward: gradient \(dOut.shape) does not match the last training forward")
        let dContext = output.backward(dOut)
        let scale = 1 / Float(hd).squareRoot(), heads = self.heads, spans = self.spans
        // Units write disjoint blocks; keys past a span get no gradient, so the buffer starts at zero.
        var dProjected = Tensor(shape: projected.shape, repeating: 0)
        dContext.withUnsafeBufferPointer { dcp in
            projected.withUnsafeBufferPointer { pp in
                probabilities.withUnsafeBufferPointer { probs in
                    dProjected.withUnsafeMutableBufferPointer { dpp in
                        forEachUnit(items: b, cost: 4 &* lq &* lk &* hd) { units in
                            let ds = UnsafeMutablePointer<Float>.allocate(capacity: lq &* lk)
                            defer { ds.deallocate() }
                            for unit in units {
                                let item = unit / heads, h = unit % heads, span = spans[item].span
                                guard span > 0 else { continue }
                                let q = pp.baseAddress! + l.block(0, item: item, head: h, headDim: hd)
                                let k = pp.baseAddress! + l.block(1, item: item, head: h, headDim: hd)
                                let v = pp.baseAddress! + l.block(2, item: item, head: h, headDim: hd)
                                let dq = dpp.baseAddress! + l.block(0, item: item, head: h, headDim: hd)
                                let dk = dpp.baseAddress! + l.block(1, item: item, head: h, headDim: hd)
                                let dv = dpp.baseAddress! + l.block(2, item: item, head: h, headDim: hd)
                                let p = probs.baseAddress! + unit &* lq &* lk,
                                    dc = dcp.baseAddress! + item &* lq &* d + h &* hd
                                // dP = dO_h·V_hᵀ ; dV_h = Pᵀ·dO_h
                                BLAS.gemm(
                                    transB: true, m: lq, n: span, k: hd, a: dc, lda: d, b: v, ldb: l.ld(2), c: ds,
                                    ldc: lk)
                                BLAS.gemm(
                                    transA: true, m: span, n: hd, k: lq, a: p, lda: lk, b: dc, ldb: d, c: dv,
                                    ldc: l.ld(2))
                                // dS = P ⊙ (dP − rowsum(dP ⊙ P))
                                for i in 0..<lq {
                                    let pr = p + i &* lk, dr = ds + i &* lk
                                    var dot: Float = 0
                                    for j in 0..<span { dot += pr[j] * dr[j] }
                                    for j in 0..<span { dr[j] = pr[j] * (dr[j] - dot) }
                                }
                                // dQ_h = scale·dS·K_h ; dK_h = scale·dSᵀ·Q_h
                                BLAS.gemm(
                                    m: lq, n: hd, k: span, alpha: scale, a: ds, lda: lk, b: k, ldb: l.ld(1), c: dq,
                                    ldc: l.ld(0))
                                BLAS.gemm(
                                    transA: true, m: span, n: hd, k: lq, alpha: scale, a: ds, lda: lk, b: q,
                                    ldb: l.ld(0),
                                    c: dk, ldc: l.ld(1))
                            }
                        }
                    }
                }
            }
        }
        return dProjected.withUnsafeBufferPointer { dpp in
            var dx: [Tensor] = []
            for (part, projection) in [query, key, value].enumerated() {
                let input = inputs[l.selfAttention ? 0 : part], rows = b * (part == 0 ? lq : lk)
                let dy = dpp.baseAddress! + l.offset(part)
                input.withUnsafeBufferPointer {
                    accumulate(dy, ld: l.ld(part), input: $0.baseAddress!, rows: rows, projection)
                }
                let w = UnsafePointer(store.value(projection.weight) + projection.part &* d &* d)
                if l.selfAttention && part > 0 {
                    // Self-attention: dX = Σ dY_part·W_part, one chain per element (β = 1 continues it).
                    dx[0].withUnsafeMutableBufferPointer {
                        BLAS.gemm(m: rows, n: d, k: d, a: dy, lda: l.ld(part), b: w, beta: 1, c: $0.baseAddress!)
                    }
                } else {
                    dx.append(
                        Tensor(shape: input.shape) {
                            BLAS.gemm(m: rows, n: d, k: d, a: dy, lda: l.ld(part), b: w, c: $0.baseAddress!)
                        })
                }
            }
            return dx
        }
    }

    // MARK: projections

    /// out[r, 0..<D] (rows `ld` apart) = x[r]·Wᵀ + b for the projection's slice of the parameters.
    private func project(
        _ x: UnsafePointer<Float>, rows: Int, _ projection: Projection, into out: UnsafeMutablePointer<Float>, ld: Int
    ) {
        let d = width
        guard rows > 0 else { return }
        let bias = store.value(projection.bias) + projection.part &* d
        for r in 0..<rows { (out + r &* ld).update(from: bias, count: d) }
        let weight = store.value(projection.weight) + projection.part &* d &* d
        BLAS.gemm(transB: true, m: rows, n: d, k: d, a: x, b: weight, beta: 1, c: out, ldc: ld)
    }

    /// gW += dYᵀ·x and gb += Σ_rows dY for the projection's slice (when trainable).
    private func accumulate(
        _ dy: UnsafePointer<Float>, ld: Int, input x: UnsafePointer<Float>, rows: Int, _ projection: Projection
    ) {
        let d = width
        guard rows > 0 else { return }
        if store.isTrainable(projection.weight) {
            BLAS.gemm(
                transA: true, m: d, n: d, k: rows, a: dy, lda: ld, b: x, beta: 1,
                c: store.grad(projection.weight) + projection.part &* d &* d)
        }
        if store.isTrainable(projection.bias) {
            let gb = store.grad(projection.bias) + projection.part &* d
            for r in 0..<rows {
                let row = dy + r &* ld
                for c in 0..<d { gb[c] += row[c] }
            }
        }
    }

    /// Runs `body` over the `items·heads` (item, head) units (unit = item·heads + head), split into contiguous chunks
    /// on `Compute.threads` threads, with OpenBLAS single-threaded meanwhile so each unit's small GEMMs run on the
    /// thread that owns it (restored afterwards). `cost` is one unit's work in multiply-adds (small batches stay
    /// serial). An enabled `GEMMTimer` (driven by one thread) is paused inside and charged the whole region.
    private func forEachUnit(items: Int, cost: Int, _ body: (Range<Int>) -> Void) {
        let units = items &* heads, blasThreads = BLAS.threads, timer = GEMMTimer.shared, timing = timer.enabled
        if blasThreads != 1 { BLAS.setThreads(1) }
        let began = timing ? timer.start() : nil
        if timing { timer.enabled = false }
        Compute.parallelFor(units, costPerItem: cost, body)
        if timing { timer.enabled = true; timer.stop(began, flops: 2 * Double(cost) * Double(units)) }
        if blasThreads != 1 { BLAS.setThreads(blasThreads) }
    }
}

/// Where Q, K and V sit in the projected buffer of a batch of `items`: self-attention keeps each token's Q | K | V
/// in one row of 3D floats; cross-attention keeps every query's Q row (D floats), then every key's K | V row (2D).
private struct AttentionLayout {
    let items: Int, queries: Int, keys: Int, width: Int, selfAttention: Bool

    var count: Int { selfAttention ? items * queries * 3 * width : items * (queries * width + keys * 2 * width) }
    /// Row stride of part 0 (Q), 1 (K) or 2 (V).
    func ld(_ part: Int) -> Int { selfAttention ? 3 * width : part == 0 ? width : 2 * width }
    /// Offset of the part's first row.
    func offset(_ part: Int) -> Int {
        selfAttention || part == 0 ? part * width : items * queries * width + (part - 1) * width
    }
    /// Offset of the part's block for (item, head).
    func block(_ part: Int, item: Int, head: Int, headDim: Int) -> Int {
        offset(part) &+ item &* (part == 0 ? queries : keys) &* ld(part) &+ head &* headDim
    }
}
