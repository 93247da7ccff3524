import Foundation
import PairDxCore

/// Shapes of BiomedCLIP's text tower: a BERT encoder (Hugging Face `BertModel`, post-LayerNorm, exact GELU)
/// read at the `[CLS]` position, then open_clip's "mlp" projection width → (width + output)/2 → output.
public struct BERTTextConfiguration: Sendable, Equatable, Codable {
    public var vocabularySize: Int
    public var width: Int
    public var layers: Int
    public var heads: Int
    public var mlpWidth: Int
    /// Rows of the position table (`max_position_embeddings`); token rows may be at most this long.
    public var maxPositions: Int
    /// Rows of the token-type table (only type 0 is used).
    public var typeVocabularySize: Int
    /// Token ids per text as the tokeniser writes them.
    public var contextLength: Int
    public var outputDimension: Int
    public var layerNormEpsilon: Float
    /// Whether to register BERT's unused `pooler.dense` (present in state dicts built with the pooler).
    public var poolerParameters: Bool

    public init(
        vocabularySize: Int, width: Int, layers: Int, heads: Int, mlpWidth: Int, maxPositions: Int,
        typeVocabularySize: Int = 2, contextLength: Int, outputDimension: Int, layerNormEpsilon: Float = 1e-12,
        poolerParameters: Bool = false
    ) {
        precondition(width % heads == 0, "BERT width \(width) is not a multiple of \(heads) heads")
        precondition(contextLength <= maxPositions, "context \(contextLength) exceeds the \(maxPositions) positions")
        self.vocabularySize = vocabularySize
        self.width = width
        self.layers = layers
        self.heads = heads
        self.mlpWidth = mlpWidth
        self.maxPositions = maxPositions
        self.typeVocabularySize = typeVocabularySize
        self.contextLength = contextLength
        self.outputDimension = outputDimension
        self.layerNormEpsilon = layerNormEpsilon
        self.poolerParameters = poolerParameters
    }

    /// Width of the projection's hidden layer, open_clip's (d_model + output_dim) // 2.
    public var projectionHidden: Int { (width + outputDimension) / 2 }

    /// PubMedBERT-base (BiomedCLIP): 30,522 tokens, 12 × 768 (12 heads, MLP 3072), 512 positions, context 256,
    /// 512-d output through a 640-wide projection.
    public static let pubMedBERT = BERTTextConfiguration(
        vocabularySize: 30522, width: 768, layers: 12, heads: 12, mlpWidth: 3072,
        maxPositions: 512, contextLength: 256, outputDimension: 512)

    /// The small shapes of the committed test fixture (`TINY` in scripts/fixtures/gen_biomedclip_text_fixtures.py).
    public static let tinyTest = BERTTextConfiguration(
        vocabularySize: 8000, width: 32, layers: 2, heads: 4, mlpWidth: 64,
        maxPositions: 260, contextLength: 256, outputDimension: 16,
        poolerParameters: true)
}

