import Foundation

/// Multi-head (cross-)attention with key padding masks, laid out as PyTorch's `nn.MultiheadAttention`
/// (`batch_first`): parameters `in_proj_weight` [3E, E] (query, key, value rows), `in_proj_bias` [3E],
/// `out_proj.weight` [E, E], `out_proj.bias` [E], in that order in one contiguous block.
///
/// Forward: Q = Xq·Wqᵀ + bq, K = Xk·Wkᵀ + bk, V = Xv·Wvᵀ + bv (one GEMM each over the whole batch);
/// per sample and head P = softmax(Q_h·K_hᵀ/√d + mask), O_h = P·V_h; Y = O·Woᵀ + bo. Keys at positions
/// ≥ `lengths[b]` are masked; a sample with no valid key attends to nothing (its O is zero, not NaN).
/// Backward accumulates parameter gradients (`+=`, into the model's `ParameterStore`) and returns input gradients.
///
/// Complexity: O(B·(Lq+2Lk)·E² + B·Lq·Lk·E) flops; the E² terms are single batched GEMMs.
public final class MultiHeadAttention {
    public let embed: Int
    public let heads: Int
    public var headDim: Int { embed / heads }
    public let inWeight: ParameterRef, inBias: ParameterRef, outWeight: ParameterRef, outBias: ParameterRef
    private let store: ParameterStore

    // Saved for backward.
    private var batch = 0, lq = 0, lk = 0
    private var lengths: [Int] = []
    private var xq = Tensor(shape: [0]), xk = Tensor(shape: [0]), xv = Tensor(shape: [0])
    private let q = ScratchBuffer(), k = ScratchBuffer(), v = ScratchBuffer(), p = ScratchBuffer()
    private let o = ScratchBuffer()
    private let dO = ScratchBuffer(), dP = ScratchBuffer(), dQ = ScratchBuffer(), dK = ScratchBuffer(), dV = ScratchBuffer()

    /// Registers `<name>.in_proj_weight`, `<name>.in_proj_bias`, `<name>.out_proj.weight`, `<name>.out_proj.bias`
    /// and initialises them as PyTorch does: Xavier-uniform in-projection, zero biases, out-projection U(±1/√E).
    public init(_ store: ParameterStore, name: String, embed: Int, heads: Int, generator: inout SeededGenerator) {
        precondition(heads > 0 && embed % heads == 0, "embed \(embed) must be divisible by heads \(heads)")
        self.store = store; self.embed = embed; self.heads = heads
        inWeight = store.parameter("\(name).in_proj_weight", shape: [3 * embed, embed])
        inBias = store.parameter("\(name).in_proj_bias", shape: [3 * embed])
        outWeight = store.parameter("\(name).out_proj.weight", shape: [embed, embed])
        outBias = store.parameter("\(name).out_proj.bias", shape: [embed])
        Initialisation.uniform(store.value(inWeight), count: inWeight.count,
                               bound: (6 / Float(embed + 3 * embed)).squareRoot(), using: &generator)
        Initialisation.uniform(store.value(outWeight), count: outWeight.count,
                               bound: 1 / Float(embed).squareRoot(), using: &generator)
    }

    // Parameter offsets.
    private var wIn: UnsafeMutablePointer<Float> { store.value(inWeight) }
    private var bIn: UnsafeMutablePointer<Float> { store.value(inBias) }
    private var wOut: UnsafeMutablePointer<Float> { store.value(outWeight) }
    private var bOut: UnsafeMutablePointer<Float> { store.value(outBias) }

