import Foundation

/// Shapes of a timm `VisionTransformer` used as an open_clip image tower (`vision_cfg.timm_model_name`), with
/// open_clip's `TimmModel` head: `timm_pool ""` keeps timm's default pooling (the class token after the final
/// norm) and `timm_proj "linear"` adds `head.proj`, a bias-free Linear(width → embedDimension).
public struct TimmViTConfiguration: Sendable, Equatable, Codable {
    public var imageSize: Int
    public var patchSize: Int
    public var width: Int
    public var layers: Int
    public var heads: Int
    public var mlpRatio: Int
    public var embedDimension: Int
    /// timm's ViT LayerNorms use ε = 1e-6.
    public var layerNormEpsilon: Float

    public init(
        imageSize: Int, patchSize: Int, width: Int, layers: Int, heads: Int, mlpRatio: Int = 4,
        embedDimension: Int, layerNormEpsilon: Float = 1e-6
    ) {
        precondition(
            imageSize % patchSize == 0, "image size \(imageSize) is not a multiple of the patch size \(patchSize)")
        precondition(width % heads == 0, "width \(width) is not a multiple of \(heads) heads")
        self.imageSize = imageSize
        self.patchSize = patchSize
        self.width = width
        self.layers = layers
        self.heads = heads
        self.mlpRatio = mlpRatio
        self.embedDimension = embedDimension
        self.layerNormEpsilon = layerNormEpsilon
    }

    /// timm `vit_base_patch16_224` (ViT-B/16: 224² images, 16² patches, 12 × 768-wide blocks, 12 heads) with a
    /// 512-d projection: BiomedCLIP's image tower.
    public static let vitB16 = TimmViTConfiguration(
        imageSize: 224, patchSize: 16, width: 768, layers: 12, heads: 12,
        embedDimension: 512)

    /// Patches per side.
    public var grid: Int { imageSize / patchSize }
    /// Tokens per image: the class token and one per patch.
    public var tokens: Int { grid * grid + 1 }
}

/// open_clip's `TimmModel` around timm's `VisionTransformer` (class token, no register tokens, learned absolute
/// position embeddings over all tokens including the class token, no pre-norm), inference only. Parameters under
/// `<prefix>.` exactly as open_clip's state dict names them, in its order:
///
///     trunk.cls_token [1, 1, W]   trunk.pos_embed [1, G²+1, W]
///     trunk.patch_embed.proj.weight [W, 3, P, P]   trunk.patch_embed.proj.bias [W]
///     trunk.blocks.<i>.{norm1, attn.qkv, attn.proj, norm2, mlp.fc1, mlp.fc2}.{weight, bias}
///     trunk.norm.{weight, bias}   head.proj.weight [E, W]   (no bias: open_clip's timm_proj_bias is false)
///
/// `forward` takes normalised images `[B, 3, S, S]` and returns embeddings `[B, E]` (not L2-normalised): the
/// patch convolution as one GEMM over all patches, the blocks, the final norm on the class token, the projection.
/// Random initial values (from `generator`) are placeholders for loaded or synthetic weights. Not thread-safe.
/// O(B·(G²+1)·W²·12·layers + B·(G²+1)²·W·layers).
public final class TimmViTImageTower {
    public let configuration: TimmViTConfiguration
    public let classToken: ParameterRef
    public let positionEmbedding: ParameterRef
    public let patchWeight: ParameterRef
    public let patchBias: ParameterRef
    public let blocks: [TransformerBlock]
    public let norm: LayerNorm
    public let projection: Linear
    private let store: ParameterStore

