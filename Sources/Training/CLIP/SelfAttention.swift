import Foundation

/// Which keys each query may attend to: `causal` hides later positions (query i sees keys ≤ i); `lengths`
/// (one per batch item, each ≥ 1) hides padding keys at positions ≥ length. Both may be combined.
public struct AttentionMask: Sendable, Equatable {
    public var causal: Bool
    public var lengths: [Int]?
    public init(causal: Bool = false, lengths: [Int]? = nil) {
        self.causal = causal
        self.lengths = lengths
    }
    public static let none = AttentionMask()
}

/// Multi-head self-attention with the parameters of `torch.nn.MultiheadAttention` (batch-first):
/// `<name>.in_proj_weight [3D, D]`, `<name>.in_proj_bias [3D]`, `<name>.out_proj.{weight,bias}` — or, with
/// `names: .timm`, timm's `<name>.qkv.{weight,bias}` and `<name>.proj.{weight,bias}` (the same computation).
///
/// Input and output `[B, T, D]`. One GEMM projects all B·T tokens to Q, K, V; per (item, head) two GEMMs on
/// strided views form softmax(QKᵀ/√d_h + mask)·V straight into the context matrix; one GEMM applies `out_proj`.
/// Backward mirrors it (five GEMMs per item and head, three for the projections). Masked keys get probability
/// exactly 0. Set `mask` before `forward`; backward uses the mask of the last training forward.
/// O(B·T·D² + B·T²·D).
public final class SelfAttention: Layer {
    public let width: Int
    public let heads: Int
    public let inProjWeight: ParameterRef
    public let inProjBias: ParameterRef
    public let outProj: Linear
    public var mask = AttentionMask.none
    private let store: ParameterStore
    private var input = Tensor(shape: [0])
    private var qkv = Tensor(shape: [0])
    private var probabilities = Tensor(shape: [0])

    /// Parameter names under the layer's prefix. Both layouts hold the same tensors: the fused input projection
    /// `[3D, D]` with rows Q, K, V (head h at rows h·D/heads ..< (h+1)·D/heads of each), its bias, and the output
    /// projection as a `Linear`.
    public struct ParameterNames: Sendable, Equatable {
        public var inProjectionWeight: String
        public var inProjectionBias: String
        public var outProjection: String
        public init(inProjectionWeight: String, inProjectionBias: String, outProjection: String) {
            self.inProjectionWeight = inProjectionWeight
            self.inProjectionBias = inProjectionBias
            self.outProjection = outProjection
        }
        /// `torch.nn.MultiheadAttention`: `in_proj_weight`, `in_proj_bias`, `out_proj`.
        public static let multiheadAttention = ParameterNames(inProjectionWeight: "in_proj_weight", inProjectionBias: "in_proj_bias", outProjection: "out_proj")
        /// timm's `Attention`: `qkv.weight`, `qkv.bias`, `proj`.
        public static let timm = ParameterNames(inProjectionWeight: "qkv.weight", inProjectionBias: "qkv.bias", outProjection: "proj")
    }