/// BiomedCLIP's text tower as open_clip's `HFTextEncoder` builds it (`proj_type 'mlp'`, pooler
/// `cls_last_hidden_state_pooler`), parameters registered under `<prefix>` + open_clip's state-dict names:
///
///     transformer.embeddings.{word_embeddings,position_embeddings,token_type_embeddings}.weight
///     transformer.embeddings.LayerNorm.{weight,bias}
///     transformer.encoder.layer.N.attention.self.{query,key,value}.{weight,bias}
///     transformer.encoder.layer.N.attention.output.{dense.weight,dense.bias,LayerNorm.weight,LayerNorm.bias}
///     transformer.encoder.layer.N.intermediate.dense.{weight,bias}
///     transformer.encoder.layer.N.output.{dense.weight,dense.bias,LayerNorm.weight,LayerNorm.bias}
///     [transformer.pooler.dense.{weight,bias}: registered when configured, never used]
///     proj.0.weight [hidden, width], proj.2.weight [output, hidden]   (no biases)
///
/// Forward: embeddings word + position + token type 0, LayerNorm (ε 1e-12); each layer
/// x ← LN(x + Attn(x)), x ← LN(x + W₂·GELU(W₁x)) with the exact GELU; keys whose id is `[PAD]` (id `padId`, 0 for
/// PubMedBERT) are masked (probability exactly 0); the hidden state of position 0 goes through
/// Linear → GELU → Linear. Rows are computed only up to the last non-padding position of the batch: padding
/// after it cannot reach position 0, so the result equals the full-length computation. Every matrix product is
/// one BLAS call over all tokens of the batch (per item and head for attention scores). `forward` is the inference
/// path; `forwardTraining` + `backward` accumulate every parameter gradient (for fine-tuning).
/// O(B·T·(4W² + 2W·M)·layers + B·T²·W·layers) for T the longest unpadded row. Not thread-safe (one forward at a time).
public final class BERTTextTower {
    public let configuration: BERTTextConfiguration
    public let prefix: String
    /// Id treated as padding in the attention mask (the tokeniser's `[PAD]`).
    public let padId: Int32
    public let wordEmbeddings: ParameterRef
    public let positionEmbeddings: ParameterRef
    public let typeEmbeddings: ParameterRef
    public let embeddingNorm: LayerNorm
    public let layers: [TransformerBlock]
    public let projectionIn: Linear
    public let projectionOut: Linear
    private let activation = GELU(.erf)
    private let store: ParameterStore

    /// Registers every parameter in `store` under `prefix` (e.g. "text."), initialised from `seed`
    /// (BERT-like: N(0, 0.02)-scale uniform draws, LayerNorm ones/zeros); load real weights afterwards.
    public init(
        _ store: ParameterStore, prefix: String = "", configuration c: BERTTextConfiguration = .pubMedBERT,
        padId: Int32 = 0, seed: UInt64 = 0
    ) {
        self.store = store
        self.prefix = prefix
        self.configuration = c
        self.padId = padId
        var generator = SeededGenerator(seed: seed)
        let e = "\(prefix)transformer.embeddings"
        wordEmbeddings = store.parameter("\(e).word_embeddings.weight", shape: [c.vocabularySize, c.width])
        positionEmbeddings = store.parameter("\(e).position_embeddings.weight", shape: [c.maxPositions, c.width])
        typeEmbeddings = store.parameter("\(e).token_type_embeddings.weight", shape: [c.typeVocabularySize, c.width])
        for p in [wordEmbeddings, positionEmbeddings, typeEmbeddings] {
            Initialisation.uniform(store.value(p), count: p.count, bound: 0.035, using: &generator)
        }
        embeddingNorm = LayerNorm(store, name: "\(e).LayerNorm", features: c.width, epsilon: c.layerNormEpsilon)
        layers = (0..<c.layers).map {
            TransformerBlock(
                store, name: "\(prefix)transformer.encoder.layer.\($0)", scheme: .bert, width: c.width, heads: c.heads,
                mlpWidth: c.mlpWidth, activation: .erf, epsilon: c.layerNormEpsilon, generator: &generator)
        }
        if c.poolerParameters {
            _ = Linear(
                store, name: "\(prefix)transformer.pooler.dense", inFeatures: c.width, outFeatures: c.width,
                generator: &generator)
        }
        projectionIn = Linear(
            store, name: "\(prefix)proj.0", inFeatures: c.width, outFeatures: c.projectionHidden, bias: false,
            generator: &generator)
        projectionOut = Linear(
            store, name: "\(prefix)proj.2", inFeatures: c.projectionHidden, outFeatures: c.outputDimension,
            bias: false, generator: &generator)
    }