    public init(
        _ store: ParameterStore, prefix: String = "visual", configuration c: TimmViTConfiguration,
        generator: inout SeededGenerator
    ) {
        self.store = store
        configuration = c
        let w = c.width, p = c.patchSize, trunk = "\(prefix).trunk"
        classToken = store.parameter("\(trunk).cls_token", shape: [1, 1, w])
        Initialisation.normal(store.value(classToken), count: w, std: 1e-6, using: &generator)
        positionEmbedding = store.parameter("\(trunk).pos_embed", shape: [1, c.tokens, w])
        Initialisation.normal(
            store.value(positionEmbedding), count: positionEmbedding.count, std: 0.02, using: &generator)
        patchWeight = store.parameter("\(trunk).patch_embed.proj.weight", shape: [w, 3, p, p])
        patchBias = store.parameter("\(trunk).patch_embed.proj.bias", shape: [w])
        Initialisation.linearDefault(store, weight: patchWeight, bias: patchBias, using: &generator)
        blocks = (0..<c.layers).map {
            TimmViTImageTower.block(store, name: "\(trunk).blocks.\($0)", configuration: c, generator: &generator)
        }
        norm = LayerNorm(store, name: "\(trunk).norm", features: w, epsilon: c.layerNormEpsilon)
        projection = Linear(
            store, name: "\(prefix).head.proj", inFeatures: w, outFeatures: c.embedDimension, bias: false,
            generator: &generator)
    }

    /// timm's pre-norm ViT `Block` with its defaults: fused `attn.qkv` with bias, exact (erf) GELU, MLP width
    /// `mlpRatio`·D, LayerNorm ε from the configuration (1e-6).
    public static func block(
        _ store: ParameterStore, name: String, configuration c: TimmViTConfiguration,
        generator: inout SeededGenerator
    ) -> TransformerBlock {
        TransformerBlock(
            store, name: name, scheme: .timm, width: c.width, heads: c.heads, mlpWidth: c.width * c.mlpRatio,
            activation: .erf, epsilon: c.layerNormEpsilon, generator: &generator)
    }

    /// Embeddings `[B, E]` of normalised images `[B, 3, S, S]`.
    /// The batch items are independent, so each compute thread encodes its share of them start to finish.
    public func forward(_ images: Tensor) -> Tensor {
        let s = configuration.imageSize
        precondition(
            images.rank == 4 && images.shape[1] == 3 && images.shape[2] == s && images.shape[3] == s,
            "TimmViTImageTower expects [B, 3, \(s), \(s)], got \(images.shape)")
        return Compute.batchRows(images.shape[0], width: configuration.embedDimension) { encode(images.items($0)) }
    }

    private func encode(_ images: Tensor) -> Tensor {
        let c = configuration, s = c.imageSize, p = c.patchSize, g = c.grid, w = c.width, tokens = c.tokens
        let b = images.shape[0], k = 3 * p * p
        let columns = PatchColumns.columns(images, imageSize: s, patch: p)
        // Token matrix [B, T, W]: row 0 = cls + pos[0]; row t = conv(patch t−1) + bias + pos[t]. The GEMM writes the
        // patch rows in place after the bias and position rows are laid down.
        let cls = store.value(classToken), pos = store.value(positionEmbedding), bias = store.value(patchBias)
        let x = columns.withUnsafeBufferPointer { cp in
            Tensor(shape: [b, tokens, w]) { xp in
                for item in 0..<b {
                    let base = xp.baseAddress! + item &* tokens &* w
                    TowerMath.tokens(at: base, count: tokens, width: w, classToken: cls, positions: pos) { _ in
                        UnsafePointer(bias)
                    }
                    BLAS.gemm(
                        transB: true, m: g * g, n: w, k: k, a: cp.baseAddress! + item &* g &* g &* k,
                        b: store.value(patchWeight), beta: 1, c: base + w)
                }
            }
        }
        let hidden = blocks.reduce(x) { $1.forward($0, training: false) }
        // Only the class token is pooled, and LayerNorm acts per token: normalise that row alone.
        let first = TowerMath.classRows(hidden, tokens: tokens, width: w)
        return projection.forward(norm.forward(first, training: false), training: false)
    }
}