    /// Attends from `query` [B, Lq, E] to `keys`/`values` [B, Lk, E]; `lengths[b]` keys are valid in sample b
    /// (the rest are padding and masked). Returns [B, Lq, E]. With `training`, caches what `backward` needs.
    public func forward(query: Tensor, keys: Tensor, values: Tensor, lengths: [Int], training: Bool) -> Tensor {
        precondition(query.rank == 3 && keys.rank == 3 && query.shape[2] == embed && keys.shape == values.shape
                     && keys.shape[2] == embed && keys.shape[0] == query.shape[0],
                     "attention expects query [B, Lq, \(embed)] and keys/values [B, Lk, \(embed)], got \(query.shape), \(keys.shape), \(values.shape)")
        precondition(lengths.count == query.shape[0], "one length per sample expected")
        batch = query.shape[0]; lq = query.shape[1]; lk = keys.shape[1]; self.lengths = lengths
        if training { xq = query; xk = keys; xv = values }
        let e = embed, nq = batch * lq, nk = batch * lk, d = headDim
        let Q = q.ensure(nq * e), K = k.ensure(nk * e), V = v.ensure(nk * e)
        query.withUnsafeBufferPointer { project($0.baseAddress!, rows: nq, weight: wIn, bias: bIn, out: Q) }
        keys.withUnsafeBufferPointer { project($0.baseAddress!, rows: nk, weight: wIn + e * e, bias: bIn + e, out: K) }
        values.withUnsafeBufferPointer { project($0.baseAddress!, rows: nk, weight: wIn + 2 * e * e, bias: bIn + 2 * e, out: V) }
        let P = p.ensure(batch * heads * lq * max(lk, 1)), O = o.ensure(nq * e)
        let scale = 1 / Float(d).squareRoot()
        for b in 0..<batch {
            let valid = min(max(lengths[b], 0), lk)
            for h in 0..<heads {
                let pb = P + (b * heads + h) * lq * lk
                let ob = O + b * lq * e + h * d
                guard valid > 0 else {
                    pb.update(repeating: 0, count: lq * lk)
                    for r in 0..<lq { (ob + r * e).update(repeating: 0, count: d) }
                    continue
                }
                // S = scale · Q_h K_hᵀ over the valid keys only.
                BLAS.gemm(transB: true, m: lq, n: valid, k: d, alpha: scale, a: Q + b * lq * e + h * d, lda: e,
                          b: K + b * lk * e + h * d, ldb: e, c: pb, ldc: lk)
                for r in 0..<lq {
                    let row = pb + r * lk
                    var m = -Float.infinity
                    for j in 0..<valid { m = max(m, row[j]) }
                    var s: Float = 0
                    for j in 0..<valid { let x = DeterministicMath.exp(row[j] - m); row[j] = x; s += x }
                    let inv = 1 / s
                    for j in 0..<valid { row[j] *= inv }
                    for j in valid..<lk { row[j] = 0 }
                }
                BLAS.gemm(m: lq, n: d, k: valid, a: pb, lda: lk, b: V + b * lk * e + h * d, ldb: e, c: ob, ldc: e)
            }
        }
        return Tensor(shape: [batch, lq, e]) { y in project(UnsafePointer(O), rows: nq, weight: wOut, bias: bOut, out: y.baseAddress!) }
    }

    /// Attention weights of the last forward, [B, heads, Lq, Lk] (zero at masked keys).
    public var attentionWeights: Tensor {
        Tensor(shape: [batch, heads, lq, lk], storage: Array(UnsafeBufferPointer(start: p.pointer, count: batch * heads * lq * lk)))
    }

