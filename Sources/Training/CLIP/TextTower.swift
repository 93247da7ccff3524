/// CLIP's text tower (open_clip names at the top level): `token_embedding.weight [V, W]`,
/// `positional_embedding [L, W]`, the causal transformer `transformer.resblocks.*`, `ln_final`, and
/// `text_projection [W, E]` applied to the token at the end-of-text position (the largest id of each row,
/// first occurrence, as `argmax`).
///
/// `forward(tokens:)` takes `[B × L]` ids (zero-padded rows as `CLIPTokenizer.tokenizeBatch` writes) and
/// returns `[B, E]`; `backward` accumulates every parameter gradient. O(B·L·W²·12·layers + B·L²·W).
public final class TextTower {
    public let configuration: CLIPConfiguration
    public let tokenEmbedding: ParameterRef
    public let positionalEmbedding: ParameterRef
    public let transformer: TransformerStack
    public let lnFinal: LayerNorm
    public let projection: ParameterRef
    private let store: ParameterStore
    private var lastTokens: [Int32] = []
    private var lastPositions: [Int] = []
    private var pooled = Tensor(shape: [0])

    public init(_ store: ParameterStore, configuration c: CLIPConfiguration, generator: inout SeededGenerator) {
        self.store = store
        configuration = c
        let w = c.textWidth
        tokenEmbedding = store.parameter("token_embedding.weight", shape: [c.vocabularySize, w])
        Initialisation.normal(store.value(tokenEmbedding), count: tokenEmbedding.count, std: 0.02, using: &generator)
        positionalEmbedding = store.parameter("positional_embedding", shape: [c.contextLength, w])
        Initialisation.normal(
            store.value(positionalEmbedding), count: positionalEmbedding.count, std: 0.01, using: &generator)
        transformer = TransformerStack(
            store, name: "transformer", width: w, layers: c.textLayers, heads: c.textHeads,
            activation: c.activation, generator: &generator)
        lnFinal = LayerNorm(store, name: "ln_final", features: w)
        projection = store.parameter("text_projection", shape: [w, c.embedDimension])
        Initialisation.normal(
            store.value(projection), count: projection.count, std: 1 / Float(w).squareRoot(), using: &generator)
    }

    public func forward(tokens: [Int32], training: Bool) -> Tensor {
        let c = configuration, l = c.contextLength
        precondition(tokens.count % l == 0, "TextTower expects rows of \(l) token ids, got \(tokens.count) ids")
        precondition(
            tokens.allSatisfy { $0 >= 0 && Int($0) < c.vocabularySize },
            "token id outside the vocabulary of \(c.vocabularySize)")
        transformer.mask = AttentionMask(causal: true)
        if training { return encode(tokens: tokens, training: true) }
        // Inference: each thread encodes its share of the rows start to finish.
        return Compute.batchRows(tokens.count / l, width: c.embedDimension) { range in
            encode(
                tokens: range.count * l == tokens.count
                    ? tokens : Array(tokens[(range.lowerBound * l)..<(range.upperBound * l)]), training: false)
        }
    }

    private func encode(tokens: [Int32], training: Bool) -> Tensor {
        let c = configuration, l = c.contextLength, w = c.textWidth
        let b = tokens.count / l
        let table = store.value(tokenEmbedding), pos = store.value(positionalEmbedding)
        let x = Tensor(shape: [b, l, w]) { xp in
            for r in 0..<(b * l) {
                let dst = xp.baseAddress! + r &* w, src = table + Int(tokens[r]) &* w, pr = pos + (r % l) &* w
                for j in 0..<w { dst[j] = src[j] + pr[j] }
            }
        }
        let hidden = lnFinal.forward(transformer.forward(x, training: training), training: training)
        var positions = [Int](repeating: 0, count: b)
        for item in 0..<b {
            var best = 0
            for t in 1..<l where tokens[item * l + t] > tokens[item * l + best] { best = t }
            positions[item] = best
        }
        let gathered = hidden.withUnsafeBufferPointer { hp in
            Tensor(shape: [b, w]) { gp in
                for item in 0..<b {
                    (gp.baseAddress! + item &* w).update(
                        from: hp.baseAddress! + (item &* l &+ positions[item]) &* w, count: w)
                }
            }
        }
        if training {
            lastTokens = tokens
            lastPositions = positions
            pooled = gathered
        }
        return TowerMath.project(gathered, projection, store: store)
    }

    public func backward(_ dEmbedding: Tensor) {
        let c = configuration, l = c.contextLength, w = c.textWidth
        let b = lastPositions.count
        let dPooled = TowerMath.projectBackward(dEmbedding, input: pooled, projection, store: store)
        var dHidden = Tensor(shape: [b, l, w], repeating: 0)
        dHidden.withUnsafeMutableBufferPointer { hp in
            dPooled.withUnsafeBufferPointer { gp in
                for item in 0..<b {
                    (hp.baseAddress! + (item &* l &+ lastPositions[item]) &* w).update(
                        from: gp.baseAddress! + item &* w, count: w)
                }
            }
        }
        let dx = transformer.backward(lnFinal.backward(dHidden))
        dx.withUnsafeBufferPointer { dp in
            let d = dp.baseAddress!
            if store.isTrainable(positionalEmbedding) {
                let dpos = store.grad(positionalEmbedding)
                for r in 0..<(b * l) {
                    let pr = dpos + (r % l) &* w, src = d + r &* w
                    for j in 0..<w { pr[j] += src[j] }
                }
            }
            if store.isTrainable(tokenEmbedding) {
                let dtable = store.grad(tokenEmbedding)
                for r in 0..<(b * l) {
                    let row = dtable + Int(lastTokens[r]) &* w, src = d + r &* w
                    for j in 0..<w { row[j] += src[j] }
                }
            }
        }
    }
}