    /// Checks that `tokenizer` fits the model before any forward: every id it can emit is inside the embedding
    /// table, and its `[PAD]` is the id this tower masks. Throws `PairDxError.badInput` naming the vocabulary file.
    public func check(_ tokenizer: WordPieceTokenizer) throws {
        let c = configuration
        guard tokenizer.vocabulary.count <= c.vocabularySize else {
            throw PairDxError.badInput(
                "\(tokenizer.source) holds \(tokenizer.vocabulary.count) tokens; the text tower's embedding table has \(c.vocabularySize) rows (a vocab.txt of another model?)"
            )
        }
        guard tokenizer.padId == padId else {
            throw PairDxError.badInput(
                "\(tokenizer.source): [PAD] is id \(tokenizer.padId), the text tower masks id \(padId)")
        }
    }

    /// Text embeddings, `batch × outputDimension` floats (row-major, not L2-normalised), of `batch` rows of token
    /// ids (`tokens.count / batch` ids each, at most `maxPositions`, e.g. `WordPieceTokenizer.encodeBatch`).
    public func forward(tokens: [Int32], batch: Int) -> [Float] {
        run(tokens: tokens, batch: batch, training: false).storage
    }

    /// The same embeddings `[B, E]`, keeping what `backward` needs (the training path).
    public func forwardTraining(tokens: [Int32], batch: Int) -> Tensor {
        run(tokens: tokens, batch: batch, training: true)
    }

    /// Accumulates into the store's gradients ∂L/∂θ for every trainable parameter of the tower, given
    /// ∂L/∂embeddings `[B, E]` of the last `forwardTraining`. Only the rows used get gradient (the ids of the batch,
    /// positions below the longest unpadded row, token type 0); the pooler gets none. O(same as forward).
    public func backward(_ dEmbeddings: Tensor) {
        let c = configuration, w = c.width, b = lastBatch, t = lastLength, l = lastTokens.count / max(1, b)
        precondition(
            b > 0 && dEmbeddings.count == b * c.outputDimension,
            "BERTTextTower.backward: gradient \(dEmbeddings.shape) does not match the last training forward")
        let dCLS = projectionIn.backward(
            activation.backward(projectionOut.backward(dEmbeddings.reshaped([b, c.outputDimension]))))
        var dx = Tensor(shape: [b, t, w], repeating: 0)
        dx.withUnsafeMutableBufferPointer { dp in
            dCLS.withUnsafeBufferPointer { cp in
                for r in 0..<b { (dp.baseAddress! + r &* t &* w).update(from: cp.baseAddress! + r &* w, count: w) }
            }
        }
        for layer in layers.reversed() { dx = layer.backward(dx) }
        dx = embeddingNorm.backward(dx)
        dx.withUnsafeBufferPointer { dp in
            let trainWord = store.isTrainable(wordEmbeddings), trainPos = store.isTrainable(positionEmbeddings)
            let trainType = store.isTrainable(typeEmbeddings)
            let dWord = store.grad(wordEmbeddings), dPos = store.grad(positionEmbeddings),
                dType = store.grad(typeEmbeddings)
            for r in 0..<b {
                for p in 0..<t {
                    let src = dp.baseAddress! + (r &* t &+ p) &* w
                    if trainWord { BLAS.axpy(n: w, alpha: 1, x: src, y: dWord + Int(lastTokens[r * l + p]) &* w) }
                    if trainPos { BLAS.axpy(n: w, alpha: 1, x: src, y: dPos + p &* w) }
                    if trainType { BLAS.axpy(n: w, alpha: 1, x: src, y: dType) }
                }
            }
        }
    }

    private var lastTokens: [Int32] = []
    private var lastBatch = 0
    private var lastLength = 0