    /// Back-propagates `dY` [B, Lq, E] of the last training forward: accumulates parameter gradients and returns
    /// the gradients of the query, keys and values. When keys and values are one tensor, add `dKeys` and `dValues`.
    public func backward(_ dY: Tensor) -> (dQuery: Tensor, dKeys: Tensor, dValues: Tensor) {
        let e = embed, nq = batch * lq, nk = batch * lk, d = headDim
        precondition(dY.count == nq * e && xq.count == nq * e, "attention backward: gradient \(dY.shape) does not match the last training forward")
        let gInW = store.grad(inWeight), gInB = store.grad(inBias), gOutW = store.grad(outWeight), gOutB = store.grad(outBias)
        let Q = q.pointer, K = k.pointer, V = v.pointer, P = p.pointer, O = o.pointer
        let DO = dO.ensure(nq * e)
        dY.withUnsafeBufferPointer { backProject($0.baseAddress!, input: UnsafePointer(O), rows: nq, weight: wOut, gWeight: gOutW, gBias: gOutB, dInput: DO) }
        let DQ = dQ.ensure(nq * e), DK = dK.ensure(nk * e), DV = dV.ensure(nk * e)
        DQ.update(repeating: 0, count: nq * e); DK.update(repeating: 0, count: nk * e); DV.update(repeating: 0, count: nk * e)
        let DP = dP.ensure(lq * max(lk, 1))
        let scale = 1 / Float(d).squareRoot()
        for b in 0..<batch {
            let valid = min(max(lengths[b], 0), lk)
            guard valid > 0 else { continue }
            for h in 0..<heads {
                let pb = P + (b * heads + h) * lq * lk
                let dob = DO + b * lq * e + h * d
                // dP = dO_h V_hᵀ; dV_h = Pᵀ dO_h.
                BLAS.gemm(transB: true, m: lq, n: valid, k: d, a: dob, lda: e, b: V + b * lk * e + h * d, ldb: e, c: DP, ldc: lk)
                BLAS.gemm(transA: true, m: valid, n: d, k: lq, a: pb, lda: lk, b: dob, ldb: e, c: DV + b * lk * e + h * d, ldc: e)
                // dS = P ∘ (dP − Σ_j dP∘P), times the scale.
                for r in 0..<lq {
                    let pr = pb + r * lk, dr = DP + r * lk
                    var dot: Float = 0
                    for j in 0..<valid { dot += pr[j] * dr[j] }
                    for j in 0..<valid { dr[j] = pr[j] * (dr[j] - dot) * scale }
                }
                // dQ_h = dS K_h; dK_h = dSᵀ Q_h.
                BLAS.gemm(m: lq, n: d, k: valid, a: DP, lda: lk, b: K + b * lk * e + h * d, ldb: e, c: DQ + b * lq * e + h * d, ldc: e)
                BLAS.gemm(transA: true, m: valid, n: d, k: lq, a: DP, lda: lk, b: Q + b * lq * e + h * d, ldb: e, c: DK + b * lk * e + h * d, ldc: e)
            }
        }
        func inputGrad(_ dProj: UnsafeMutablePointer<Float>, _ x: Tensor, rows: Int, part: Int) -> Tensor {
            x.withUnsafeBufferPointer { xp in
                Tensor(shape: x.shape) { dx in
                    backProject(UnsafePointer(dProj), input: xp.baseAddress!, rows: rows, weight: wIn + part * e * e,
                                gWeight: gInW + part * e * e, gBias: gInB + part * e, dInput: dx.baseAddress!)
                }
            }
        }
        return (inputGrad(DQ, xq, rows: nq, part: 0), inputGrad(DK, xk, rows: nk, part: 1), inputGrad(DV, xv, rows: nk, part: 2))
    }

    /// out[rows, E] = x[rows, E] · Wᵀ + b.
    private func project(_ x: UnsafePointer<Float>, rows: Int, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                         out: UnsafeMutablePointer<Float>) {
        let e = embed
        guard rows > 0 else { return }
        for r in 0..<rows { (out + r * e).update(from: bias, count: e) }
        BLAS.gemm(transB: true, m: rows, n: e, k: e, a: x, b: weight, beta: 1, c: out)
    }

    /// gW += dYᵀ·x, gb += Σ dY, dx = dY·W.
    private func backProject(_ dY: UnsafePointer<Float>, input x: UnsafePointer<Float>, rows: Int, weight: UnsafePointer<Float>,
                             gWeight: UnsafeMutablePointer<Float>, gBias: UnsafeMutablePointer<Float>, dInput: UnsafeMutablePointer<Float>) {
        let e = embed
        guard rows > 0 else { return }
        BLAS.gemm(transA: true, m: e, n: e, k: rows, a: dY, b: x, beta: 1, c: gWeight)
        for r in 0..<rows { let row = dY + r * e; for c in 0..<e { gBias[c] += row[c] } }
        BLAS.gemm(m: rows, n: e, k: e, a: dY, b: weight, c: dInput)
    }
}

/// A growable Float32 buffer owned by a layer; `ensure(n)` returns storage for at least n floats
/// (contents unspecified after growth). Amortised O(1) per call.
public final class ScratchBuffer {
    public private(set) var pointer: UnsafeMutablePointer<Float>
    public private(set) var capacity: Int
    public init(_ n: Int = 0) {
        capacity = max(n, 1)
        pointer = .allocate(capacity: capacity)
        pointer.initialize(repeating: 0, count: capacity)
    }
    deinit { pointer.deallocate() }
    @discardableResult
    public func ensure(_ n: Int) -> UnsafeMutablePointer<Float> {
        if n > capacity {
            pointer.deallocate()
            capacity = max(n, capacity * 2)
            pointer = .allocate(capacity: capacity)
            pointer.initialize(repeating: 0, count: capacity)
        }
        return pointer
    }
}
