/// CLIP's ViT image tower (open_clip names under `visual.`): a bias-free patch-embedding convolution
/// `conv1 [W, 3, P, P]` as one GEMM over all patches, `class_embedding [W]`, `positional_embedding [G²+1, W]`,
/// `ln_pre`, the transformer, `ln_post` on the class token and `proj [W, E]`.
///
/// `forward` takes images `[B, 3, S, S]` (normalised pixels) and returns embeddings `[B, E]`; `backward` takes
/// ∂loss/∂embeddings and accumulates every parameter gradient (no input gradient). O(B·(G²+1)·W²·12·layers).
public final class VisionTower {
    public let configuration: CLIPConfiguration
    public let conv: ParameterRef
    public let classEmbedding: ParameterRef
    public let positionalEmbedding: ParameterRef
    public let lnPre: LayerNorm
    public let transformer: TransformerStack
    public let lnPost: LayerNorm
    public let projection: ParameterRef
    private let store: ParameterStore
    private var patches = Tensor(shape: [0])
    private var pooled = Tensor(shape: [0])

    public init(_ store: ParameterStore, configuration c: CLIPConfiguration, generator: inout SeededGenerator) {
        self.store = store
        configuration = c
        let w = c.visionWidth, scale = 1 / Float(w).squareRoot()
        conv = store.parameter("visual.conv1.weight", shape: [w, 3, c.patchSize, c.patchSize])
        Initialisation.uniform(
            store.value(conv), count: conv.count, bound: 1 / Float(3 * c.patchSize * c.patchSize).squareRoot(),
            using: &generator)
        classEmbedding = store.parameter("visual.class_embedding", shape: [w])
        Initialisation.normal(store.value(classEmbedding), count: w, std: scale, using: &generator)
        positionalEmbedding = store.parameter("visual.positional_embedding", shape: [c.grid * c.grid + 1, w])
        Initialisation.normal(
            store.value(positionalEmbedding), count: positionalEmbedding.count, std: scale, using: &generator)
        lnPre = LayerNorm(store, name: "visual.ln_pre", features: w)
        transformer = TransformerStack(
            store, name: "visual.transformer", width: w, layers: c.visionLayers,
            heads: c.visionHeads, activation: c.activation, generator: &generator)
        lnPost = LayerNorm(store, name: "visual.ln_post", features: w)
        projection = store.parameter("visual.proj", shape: [w, c.embedDimension])
        Initialisation.normal(store.value(projection), count: projection.count, std: scale, using: &generator)
    }

    public func forward(_ images: Tensor, training: Bool) -> Tensor {
        let s = configuration.imageSize
        precondition(
            images.rank == 4 && images.shape[1] == 3 && images.shape[2] == s && images.shape[3] == s,
            "VisionTower expects [B, 3, \(s), \(s)], got \(images.shape)")
        transformer.mask = .none
        if training { return encode(images, training: true) }
        // Inference: the batch items are independent, so each compute thread encodes its share of them start to finish.
        return Compute.batchRows(images.shape[0], width: configuration.embedDimension) {
            encode(images.items($0), training: false)
        }
    }

    private func encode(_ images: Tensor, training: Bool) -> Tensor {
        let c = configuration, s = c.imageSize, p = c.patchSize, g = c.grid, w = c.visionWidth
        let b = images.shape[0], tokens = g * g + 1, k = 3 * p * p
        let cols = PatchColumns.columns(images, imageSize: s, patch: p)
        let embedded = cols.withUnsafeBufferPointer { cp in
            Tensor(shape: [b * g * g, w]) { ep in
                BLAS.gemm(
                    transB: true, m: b * g * g, n: w, k: k, a: cp.baseAddress!, b: store.value(conv), c: ep.baseAddress!
                )
            }
        }
        let cls = store.value(classEmbedding), pos = store.value(positionalEmbedding)
        let x = embedded.withUnsafeBufferPointer { ep in
            Tensor(shape: [b, tokens, w]) { xp in
                for item in 0..<b {
                    TowerMath.tokens(
                        at: xp.baseAddress! + item &* tokens &* w, count: tokens, width: w, classToken: cls,
                        positions: pos
                    ) { ep.baseAddress! + (item &* g &* g &+ $0 &- 1) &* w }
                }
            }
        }
        let hidden = transformer.forward(lnPre.forward(x, training: training), training: training)
        let normed = lnPost.forward(TowerMath.classRows(hidden, tokens: tokens, width: w), training: training)
        if training {
            patches = cols
            pooled = normed
        }
        return TowerMath.project(normed, projection, store: store)
    }

    public func backward(_ dEmbedding: Tensor) {
        let c = configuration, g = c.grid, w = c.visionWidth, k = 3 * c.patchSize * c.patchSize
        let b = pooled.shape[0], tokens = g * g + 1
        let dNormed = TowerMath.projectBackward(dEmbedding, input: pooled, projection, store: store)
        let dFirst = lnPost.backward(dNormed)
        var dHidden = Tensor(shape: [b, tokens, w], repeating: 0)
        dHidden.withUnsafeMutableBufferPointer { hp in
            dFirst.withUnsafeBufferPointer { fp in
                for item in 0..<b {
                    (hp.baseAddress! + item &* tokens &* w).update(from: fp.baseAddress! + item &* w, count: w)
                }
            }
        }
        let dx = lnPre.backward(transformer.backward(dHidden))
        dx.withUnsafeBufferPointer { dp in
            let d = dp.baseAddress!
            if store.isTrainable(positionalEmbedding) {
                let dpos = store.grad(positionalEmbedding)
                for item in 0..<b { for i in 0..<(tokens * w) { dpos[i] += d[item &* tokens &* w &+ i] } }
            }
            if store.isTrainable(classEmbedding) {
                let dcls = store.grad(classEmbedding)
                for item in 0..<b { for j in 0..<w { dcls[j] += d[item &* tokens &* w &+ j] } }
            }
            guard store.isTrainable(conv) else { return }
            // Patch-token gradients [B·G², W] gathered contiguously, then dW[W, k] += dEᵀ·cols.
            let dPatch = Tensor(shape: [b * g * g, w]) { pp in
                for item in 0..<b {
                    (pp.baseAddress! + item &* g &* g &* w).update(
                        from: d + (item &* tokens &+ 1) &* w, count: g * g * w)
                }
            }
            dPatch.withUnsafeBufferPointer { pp in
                patches.withUnsafeBufferPointer { cp in
                    BLAS.gemm(
                        transA: true, m: w, n: k, k: b * g * g, a: pp.baseAddress!, b: cp.baseAddress!, beta: 1,
                        c: store.grad(conv))
                }
            }
        }
    }
}
