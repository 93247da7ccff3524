import Foundation
import Testing
@testable import Training

/// Forward values and gradients of the text/fusion layers and models against PyTorch 2.13 (float64 references
/// stored as float32). Tolerance: |ours − torch| ≤ 1e-5 + 1e-4·|torch| per element, unless stated.
@Suite("Models against PyTorch") struct ModelsGradientTests {
    @Test func embeddingGathersAndScattersLikeTorch() throws {
        let f = try modelFixture("embedding")
        let store = ParameterStore()
        var g = SeededGenerator(seed: 1)
        let emb = Embedding(store, name: "emb", vocab: 12, dim: 5, generator: &g)
        emb.load(try f.values("weight"))
        let ids = try f.int32s("ids")
        let out = emb.forward(ids, batch: 2, tokens: 4, training: true)
        #expect(excess(out.storage, try f.values("out")) <= 0)
        store.zeroGrad()
        emb.backward(try f.tensorValue("grad_out"))
        #expect(excess(gradient(store, "emb.weight"), try f.values("grad.weight")) <= 0)
        // Frozen: no gradient reaches the table and the optimiser sees it as not trainable.
        emb.frozen = true
        store.zeroGrad()
        emb.backward(try f.tensorValue("grad_out"))
        #expect(gradient(store, "emb.weight").allSatisfy { $0 == 0 })
        #expect(store.parameterEntry(named: "emb.weight")?.trainable == false)
    }

