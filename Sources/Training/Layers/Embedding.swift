/// Token embedding table `<name>.weight` [vocab, dim] (PyTorch's `nn.Embedding` with `padding_idx = 0`): row 0 is
/// the padding vector, kept at zero and never updated. Initialised N(0, 1) or from GloVe (`load`); registered
/// non-trainable when `frozen` (the optimiser skips it and backward accumulates nothing).
///
/// Forward gathers rows, O(tokens·dim); backward scatter-adds rows into the gradient, O(tokens·dim).
public final class Embedding {
    public let vocab: Int
    public let dim: Int
    public let weight: ParameterRef
    private let store: ParameterStore
    private var ids: [Int32] = []

    public init(
        _ store: ParameterStore, name: String, vocab: Int, dim: Int, frozen: Bool = false,
        generator: inout SeededGenerator
    ) {
        self.store = store; self.vocab = vocab; self.dim = dim
        weight = store.parameter("\(name).weight", shape: [vocab, dim], trainable: !frozen, decay: false)
        Initialisation.normal(store.value(weight), count: weight.count, std: 1, using: &generator)
        store.value(weight).update(repeating: 0, count: dim)
    }

    public var frozen: Bool {
        get { !store.isTrainable(weight) }
        set { store.setTrainable(weight, !newValue) }
    }

    /// Copies `weights` (vocab × dim, e.g. from `GloVe.matrix`) in, zeroing the padding row.
    public func load(_ weights: [Float]) {
        precondition(weights.count == vocab * dim, "embedding weights: \(weights.count) values for \(vocab)×\(dim)")
        weights.withUnsafeBufferPointer { store.value(weight).update(from: $0.baseAddress!, count: vocab * dim) }
        store.value(weight).update(repeating: 0, count: dim)
    }

    /// Rows for `ids` ([B, T] token ids, each in 0..<vocab) → [B, T, dim].
    public func forward(_ ids: [Int32], batch: Int, tokens: Int, training: Bool) -> Tensor {
        precondition(ids.count == batch * tokens, "\(ids.count) ids for [\(batch), \(tokens)]")
        if training { self.ids = ids }
        let w = store.value(weight)
        return Tensor(shape: [batch, tokens, dim]) { o in
            for (r, id) in ids.enumerated() {
                precondition(id >= 0 && Int(id) < vocab, "token id \(id) outside the vocabulary of \(vocab)")
                (o.baseAddress! + r * dim).update(from: w + Int(id) * dim, count: dim)
            }
        }
    }

    /// Scatter-adds `dOut` [B, T, dim] into the table's gradient (skipping padding; nothing when frozen).
    public func backward(_ dOut: Tensor) {
        guard !frozen else { return }
        precondition(
            dOut.count == ids.count * dim, "embedding backward: gradient \(dOut.shape) does not match the last forward")
        let g = store.grad(weight)
        dOut.withUnsafeBufferPointer { d in
            for (r, id) in ids.enumerated() where id != 0 {
                let dst = g + Int(id) * dim, src = d.baseAddress! + r * dim
                for c in 0..<dim { dst[c] += src[c] }
            }
        }
    }
}
