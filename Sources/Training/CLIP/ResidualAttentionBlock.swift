/// CLIP's pre-LayerNorm transformer block, open_clip names under `<name>`:
/// x ← x + attn(ln_1(x)); x ← x + mlp.c_proj(GELU(mlp.c_fc(ln_2(x)))), hidden width `mlpRatio`·D.
/// Input and output `[B, T, D]`; `mask` is passed to the attention. O(B·T·D²·(4 + 2·mlpRatio) + B·T²·D).
public final class ResidualAttentionBlock: Layer {
    public let ln1: LayerNorm
    public let attention: SelfAttention
    public let ln2: LayerNorm
    public let fc: Linear
    public let activation: GELU
    public let projection: Linear

    public var mask: AttentionMask {
        get { attention.mask }
        set { attention.mask = newValue }
    }

    public init(_ store: ParameterStore, name: String, width: Int, heads: Int, mlpRatio: Int = 4,
                activation: GELU.Kind = .quick, generator: inout SeededGenerator) {
        ln1 = LayerNorm(store, name: "\(name).ln_1", features: width)
        attention = SelfAttention(store, name: "\(name).attn", width: width, heads: heads, generator: &generator)
        ln2 = LayerNorm(store, name: "\(name).ln_2", features: width)
        fc = Linear(store, name: "\(name).mlp.c_fc", inFeatures: width, outFeatures: width * mlpRatio, generator: &generator)
        self.activation = GELU(activation)
        projection = Linear(store, name: "\(name).mlp.c_proj", inFeatures: width * mlpRatio, outFeatures: width, generator: &generator)
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let mid = TensorMath.add(x, attention.forward(ln1.forward(x, training: training), training: training))
        let hidden = activation.forward(fc.forward(ln2.forward(mid, training: training), training: training), training: training)
        return TensorMath.add(mid, projection.forward(hidden, training: training).reshaped(mid.shape))
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        let dMid = TensorMath.add(dOut, ln2.backward(fc.backward(activation.backward(projection.backward(dOut)))))
        return TensorMath.add(dMid, ln1.backward(attention.backward(dMid)))
    }
}

/// A stack of `ResidualAttentionBlock`s named `<name>.resblocks.<i>` sharing one mask.
public final class TransformerStack: Layer {
    public let blocks: [ResidualAttentionBlock]

    public var mask: AttentionMask {
        get { blocks.first?.mask ?? .none }
        set { for block in blocks { block.mask = newValue } }
    }

    public init(_ store: ParameterStore, name: String, width: Int, layers: Int, heads: Int,
                activation: GELU.Kind = .quick, generator: inout SeededGenerator) {
        blocks = (0..<layers).map {
            ResidualAttentionBlock(store, name: "\(name).resblocks.\($0)", width: width, heads: heads,
                                   activation: activation, generator: &generator)
        }
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        blocks.reduce(x) { $1.forward($0, training: training) }
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        blocks.reversed().reduce(dOut) { $1.backward($0) }
    }
}
