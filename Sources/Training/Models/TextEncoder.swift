/// The `text` baseline: caption tokens → embeddings (GloVe-initialised or learned) → linear projection to the
/// common width E → attention pooling (one learned query attending over the caption's tokens, padding masked)
/// → MLP (E → E, ReLU, dropout, E → classes).
///
/// Sizes are our reconstruction (the paper publishes none): E = recipe `width` (default 128), `heads` (default 4),
/// embedding dimension = GloVe's (50) or 50 when learned. Parameter names follow PyTorch's module paths:
/// `embedding.weight`, `text_proj.*`, `pool_query`, `pool.*` (as `nn.MultiheadAttention`), `head.0.*`, `head.3.*`.
///
/// Cost per batch: O(B·T·(d·E + E²)) for the projections plus O(E² + E·classes) per sample for the head.
public final class TextEncoder {
    public let store: ParameterStore
    public let embedding: Embedding
    public let textProj: Linear
    public let poolQuery: ParameterRef
    public let pool: MultiHeadAttention
    public let head: Sequential
    public let width: Int

    private var batch = 0
    private var tokenLength = 0

    public init(
        vocab: Int, embeddingDim: Int, width: Int, heads: Int, classes: Int, dropout: Float,
        frozenEmbeddings: Bool, seed: UInt64
    ) {
        let store = ParameterStore()
        var g = SeededGenerator(seed: seed)
        self.store = store
        self.width = width
        embedding = Embedding(
            store, name: "embedding", vocab: vocab, dim: embeddingDim, frozen: frozenEmbeddings, generator: &g)
        textProj = Linear(store, name: "text_proj", inFeatures: embeddingDim, outFeatures: width, generator: &g)
        poolQuery = store.parameter("pool_query", shape: [1, 1, width], decay: false)
        Initialisation.normal(store.value(poolQuery), count: width, std: 0.02, using: &g)
        pool = MultiHeadAttention(store, name: "pool", width: width, heads: heads, softmax: .exact, generator: &g)
        head = Sequential([
            Linear(store, name: "head.0", inFeatures: width, outFeatures: width, generator: &g),
            ReLU(),
            Dropout(p: dropout, seed: seed &+ 0x7E57),
            Linear(store, name: "head.3", inFeatures: width, outFeatures: classes, generator: &g)
        ])
    }

    /// The pooled caption representation [B, E].
    public func encode(tokens: [Int32], batch: Int, tokenLength: Int, lengths: [Int], training: Bool) -> Tensor {
        self.batch = batch; self.tokenLength = tokenLength
        let e = embedding.forward(tokens, batch: batch, tokens: tokenLength, training: training)
        let w = textProj.forward(e, training: training)
        let q = store.valueTensor(poolQuery)
        let query = Tensor(shape: [batch, 1, width]) { p in
            for b in 0..<batch { (p.baseAddress! + b * width).update(from: q.storage, count: width) }
        }
        pool.mask = AttentionMask(lengths: lengths)
        return pool.forward(query: query, keys: w, values: w, training: training).reshaped([batch, width])
    }

    /// Logits [B, classes].
    public func forward(tokens: [Int32], batch: Int, tokenLength: Int, lengths: [Int], training: Bool) -> Tensor {
        head.forward(
            encode(tokens: tokens, batch: batch, tokenLength: tokenLength, lengths: lengths, training: training),
            training: training)
    }

    /// Back-propagates ∂loss/∂logits of the last training forward into the store's gradients.
    public func backward(_ dLogits: Tensor) {
        let dPooled = head.backward(dLogits).reshaped([batch, 1, width])
        let (dq, dk, dv) = pool.backwardCross(dPooled)
        let gq = store.grad(poolQuery)
        dq.withUnsafeBufferPointer { d in
            for b in 0..<batch { for c in 0..<width { gq[c] += d[b * width + c] } }
        }
        var dw = dk
        dw.withUnsafeMutableBufferPointer { a in
            dv.withUnsafeBufferPointer { b in for i in 0..<a.count { a[i] += b[i] } }
        }
        let de = textProj.backward(dw)
        embedding.backward(de)
    }
}
