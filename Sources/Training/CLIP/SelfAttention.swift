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
/// Backward mirrors it (four GEMMs per item and head). The B·heads (item, head) units run in parallel on
/// `Compute.threads` threads, each with single-threaded BLAS and writing only its own blocks, so results are the same
/// for any thread count's split of the units. Only a training forward keeps the [B, heads, T, T] probabilities;
/// inference uses one T×T scratch per thread. Masked keys get probability exactly 0. Set `mask` before `forward`;
/// backward uses the mask of the last training forward. O(B·T·D² + B·T²·D).
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
        let b = x.shape[0], t = x.shape[1], d = width, rows = b * t
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
        let context: Tensor
        if training {
            // Backward needs every unit's probabilities: the attention writes them into the kept tensor.
            var computed: Tensor?
            probabilities = Tensor(shape: [b, heads, t, t]) { pp in computed = attention(projected, items: b, t: t, keeping: pp.baseAddress!) }
            context = computed!
            input = x
            qkv = projected
        } else {
            context = attention(projected, items: b, t: t, keeping: nil)
        }
        return outProj.forward(context, training: training)
    }

    /// The context `[B, T, D]` = softmax(QKᵀ/√d_h + mask)·V per (item, head), from the projected `[B·T, 3D]` rows
    /// (Q | K | V, head h at columns h·d_h of each). Each unit's t×t probabilities go to `keeping + unit·t²` when given
    /// (unit = item·heads + head), else to a t×t scratch reused within the thread's chunk. Units run in parallel
    /// (`forEachUnit`) and each writes only its own t×d_h block of the context. O(B·heads·T²·d_h).
    private func attention(_ projected: Tensor, items b: Int, t: Int, keeping: UnsafeMutablePointer<Float>?) -> Tensor {
        let d = width, hd = d / heads, scale = 1 / Float(hd).squareRoot()
        let mask = self.mask, heads = self.heads
        return projected.withUnsafeBufferPointer { qp in
            Tensor(shape: [b, t, d]) { cp in
                forEachUnit(items: b, cost: 2 &* t &* t &* hd) { units in
                    let scratch = keeping == nil ? UnsafeMutablePointer<Float>.allocate(capacity: t &* t) : nil
                    defer { scratch?.deallocate() }
                    for unit in units {
                        let item = unit / heads, h = unit % heads
                        let q = qp.baseAddress! + item &* t &* 3 &* d + h &* hd
                        let p = keeping.map { $0 + unit &* t &* t } ?? scratch!
                        BLAS.gemm(transB: true, m: t, n: t, k: hd, alpha: scale, a: q, lda: 3 * d, b: q + d, ldb: 3 * d, c: p)
                        Self.maskedSoftmax(p, t: t, valid: mask.lengths?[item] ?? t, causal: mask.causal)
                        BLAS.gemm(m: t, n: hd, k: t, a: p, b: q + 2 * d, ldb: 3 * d,
                                  c: cp.baseAddress! + item &* t &* d + h &* hd, ldc: d)
                    }
                }
            }
        }
    }

    /// Runs `body` over the `items·heads` (item, head) units `0..<items·heads` (unit = item·heads + head), split into
    /// contiguous chunks on `Compute.threads` threads, with OpenBLAS single-threaded meanwhile so each unit's small
    /// GEMMs run on the thread that owns it (restored afterwards). `body` must write only its units' memory; every
    /// unit is then computed by the same single-threaded kernels whatever the split, so results do not depend on the
    /// thread count. `cost` is one unit's work in multiply-adds (small batches stay serial). An enabled `GEMMTimer`
    /// (driven by one thread) is paused inside and charged the whole region as GEMM time, with 2·cost flops per unit.
    private func forEachUnit(items: Int, cost: Int, _ body: (Range<Int>) -> Void) {
        let units = items &* heads, blasThreads = BLAS.threads, timer = GEMMTimer.shared, timing = timer.enabled
        if blasThreads != 1 { BLAS.setThreads(1) }
        let began = timing ? timer.start() : nil
        if timing { timer.enabled = false }
        Compute.parallelFor(units, costPerItem: cost, body)
        if timing { timer.enabled = true; timer.stop(began, flops: 2 * Double(cost) * Double(units)) }
        if blasThreads != 1 { BLAS.setThreads(blasThreads) }
    }

    /// Row-wise softmax of a t×t score matrix in place; keys ≥ `valid` (and > row when causal) get 0. Each row's
    /// unmasked prefix goes through `SoftmaxKernel.softmax` (8 lanes at a time). O(t²).
    @inline(__always)
    static func maskedSoftmax(_ p: UnsafeMutablePointer<Float>, t: Int, valid: Int, causal: Bool) {
        for i in 0..<t {
            let row = p + i &* t
            let end = causal ? min(valid, i + 1) : valid
            SoftmaxKernel.softmax(row, count: end)
            (row + end).update(repeating: 0, count: t - end)
        }
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        let b = input.shape[0], t = input.shape[1], d = width, hd = d / heads, rows = b * t
        let dContext = outProj.backward(dOut)
        let scale = 1 / Float(hd).squareRoot()
        // Every unit writes its dQ, dK, dV blocks in full (β = 0), so the whole of dqkv is written.
        let dqkv = dContext.withUnsafeBufferPointer { dcp in
            qkv.withUnsafeBufferPointer { qp in
                probabilities.withUnsafeBufferPointer { pp in
                    Tensor(shape: [rows, 3 * d]) { dqp in
                        forEachUnit(items: b, cost: 4 &* t &* t &* hd) { units in
                            let ds = UnsafeMutablePointer<Float>.allocate(capacity: t &* t)
                            defer { ds.deallocate() }
                            for unit in units {
                                let item = unit / heads, h = unit % heads
                                let q = qp.baseAddress! + item &* t &* 3 &* d + h &* hd
                                let dq = dqp.baseAddress! + item &* t &* 3 &* d + h &* hd
                                let p = pp.baseAddress! + unit &* t &* t
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

/// Softmax of one row, vectorised over 8 lanes. `exp` evaluates e^x as 2ⁿ·e^r with n = round(x·log₂e) and
/// |r| ≤ ln2/2 by a degree-7 polynomial (relative error within a few float ulps, like `expf`), so probabilities
/// agree with the scalar definition to float rounding. Every row is reduced in a fixed lane order, so results do not
/// depend on threads or alignment. O(count).
enum SoftmaxKernel {
    typealias Vector = SIMD8<Float>

    /// row[0..<count] ← softmax(row[0..<count]) (max-subtracted); nothing when count = 0.
    @inline(__always)
    static func softmax(_ row: UnsafeMutablePointer<Float>, count: Int) {
        guard count > 0 else { return }
        let lanes = Vector.scalarCount, whole = count - count % lanes
        var top = Vector(repeating: -.infinity)
        var j = 0
        while j < whole {
            let v = load(row + j)
            top.replace(with: v, where: v .> top)
            j &+= lanes
        }
        var maximum = top.max()
        for k in whole..<count { maximum = max(maximum, row[k]) }
        var total = Vector(repeating: 0)
        j = 0
        while j < whole {
            let e = exp(load(row + j) - maximum)
            store(e, row + j)
            total += e
            j &+= lanes
        }
        var tail = Vector(repeating: 0)
        for k in whole..<count { tail[k - whole] = row[k] - maximum }
        let tailExp = exp(tail)
        var sum = total.sum()
        for k in whole..<count { row[k] = tailExp[k - whole]; sum += tailExp[k - whole] }
        let inverse = 1 / sum
        j = 0
        while j < whole { store(load(row + j) * inverse, row + j); j &+= lanes }
        for k in whole..<count { row[k] *= inverse }
    }

    /// e^x per lane for x ≤ 88 (inputs below −87 give e^−87 ≈ 1.6e−38, i.e. 0 after normalisation).
    @inline(__always)
    static func exp(_ x: Vector) -> Vector {
        let x = x.replacing(with: -87, where: x .< -87)  // (stdlib's generic pointwiseMax is not inlined)
        let magic: Float = 12_582_912  // 1.5·2²³: adding it rounds to an integer held in the low mantissa bits
        let shifted = x * 1.442_695_04 + magic
        let n = shifted - magic
        var r = x - n * 0.693_359_375
        r -= n * -2.121_944_4e-4
        var poly = r * 1.987_569_15e-4 + 1.398_199_95e-3
        poly = poly * r + 8.333_451_9e-3
        poly = poly * r + 4.166_579_59e-2
        poly = poly * r + 0.166_666_655
        poly = poly * r + 0.500_000_01
        let er = poly * (r * r) + r + 1
        let exponent = (unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
        return er * unsafeBitCast(exponent, to: Vector.self)
    }

    @inline(__always) static func load(_ p: UnsafeMutablePointer<Float>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }

    @inline(__always) static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
    }
}
