import Foundation
import Testing
@testable import Training

/// LayerNorm, QuickGELU, masked multi-head self-attention and the pre-LN residual block against PyTorch
/// (fixture `clip/layers.safetensors`, computed in float64 by scripts/fixtures/gen_clip_fixtures.py): outputs,
/// input gradients and parameter gradients of loss = Σ output·probe. Tolerance: |ours − torch| ≤ 2e-4·(1 + |torch|)
/// element-wise (Float32 against a float64 reference).
struct CLIPLayerTests {
    static func fixture(_ name: String) throws -> SafeTensors.File {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/clip/\(name)", withExtension: nil))
        return try SafeTensors.decode(Data(contentsOf: url), source: name)
    }

    static func tensor(_ f: SafeTensors.File, _ name: String) throws -> Tensor {
        let e = try #require(f.tensors[name], "fixture tensor \(name) missing")
        return Tensor(shape: e.shape, storage: e.values)
    }

    /// Largest |a − b| / (1 + |b|).
    static func worst(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "\(a.count) vs \(b.count) values")
        return zip(a, b).map { abs($0 - $1) / (1 + abs($1)) }.max() ?? 0
    }

    static let tolerance: Float = 2e-4

    @Test func layerNormAndQuickGELUMatchPyTorch() throws {
        let f = try Self.fixture("layers.safetensors")
        let store = ParameterStore()
        let ln = LayerNorm(store, name: "ln", features: 16)
        let gelu = GELU(.quick)
        store.setValue(ln.weight, try Self.tensor(f, "ln.weight"))
        store.setValue(ln.bias, try Self.tensor(f, "ln.bias"))
        let y = gelu.forward(ln.forward(try Self.tensor(f, "ln.x"), training: true), training: true)
        #expect(Self.worst(y.storage, try Self.tensor(f, "ln.y").storage) < Self.tolerance)
        let dx = ln.backward(gelu.backward(try Self.tensor(f, "ln.probe")))
        #expect(Self.worst(dx.storage, try Self.tensor(f, "ln.dx").storage) < Self.tolerance)
        #expect(
            Self.worst(store.gradTensor(ln.weight).storage, try Self.tensor(f, "ln.grad.weight").storage)
                < Self.tolerance)
        #expect(
            Self.worst(store.gradTensor(ln.bias).storage, try Self.tensor(f, "ln.grad.bias").storage) < Self.tolerance)
    }

    @Test(arguments: ["pad", "causal"])
    func residualBlockWithMaskMatchesPyTorch(tag: String) throws {
        let f = try Self.fixture("layers.safetensors")
        let store = ParameterStore()
        var g = SeededGenerator(seed: 1)
        let block = TransformerBlock(
            store, name: "b", scheme: .openCLIP, width: 16, heads: 4, mlpWidth: 64, activation: .quick,
            epsilon: 1e-5, generator: &g)
        for entry in store.parameters {
            let name = String(entry.name.dropFirst(2))
            let t = try Self.tensor(f, "\(tag).block.\(name)")
            #expect(t.count == entry.count, "\(name)")
            store.allValues.baseAddress!.advanced(by: entry.offset).update(from: t.storage, count: entry.count)
        }
        let lengths = try Self.tensor(f, "\(tag).lengths").storage.map { Int($0) }
        block.mask = tag == "causal" ? AttentionMask(causal: true) : AttentionMask(lengths: lengths)
        let y = block.forward(try Self.tensor(f, "\(tag).x"), training: true)
        #expect(Self.worst(y.storage, try Self.tensor(f, "\(tag).y").storage) < Self.tolerance)
        let dx = block.backward(try Self.tensor(f, "\(tag).probe"))
        #expect(Self.worst(dx.storage, try Self.tensor(f, "\(tag).dx").storage) < Self.tolerance)
        for entry in store.parameters {
            let name = String(entry.name.dropFirst(2))
            let grad = Array(store.allGrads[entry.offset..<(entry.offset + entry.count)])
            let e = Self.worst(grad, try Self.tensor(f, "\(tag).grad.\(name)").storage)
            #expect(e < Self.tolerance, "gradient of \(name): worst error \(e)")
        }
    }

    @Test func paddedKeysGetNoAttention() throws {
        // Changing a padded token must not change any output of the items that mask it.
        let store = ParameterStore()
        var g = SeededGenerator(seed: 4)
        let attention = MultiHeadAttention(store, name: "attn", width: 8, heads: 2, generator: &g)
        attention.mask = AttentionMask(lengths: [2, 4])
        var x = Tensor(shape: [2, 4, 8], storage: (0..<64).map { _ in g.nextNormal() })
        let before = attention.forward(x, training: false)
        for j in 0..<8 { x[0, 3, j] += 5 }
        let after = attention.forward(x, training: false)
        #expect(Array(before.storage[0..<16]) == Array(after.storage[0..<16]))
        #expect(before.storage[32...] == after.storage[32...])
    }

    /// Large enough (12 units of 2·40²·16 multiply-adds) for `MultiHeadAttention` to split its (item, head) units over
    /// threads: forward against a float64 loop reference with 1 and 2 threads, bit-identical forward, input and
    /// parameter gradients when repeated with 2 threads, and training (probabilities kept) and inference forward equal.
    @Test(arguments: [AttentionMask(lengths: [40, 17, 1]), AttentionMask(causal: true)])
    func attentionSplitOverThreadsMatchesAReferenceAndIsDeterministic(mask: AttentionMask) {
        let (b, t, d, heads) = (3, 40, 64, 4)
        var g = SeededGenerator(seed: 9)
        let x = Tensor(shape: [b, t, d], storage: (0..<(b * t * d)).map { _ in g.nextNormal() })
        let probe = Tensor(shape: [b, t, d], storage: (0..<(b * t * d)).map { _ in g.nextNormal() })
        var runs: [(y: [Float], inference: [Float], dx: [Float], grads: [Float])] = []
        var reference: [Double] = []
        for threads in [1, 2, 2] {
            Compute.threads = threads
            let store = ParameterStore()
            var initial = SeededGenerator(seed: 3)
            let attention = MultiHeadAttention(store, name: "attn", width: d, heads: heads, generator: &initial)
            for i in 0..<(3 * d) { store.value(attention.query.bias)[i] = 0.1 * initial.nextNormal() }
            attention.mask = mask
            let inference = attention.forward(x, training: false)
            let y = attention.forward(x, training: true)
            store.zeroGrad()
            let dx = attention.backward(probe)
            runs.append((y.storage, inference.storage, dx.storage, Array(store.allGrads)))
            if reference.isEmpty { reference = Self.referenceAttention(attention, store: store, x: x) }
        }
        Compute.threads = 1
        #expect(runs[1].y == runs[2].y && runs[1].inference == runs[2].inference)
        #expect(runs[1].dx == runs[2].dx && runs[1].grads == runs[2].grads)
        for run in runs {
            #expect(run.y == run.inference)
            let e = Self.worst(run.y, reference.map { Float($0) })
            #expect(e < Self.tolerance, "worst error against the float64 reference: \(e)")
        }
        #expect(
            Self.worst(runs[1].dx, runs[0].dx) < Self.tolerance
                && Self.worst(runs[1].grads, runs[0].grads) < Self.tolerance)
    }

    /// softmax(QKᵀ/√d_h + mask)·V then `out_proj`, in float64 loops straight from the definition. O(B·T²·D + B·T·D²).
    static func referenceAttention(_ a: MultiHeadAttention, store: ParameterStore, x: Tensor) -> [Double] {
        let (b, t, d) = (x.shape[0], x.shape[1], a.width), hd = d / a.heads
        let w = store.value(a.query.weight), bias = store.value(a.query.bias)
        let ow = store.value(a.output.weight), ob = store.value(a.output.bias!)
        var out = [Double](repeating: 0, count: b * t * d)
        for item in 0..<b {
            let valid = a.mask.lengths?[item] ?? t
            var qkv = [Double](repeating: 0, count: t * 3 * d)
            for i in 0..<t {
                for o in 0..<(3 * d) {
                    var s = Double(bias[o])
                    for k in 0..<d { s += Double(w[o * d + k]) * Double(x.storage[(item * t + i) * d + k]) }
                    qkv[i * 3 * d + o] = s
                }
            }
            var context = [Double](repeating: 0, count: t * d)
            for h in 0..<a.heads {
                for i in 0..<t {
                    let keys = a.mask.causal ? min(valid, i + 1) : valid
                    var scores = (0..<keys).map { j in
                        (0..<hd).reduce(0.0) { $0 + qkv[i * 3 * d + h * hd + $1] * qkv[j * 3 * d + d + h * hd + $1] }
                            / Double(hd).squareRoot()
                    }
                    let top = scores.max()!
                    scores = scores.map { Foundation.exp($0 - top) }
                    let total = scores.reduce(0, +)
                    for j in 0..<keys {
                        for c in 0..<hd {
                            context[i * d + h * hd + c] += scores[j] / total * qkv[j * 3 * d + 2 * d + h * hd + c]
                        }
                    }
                }
            }
            for i in 0..<t {
                for o in 0..<d {
                    var s = Double(ob[o])
                    for k in 0..<d { s += Double(ow[o * d + k]) * context[i * d + k] }
                    out[(item * t + i) * d + o] = s
                }
            }
        }
        return out
    }

    @Test func exactGELUGradientMatchesFiniteDifferences() {
        let gelu = GELU(.erf)
        let x = Tensor(shape: [9], storage: [-4, -2, -1, -0.3, 0, 0.2, 1, 2.5, 5])
        let y = gelu.forward(x, training: true)
        #expect(abs(y.storage[6] - 0.841_344_7) < 1e-5)  // 1·Φ(1)
        let dx = gelu.backward(Tensor(shape: [9], repeating: 1))
        let h: Float = 1e-2
        for i in 0..<9 {
            var up = x, down = x
            up.storage[i] += h
            down.storage[i] -= h
            let numeric =
                (gelu.forward(up, training: false).storage[i] - gelu.forward(down, training: false).storage[i])
                / (2 * h)
            #expect(abs(numeric - dx.storage[i]) < 1e-3, "x = \(x.storage[i])")
        }
    }
}
