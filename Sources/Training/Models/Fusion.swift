/// The fusion part of `fusion` (PairDxFusion-like), everything after the image tower:
///
///     v = image_proj(f)                      f: ResNet-18 feature [B, 512·m] → v [B, E]
///     w = text_proj(embedding(tokens))       [B, T, d] → [B, T, E]
///     a = cross_attention(query: v, keys/values: w, padding masked)      [B, E]
///     logits = head(concat(v, a))            2E → E, ReLU, dropout, E → classes
///
/// Sizes are our reconstruction (the paper publishes none): E = recipe `width` (default 128), `heads`
/// (default 4), d = GloVe's dimension (50) or 50 when learned. Names follow PyTorch module paths
/// (`image_proj.*`, `embedding.weight`, `text_proj.*`, `cross_attention.*`, `head.0.*`, `head.3.*`).
///
/// Cost per batch: O(B·(F·E + T·d·E + T·E² + E·classes)).
public final class FusionHead {
    public let store: ParameterStore
    public let featureDim: Int
    public let width: Int
    public let imageProj: Linear
    public let embedding: Embedding
    public let textProj: Linear
    public let attention: MultiHeadAttention
    public let head: Sequential

    private var batch = 0

    /// Registers the head's parameters in `store` (shared with the image tower: one block per model).
    public init(
        _ store: ParameterStore, featureDim: Int, vocab: Int, embeddingDim: Int, width: Int, heads: Int,
        classes: Int, dropout: Float, frozenEmbeddings: Bool, seed: UInt64, generator g: inout SeededGenerator
    ) {
        self.store = store; self.featureDim = featureDim; self.width = width
        imageProj = Linear(store, name: "image_proj", inFeatures: featureDim, outFeatures: width, generator: &g)
        embedding = Embedding(
            store, name: "embedding", vocab: vocab, dim: embeddingDim, frozen: frozenEmbeddings, generator: &g)
        textProj = Linear(store, name: "text_proj", inFeatures: embeddingDim, outFeatures: width, generator: &g)
        attention = MultiHeadAttention(
            store, name: "cross_attention", width: width, heads: heads, softmax: .exact, generator: &g)
        head = Sequential([
            Linear(store, name: "head.0", inFeatures: 2 * width, outFeatures: width, generator: &g),
            ReLU(),
            Dropout(p: dropout, seed: seed &+ 0xF05E),
            Linear(store, name: "head.3", inFeatures: width, outFeatures: classes, generator: &g)
        ])
    }

    /// Logits [B, classes] from image features [B, F] and padded tokens.
    public func forward(features: Tensor, tokens: [Int32], tokenLength: Int, lengths: [Int], training: Bool) -> Tensor {
        let b = features.shape[0]
        precondition(
            features.shape == [b, featureDim], "fusion expects features [B, \(featureDim)], got \(features.shape)")
        batch = b
        let v = imageProj.forward(features, training: training)
        let w = textProj.forward(
            embedding.forward(tokens, batch: b, tokens: tokenLength, training: training), training: training)
        attention.mask = AttentionMask(lengths: lengths)
        let a = attention.forward(query: v.reshaped([b, 1, width]), keys: w, values: w, training: training)
        let e = width
        let joined = v.withUnsafeBufferPointer { vp in
            a.withUnsafeBufferPointer { ap in
                Tensor(shape: [b, 2 * e]) { o in
                    for r in 0..<b {
                        (o.baseAddress! + r * 2 * e).update(from: vp.baseAddress! + r * e, count: e)
                        (o.baseAddress! + r * 2 * e + e).update(from: ap.baseAddress! + r * e, count: e)
                    }
                }
            }
        }
        return head.forward(joined, training: training)
    }

    /// Back-propagates ∂loss/∂logits; accumulates the head's gradients and returns ∂loss/∂features [B, F].
    public func backward(_ dLogits: Tensor) -> Tensor {
        let b = batch, e = width
        let dJoined = head.backward(dLogits)
        var dv = Tensor(shape: [b, 1, e])
        var da = Tensor(shape: [b, 1, e])
        dJoined.withUnsafeBufferPointer { j in
            dv.withUnsafeMutableBufferPointer { vp in
                da.withUnsafeMutableBufferPointer { ap in
                    for r in 0..<b {
                        vp.baseAddress!.advanced(by: r * e).update(from: j.baseAddress! + r * 2 * e, count: e)
                        ap.baseAddress!.advanced(by: r * e).update(from: j.baseAddress! + r * 2 * e + e, count: e)
                    }
                }
            }
        }
        let (dq, dk, dvals) = attention.backwardCross(da)
        dv.withUnsafeMutableBufferPointer { vp in
            dq.withUnsafeBufferPointer { q in for i in 0..<vp.count { vp[i] += q[i] } }
        }
        var dw = dk
        dw.withUnsafeMutableBufferPointer { a in
            dvals.withUnsafeBufferPointer { x in for i in 0..<a.count { a[i] += x[i] } }
        }
        embedding.backward(textProj.backward(dw))
        return imageProj.backward(dv.reshaped([b, e]))
    }
}