    private func run(tokens: [Int32], batch: Int, training: Bool) -> Tensor {
        let c = configuration, w = c.width
        precondition(
            batch > 0 && tokens.count % batch == 0, "BERTTextTower: \(tokens.count) ids do not split into \(batch) rows"
        )
        let l = tokens.count / batch
        precondition(
            l >= 1 && l <= c.maxPositions, "BERTTextTower: rows of \(l) ids, the model has \(c.maxPositions) positions")
        precondition(
            tokens.allSatisfy { $0 >= 0 && Int($0) < c.vocabularySize },
            "token id outside the vocabulary of \(c.vocabularySize)")
        // Keys that may be attended to, and the shortest prefix holding every one of them.
        var t = 1
        var valid = [Bool](repeating: false, count: batch * l)
        for r in 0..<batch {
            for p in 0..<l where tokens[r * l + p] != padId { valid[r * l + p] = true; t = max(t, p + 1) }
        }
        var keyMask = [Bool](repeating: false, count: batch * t)
        for r in 0..<batch {
            let row = valid[(r * l)..<(r * l + t)]
            let any = row.contains(true)
            // an all-padding row attends everywhere
            for p in 0..<t { keyMask[r * t + p] = any ? row[r * l + p] : true }
        }
        let word = store.value(wordEmbeddings), pos = store.value(positionEmbeddings),
            type0 = store.value(typeEmbeddings)
        var x = Tensor(shape: [batch, t, w]) { xp in
            for r in 0..<batch {
                for p in 0..<t {
                    let dst = xp.baseAddress! + (r &* t &+ p) &* w
                    let src = word + Int(tokens[r * l + p]) &* w, pr = pos + p &* w
                    for j in 0..<w { dst[j] = src[j] + type0[j] + pr[j] }
                }
            }
        }
        x = embeddingNorm.forward(x, training: training)
        for layer in layers {
            layer.mask = AttentionMask(keys: .allowed(keyMask))
            x = layer.forward(x, training: training)
        }
        let cls = x.withUnsafeBufferPointer { xp in
            Tensor(shape: [batch, w]) { cp in
                for r in 0..<batch { (cp.baseAddress! + r &* w).update(from: xp.baseAddress! + r &* t &* w, count: w) }
            }
        }
        if training {
            lastTokens = tokens
            lastBatch = batch
            lastLength = t
        }
        let hidden = activation.forward(projectionIn.forward(cls, training: training), training: training)
        return projectionOut.forward(hidden, training: training)
    }
}

/// `CLIPSyntheticWeights`' counter-based stream for the BERT text tower's names (the CLIP rules do not cover
/// them): the same key (FNV-1a-64 of the full name) and fill, with (offset, bound) by the name under the prefix:
/// - names containing `LayerNorm`: weight (1, 0.1), bias (0, 0.05);
/// - other names ending in `bias`: (0, 0.02);
/// - `word_embeddings.weight`: (0, 0.04); `position_embeddings.weight`, `token_type_embeddings.weight`: (0, 0.02);
/// - every other weight of rank 2 (attention, MLP, pooler, projection): (0, 1/√columns).
/// `synthetic_bert_rule` in scripts/fixtures/gen_biomedclip_text_fixtures.py is the same. O(parameters).
public enum BERTSyntheticWeights {
    public static func rule(name: String, shape: [Int]) throws -> (offset: Float, bound: Float) {
        if name.contains("LayerNorm") { return name.hasSuffix("weight") ? (1, 0.1) : (0, 0.05) }
        if name.hasSuffix("bias") { return (0, 0.02) }
        if name.hasSuffix("word_embeddings.weight") { return (0, 0.04) }
        if name.hasSuffix("position_embeddings.weight") || name.hasSuffix("token_type_embeddings.weight") {
            return (0, 0.02)
        }
        guard name.hasSuffix("weight"), shape.count == 2 else {
            throw PairDxError.badInput("BERTSyntheticWeights: no rule for parameter '\(name)' of shape \(shape)")
        }
        return (0, Float(1 / Double(shape[1]).squareRoot()))
    }

    /// Overwrites every parameter of `store` whose name starts with `prefix`.
    public static func apply(to store: ParameterStore, prefix: String) throws {
        for entry in store.parameters where entry.name.hasPrefix(prefix) {
            let (offset, bound) = try rule(name: entry.name, shape: entry.shape)
            CLIPSyntheticWeights.fill(
                store.allValues.baseAddress! + entry.offset, count: entry.count,
                key: CLIPSyntheticWeights.key(entry.name), offset: offset, bound: bound)
        }
    }
}
