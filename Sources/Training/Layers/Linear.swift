/// Fully connected layer y = x·Wᵀ + b over the last dimension, PyTorch layout: weight `[out, in]`, bias `[out]`.
///
/// Input `[..., in]` (leading dimensions are flattened into rows, so token sequences `[B, T, in]` work);
/// output `[..., out]`. Forward is one GEMM; backward is two (dW, dX) plus a row sum for db. O(rows·in·out).
public final class Linear: Layer {
    public let inFeatures: Int
    public let outFeatures: Int
    public let weight: ParameterRef
    public let bias: ParameterRef?
    private let store: ParameterStore
    private let needsInputGradient: Bool
    private var input = Tensor(shape: [0])

    /// Registers `<name>.weight` (and `<name>.bias`) and initialises them like PyTorch (U(±1/√in)); with
    /// `zeroBias` the bias starts at 0 and only the weight is drawn (an attention's output projection).
    public init(
        _ store: ParameterStore, name: String, inFeatures: Int, outFeatures: Int, bias: Bool = true,
        zeroBias: Bool = false,
        needsInputGradient: Bool = true, generator: inout SeededGenerator
    ) {
        self.store = store
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.needsInputGradient = needsInputGradient
        weight = store.parameter("\(name).weight", shape: [outFeatures, inFeatures])
        self.bias = bias ? store.parameter("\(name).bias", shape: [outFeatures]) : nil
        Initialisation.linearDefault(store, weight: weight, bias: zeroBias ? nil : self.bias, using: &generator)
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.shape.last == inFeatures, "Linear expects [..., \(inFeatures)], got \(x.shape)")
        let rows = x.count / inFeatures
        if training { input = x }
        var outShape = x.shape
        outShape[outShape.count - 1] = outFeatures
        let w = store.value(weight)
        let b = bias.map { store.value($0) }
        return x.withUnsafeBufferPointer { xp in
            Tensor(shape: outShape) { yp in
                let y = yp.baseAddress!
                if let b {
                    for r in 0..<rows { (y + r &* outFeatures).update(from: b, count: outFeatures) }
                }
                BLAS.gemm(
                    transB: true, m: rows, n: outFeatures, k: inFeatures,
                    a: xp.baseAddress!, b: w, beta: b == nil ? 0 : 1, c: y)
            }
        }
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        let rows = input.count / inFeatures
        precondition(
            dOut.count == rows * outFeatures, "Linear.backward: gradient \(dOut.shape) does not match the last forward")
        return dOut.withUnsafeBufferPointer { dyp in
            let dy = dyp.baseAddress!
            if store.isTrainable(weight) {
                input.withUnsafeBufferPointer { xp in
                    // dW[out, in] += dYᵀ[out, rows] · X[rows, in]
                    BLAS.gemm(
                        transA: true, m: outFeatures, n: inFeatures, k: rows,
                        a: dy, b: xp.baseAddress!, beta: 1, c: store.grad(weight))
                }
            }
            if let bias, store.isTrainable(bias) {
                let db = store.grad(bias)
                for r in 0..<rows {
                    let row = dy + r &* outFeatures
                    for j in 0..<outFeatures { db[j] += row[j] }
                }
            }
            guard needsInputGradient else { return Tensor(shape: [0]) }
            return Tensor(shape: input.shape) { dxp in
                // dX[rows, in] = dY[rows, out] · W[out, in]
                BLAS.gemm(m: rows, n: inFeatures, k: outFeatures, a: dy, b: store.value(weight), c: dxp.baseAddress!)
            }
        }
    }
}