    @Test func crossAttentionWithPaddingMasksMatchesTorch() throws {
        let f = try modelFixture("attention")
        let store = ParameterStore()
        var g = SeededGenerator(seed: 1)
        let attn = MultiHeadAttention(store, name: "attn", width: 8, heads: 2, softmax: .exact, generator: &g)
        #expect(f.loadParameters(into: store) == 4)
        attn.mask = AttentionMask(lengths: try f.ints("lengths"))
        let y = attn.forward(
            query: try f.tensorValue("query"), keys: try f.tensorValue("keys"), values: try f.tensorValue("values"),
            training: true)
        #expect(y.shape == [3, 2, 8])
        #expect(excess(y.storage, try f.values("out")) <= 0)
        // Masked keys get exactly zero weight.
        let w = attn.attentionWeights
        for h in 0..<2 { for r in 0..<2 { for j in 1..<5 { #expect(w[2, h, r, j] == 0) } } }
        store.zeroGrad()
        let (dq, dk, dv) = attn.backwardCross(try f.tensorValue("grad_out"))
        #expect(excess(dq.storage, try f.values("grad.query")) <= 0)
        #expect(excess(dk.storage, try f.values("grad.keys")) <= 0)
        #expect(excess(dv.storage, try f.values("grad.values")) <= 0)
        // Padded key positions receive no gradient.
        for j in 3..<5 { for c in 0..<8 { #expect(dk[1, j, c] == 0 && dv[1, j, c] == 0) } }
        for n in ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"] {
            #expect(excess(gradient(store, "attn." + n), try f.values("grad.attn." + n)) <= 0, "\(n)")
        }
    }

    @Test func attentionOverNoValidKeyGivesTheOutputBiasNotNaN() throws {
        let store = ParameterStore()
        var g = SeededGenerator(seed: 3)
        let attn = MultiHeadAttention(store, name: "a", width: 4, heads: 2, softmax: .exact, generator: &g)
        store.value(attn.output.bias!).update(repeating: 0.25, count: 4)
        var rng = SeededGenerator(seed: 4)
        let q = Tensor(shape: [1, 1, 4], storage: (0..<4).map { _ in rng.nextNormal() })
        let k = Tensor(shape: [1, 3, 4], storage: (0..<12).map { _ in rng.nextNormal() })
        attn.mask = AttentionMask(lengths: [0])
        let y = attn.forward(query: q, keys: k, values: k, training: true)
        #expect(y.storage == [0.25, 0.25, 0.25, 0.25])
        let (dq, dk, _) = attn.backwardCross(Tensor(shape: [1, 1, 4], repeating: 1))
        #expect(dq.storage.allSatisfy { $0 == 0 } && dk.storage.allSatisfy { $0 == 0 })
    }

    @Test func textEncoderLogitsAndGradientsMatchTorch() throws {
        let f = try modelFixture("text_encoder")
        let model = TextEncoder(
            vocab: 20, embeddingDim: 6, width: 8, heads: 2, classes: 4, dropout: 0, frozenEmbeddings: false, seed: 1)
        #expect(f.loadParameters(into: model.store) == model.store.parameters.count)
        let ids = try f.int32s("ids"), lengths = try f.ints("lengths"), labels = try f.ints("labels")
        let logits = model.forward(tokens: ids, batch: 3, tokenLength: 5, lengths: lengths, training: true)
        #expect(excess(logits.storage, try f.values("logits")) <= 0)
        let ce = SoftmaxCrossEntropy()
        let loss = ce.forward(logits: logits, labels: labels)
        #expect(abs(loss - (try f.values("loss"))[0]) <= 1e-5)
        model.store.zeroGrad()
        model.backward(ce.backward())
        for e in model.store.parameters {
            #expect(excess(gradient(model.store, e.name), try f.values("grad." + e.name)) <= 0, "\(e.name)")
        }
    }

    /// Ten AdamW steps (lr 1e-2, decay 0.01 except embedding and pool query): losses within 1e-4 of PyTorch's.
    @Test func textEncoderTrainsLikeTorchForTenAdamWSteps() throws {
        let f = try modelFixture("text_encoder")
        let model = TextEncoder(
            vocab: 20, embeddingDim: 6, width: 8, heads: 2, classes: 4, dropout: 0, frozenEmbeddings: false, seed: 1)
        f.loadParameters(into: model.store)
        let ids = try f.int32s("ids"), lengths = try f.ints("lengths"), labels = try f.ints("labels")
        let opt = AdamW(model.store, weightDecay: 0.01)
        let ce = SoftmaxCrossEntropy()
        var losses: [Float] = []
        for _ in 0..<10 {
            model.store.zeroGrad()
            losses.append(
                ce.forward(
                    logits: model.forward(tokens: ids, batch: 3, tokenLength: 5, lengths: lengths, training: true),
                    labels: labels))
            model.backward(ce.backward())
            opt.step(learningRate: 1e-2)
        }
        let reference = try f.values("adamw_losses")
        #expect(excess(losses, reference, rtol: 0, atol: 1e-4) <= 0, "\(losses) vs \(reference)")
        #expect(losses.last! < losses.first!)
    }

    @Test func fusionHeadLogitsAndGradientsMatchTorch() throws {
        let f = try modelFixture("fusion_head")
        let store = ParameterStore()
        var g = SeededGenerator(seed: 2)
        let model = FusionHead(
            store, featureDim: 16, vocab: 20, embeddingDim: 6, width: 8, heads: 2, classes: 4,
            dropout: 0, frozenEmbeddings: false, seed: 2, generator: &g)
        #expect(f.loadParameters(into: store) == store.parameters.count)
        let logits = model.forward(
            features: try f.tensorValue("features"), tokens: try f.int32s("ids"), tokenLength: 5,
            lengths: try f.ints("lengths"), training: true)
        #expect(excess(logits.storage, try f.values("logits")) <= 0)
        let ce = SoftmaxCrossEntropy()
        let loss = ce.forward(logits: logits, labels: try f.ints("labels"))
        #expect(abs(loss - (try f.values("loss"))[0]) <= 1e-5)
        store.zeroGrad()
        let dFeatures = model.backward(ce.backward())
        #expect(excess(dFeatures.storage, try f.values("grad.features")) <= 0)
        for e in store.parameters {
            #expect(excess(gradient(store, e.name), try f.values("grad." + e.name)) <= 0, "\(e.name)")
        }
    }
}
