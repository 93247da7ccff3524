/// How a transformer block names its parameters and where its LayerNorms sit, for the three sources the training
/// core reads weights from.
public enum TransformerScheme: String, Sendable, CaseIterable {
    /// open_clip's `ResidualAttentionBlock`, pre-norm: `ln_1`, `attn.{in_proj_weight,in_proj_bias,out_proj}`, `ln_2`,
    /// `mlp.c_fc`, `mlp.c_proj`.
    case openCLIP
    /// timm's ViT `Block`, pre-norm: `norm1`, `attn.{qkv,proj}`, `norm2`, `mlp.fc1`, `mlp.fc2`.
    case timm
    /// Hugging Face `BertLayer`, post-norm: `attention.self.{query,key,value}`, `attention.output.{dense,LayerNorm}`,
    /// `intermediate.dense`, `output.{dense,LayerNorm}`.
    case bert

    var preNorm: Bool { self != .bert }
    var attentionNames: MultiHeadAttention.Names {
        switch self {
        case .openCLIP: .pytorch;
        case .timm: .timm;
        case .bert: .bert
        }
    }
    /// (first norm, attention, second norm, MLP in, MLP out) under the block's name.
    var names: (norm1: String, attention: String, norm2: String, fc: String, projection: String) {
        switch self {
        case .openCLIP: ("ln_1", "attn", "ln_2", "mlp.c_fc", "mlp.c_proj")
        case .timm: ("norm1", "attn", "norm2", "mlp.fc1", "mlp.fc2")
        case .bert:
            ("attention.output.LayerNorm", "attention", "output.LayerNorm", "intermediate.dense", "output.dense")
        }
    }
}

/// One transformer block over `[B, T, D]` with an MLP of hidden width `mlpWidth`:
///
///     pre-norm (open_clip, timm):  x ← x + attn(norm1(x));   y ← x + fc2(GELU(fc1(norm2(x))))
///     post-norm (BERT):            x ← norm1(x + attn(x));   y ← norm2(x + fc2(GELU(fc1(x))))
///
/// `mask` goes to the attention. Parameters are registered in the order of the source's state dict.
/// O(B·T·D·(4D + 2·mlpWidth) + B·T²·D).
public final class TransformerBlock: Layer {
    public let scheme: TransformerScheme
    public let norm1: LayerNorm
    public let attention: MultiHeadAttention
    public let norm2: LayerNorm
    public let fc: Linear
    public let activation: GELU
    public let projection: Linear

    public var mask: AttentionMask {
        get { attention.mask }
        set { attention.mask = newValue }
    }

    public init(
        _ store: ParameterStore, name: String, scheme: TransformerScheme, width: Int, heads: Int, mlpWidth: Int,
        activation: GELU.Kind, epsilon: Float, generator: inout SeededGenerator
    ) {
        self.scheme = scheme
        let n = scheme.names
        func norm(_ suffix: String) -> LayerNorm {
            LayerNorm(store, name: "\(name).\(suffix)", features: width, epsilon: epsilon)
        }
        func attend(_ g: inout SeededGenerator) -> MultiHeadAttention {
            MultiHeadAttention(
                store, name: "\(name).\(n.attention)", width: width, heads: heads, names: scheme.attentionNames,
                generator: &g)
        }
        if scheme.preNorm {
            norm1 = norm(n.norm1)
            attention = attend(&generator)
        } else {
            attention = attend(&generator)
            norm1 = norm(n.norm1)
        }
        let secondNorm = scheme.preNorm ? norm(n.norm2) : nil
        fc = Linear(store, name: "\(name).\(n.fc)", inFeatures: width, outFeatures: mlpWidth, generator: &generator)
        self.activation = GELU(activation)
        projection = Linear(
            store, name: "\(name).\(n.projection)", inFeatures: mlpWidth, outFeatures: width, generator: &generator)
        norm2 = secondNorm ?? norm(n.norm2)
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        if scheme.preNorm {
            let mid = TensorMath.add(x, attention.forward(norm1.forward(x, training: training), training: training))
            return TensorMath.add(mid, mlp(norm2.forward(mid, training: training), training: training))
        }
        let mid = norm1.forward(TensorMath.add(x, attention.forward(x, training: training)), training: training)
        return norm2.forward(TensorMath.add(mid, mlp(mid, training: training)), training: training)
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        if scheme.preNorm {
            let dMid = TensorMath.add(dOut, norm2.backward(mlpBackward(dOut)))
            return TensorMath.add(dMid, norm1.backward(attention.backward(dMid)))
        }
        let dMid = norm2.backward(dOut)
        let dSum = norm1.backward(TensorMath.add(dMid, mlpBackward(dMid)))
        return TensorMath.add(dSum, attention.backward(dSum))
    }

    private func mlp(_ x: Tensor, training: Bool) -> Tensor {
        projection.forward(
            activation.forward(fc.forward(x, training: training), training: training), training: training
        ).reshaped(x.shape)
    }

    private func mlpBackward(_ dOut: Tensor) -> Tensor { fc.backward(activation.backward(projection.backward(dOut))) }
}

/// Blocks applied in order sharing one mask; open_clip names them `<name>.resblocks.<i>`.
public final class TransformerStack: Layer {
    public let blocks: [TransformerBlock]

    public var mask: AttentionMask {
        get { blocks.first?.mask ?? .none }
        set { for block in blocks { block.mask = newValue } }
    }

    public init(_ blocks: [TransformerBlock]) { self.blocks = blocks }

    /// open_clip's `Transformer`: `layers` pre-norm blocks of MLP width 4·width.
    public convenience init(
        _ store: ParameterStore, name: String, width: Int, layers: Int, heads: Int,
        activation: GELU.Kind = .quick, generator: inout SeededGenerator
    ) {
        self.init(
            (0..<layers).map {
                TransformerBlock(
                    store, name: "\(name).resblocks.\($0)", scheme: .openCLIP, width: width, heads: heads,
                    mlpWidth: 4 * width,
                    activation: activation, epsilon: 1e-5, generator: &generator)
            })
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        blocks.reduce(x) { $1.forward($0, training: training) }
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        blocks.reversed().reduce(dOut) { $1.backward($0) }
    }
}