    /// Registers the parameters; Xavier-uniform `in_proj_weight`, zero biases, `out_proj` weight U(±1/√D).
    public init(_ store: ParameterStore, name: String, width: Int, heads: Int, names: ParameterNames = .multiheadAttention,
                generator: inout SeededGenerator) {
        precondition(width % heads == 0, "width \(width) is not a multiple of \(heads) heads")
        self.store = store
        self.width = width
        self.heads = heads
        inProjWeight = store.parameter("\(name).\(names.inProjectionWeight)", shape: [3 * width, width])
        inProjBias = store.parameter("\(name).\(names.inProjectionBias)", shape: [3 * width])
        Initialisation.uniform(store.value(inProjWeight), count: 3 * width * width,
                               bound: (6 / Float(4 * width)).squareRoot(), using: &generator)
        outProj = Linear(store, name: "\(name).\(names.outProjection)", inFeatures: width, outFeatures: width, generator: &generator)
        store.value(outProj.bias!).update(repeating: 0, count: width)
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.rank == 3 && x.shape[2] == width, "SelfAttention expects [B, T, \(width)], got \(x.shape)")
        let b = x.shape[0], t = x.shape[1], d = width, hd = d / heads, rows = b * t
        if let lengths = mask.lengths {
            precondition(lengths.count == b && lengths.allSatisfy { $0 >= 1 && $0 <= t }, "mask lengths \(lengths) do not fit [\(b), \(t)]")
        }
        let w = store.value(inProjWeight), bias = store.value(inProjBias)
        let projected = x.withUnsafeBufferPointer { xp in
            Tensor(shape: [rows, 3 * d]) { yp in
                let y = yp.baseAddress!
                for r in 0..<rows { (y + r &* 3 &* d).update(from: bias, count: 3 * d) }
                BLAS.gemm(transB: true, m: rows, n: 3 * d, k: d, a: xp.baseAddress!, b: w, beta: 1, c: y)
            }
        }
        let scale = 1 / Float(hd).squareRoot()
        var probs = Tensor(shape: [b, heads, t, t], repeating: 0)
        let context = projected.withUnsafeBufferPointer { qp in
            probs.withUnsafeMutableBufferPointer { pp in
                Tensor(shape: [b, t, d]) { cp in
                    for item in 0..<b {
                        let valid = mask.lengths?[item] ?? t
                        for h in 0..<heads {
                            let q = qp.baseAddress! + item &* t &* 3 &* d + h &* hd
                            let p = pp.baseAddress! + (item &* heads &+ h) &* t &* t
                            BLAS.gemm(transB: true, m: t, n: t, k: hd, alpha: scale, a: q, lda: 3 * d, b: q + d, ldb: 3 * d, c: p)
                            Self.maskedSoftmax(p, t: t, valid: valid, causal: mask.causal)
                            BLAS.gemm(m: t, n: hd, k: t, a: p, b: q + 2 * d, ldb: 3 * d,
                                      c: cp.baseAddress! + item &* t &* d + h &* hd, ldc: d)
                        }
                    }
                }
            }
        }
        if training {
            input = x
            qkv = projected
            probabilities = probs
        }
        return outProj.forward(context, training: training)
    }

    /// Row-wise softmax of a t×t score matrix in place; keys ≥ `valid` (and > row when causal) get 0.
    @inline(__always)
    static func maskedSoftmax(_ p: UnsafeMutablePointer<Float>, t: Int, valid: Int, causal: Bool) {
        for i in 0..<t {
            let row = p + i &* t
            let end = causal ? min(valid, i + 1) : valid
            var maximum = -Float.infinity
            for j in 0..<end { maximum = max(maximum, row[j]) }
            var sum: Float = 0
            for j in 0..<end { let e = expf(row[j] - maximum); row[j] = e; sum += e }
            let inv = end > 0 ? 1 / sum : 0
            for j in 0..<end { row[j] *= inv }
            for j in end..<t { row[j] = 0 }
        }
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        let b = input.shape[0], t = input.shape[1], d = width, hd = d / heads, rows = b * t
        let dContext = outProj.backward(dOut)
        let scale = 1 / Float(hd).squareRoot()
        var dScores = [Float](repeating: 0, count: t * t)
        var dqkv = Tensor(shape: [rows, 3 * d], repeating: 0)
        dContext.withUnsafeBufferPointer { dcp in
            qkv.withUnsafeBufferPointer { qp in
                probabilities.withUnsafeBufferPointer { pp in
                    dqkv.withUnsafeMutableBufferPointer { dqp in
                        dScores.withUnsafeMutableBufferPointer { dsp in
                            let ds = dsp.baseAddress!
                            for item in 0..<b {
                                for h in 0..<heads {
                                    let q = qp.baseAddress! + item &* t &* 3 &* d + h &* hd
                                    let dq = dqp.baseAddress! + item &* t &* 3 &* d + h &* hd
                                    let p = pp.baseAddress! + (item &* heads &+ h) &* t &* t
                                    let dc = dcp.baseAddress! + item &* t &* d + h &* hd
                                    // dP = dC·Vᵀ ; dV = Pᵀ·dC
                                    BLAS.gemm(transB: true, m: t, n: t, k: hd, a: dc, lda: d, b: q + 2 * d, ldb: 3 * d, c: ds)
                                    BLAS.gemm(transA: true, m: t, n: hd, k: t, a: p, b: dc, ldb: d, c: dq + 2 * d, ldc: 3 * d)
                                    // dS = P ⊙ (dP − rowsum(dP ⊙ P))
                                    for i in 0..<t {
                                        let pr = p + i &* t, dr = ds + i &* t
                                        var dot: Float = 0
                                        for j in 0..<t { dot += pr[j] * dr[j] }
                                        for j in 0..<t { dr[j] = pr[j] * (dr[j] - dot) }
                                    }
                                    // dQ = scale·dS·K ; dK = scale·dSᵀ·Q
                                    BLAS.gemm(m: t, n: hd, k: t, alpha: scale, a: ds, b: q + d, ldb: 3 * d, c: dq, ldc: 3 * d)
                                    BLAS.gemm(transA: true, m: t, n: hd, k: t, alpha: scale, a: ds, b: q, ldb: 3 * d, c: dq + d, ldc: 3 * d)
                                }
                            }
                        }
                    }
                }
            }
        }
        return dqkv.withUnsafeBufferPointer { dyp in
            let dy = dyp.baseAddress!
            if store.isTrainable(inProjWeight) {
                input.withUnsafeBufferPointer { xp in
                    BLAS.gemm(transA: true, m: 3 * d, n: d, k: rows, a: dy, b: xp.baseAddress!, beta: 1, c: store.grad(inProjWeight))
                }
            }
            if store.isTrainable(inProjBias) {
                let db = store.grad(inProjBias)
                for r in 0..<rows {
                    let row = dy + r &* 3 &* d
                    for j in 0..<(3 * d) { db[j] += row[j] }
                }
            }
            return Tensor(shape: input.shape) { dxp in
                BLAS.gemm(m: rows, n: d, k: 3 * d, a: dy, b: store.value(inProjWeight), c: dxp.baseAddress!)
            }
        }
    }
}
