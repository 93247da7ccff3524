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
        #expect(Self.worst(store.gradTensor(ln.weight).storage, try Self.tensor(f, "ln.grad.weight").storage) < Self.tolerance)
        #expect(Self.worst(store.gradTensor(ln.bias).storage, try Self.tensor(f, "ln.grad.bias").storage) < Self.tolerance)
    }

    @Test(arguments: ["pad", "causal"])
    func residualBlockWithMaskMatchesPyTorch(tag: String) throws {
        let f = try Self.fixture("layers.safetensors")
        let store = ParameterStore()
        var g = SeededGenerator(seed: 1)
        let block = ResidualAttentionBlock(store, name: "b", width: 16, heads: 4, generator: &g)
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
        let attention = SelfAttention(store, name: "attn", width: 8, heads: 2, generator: &g)
        attention.mask = AttentionMask(lengths: [2, 4])
        var x = Tensor(shape: [2, 4, 8], storage: (0..<64).map { _ in g.nextNormal() })
        let before = attention.forward(x, training: false)
        for j in 0..<8 { x[0, 3, j] += 5 }
        let after = attention.forward(x, training: false)
        #expect(Array(before.storage[0..<16]) == Array(after.storage[0..<16]))
        #expect(before.storage[32...] == after.storage[32...])
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
            let numeric = (gelu.forward(up, training: false).storage[i] - gelu.forward(down, training: false).storage[i]) / (2 * h)
            #expect(abs(numeric - dx.storage[i]) < 1e-3, "x = \(x.storage[i])")
        }
    }
}
