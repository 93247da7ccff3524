import Testing
@testable import Training

/// Central finite differences (loss L = Σ y·r for a fixed random r, accumulated in Double) against the analytic
/// backward passes: evidence independent of the PyTorch fixtures, including the residual wiring of a basic block.
struct CoreFiniteDifferenceTests {
    static func random(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Training.Tensor {
        var g = SeededGenerator(seed: seed)
        return Training.Tensor(shape: shape) { p in for i in 0..<p.count { p[i] = g.nextNormal() * scale } }
    }

    static func loss(_ y: Training.Tensor, _ r: Training.Tensor) -> Double {
        zip(y.storage, r.storage).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }

    /// Largest |numeric − analytic| / max(1, |analytic|) over `indices` of the input and of every parameter.
    static func check(
        _ layer: any Layer, store: ParameterStore, input: Training.Tensor, indices: Int = 40, h: Float = 1e-3
    ) -> Float {
        let y = layer.forward(input, training: true)
        let r = random(y.shape, seed: 99)
        store.zeroGrad()
        let dx = layer.backward(r)
        let grads = Array(store.allGrads)
        var worst: Float = 0
        func probe(_ analytic: Float, _ perturb: (Float) -> Void) {
            perturb(h)
            let up = loss(layer.forward(input2, training: true), r)
            perturb(-2 * h)
            let down = loss(layer.forward(input2, training: true), r)
            perturb(h)
            let numeric = Float((up - down) / Double(2 * h))
            worst = max(worst, abs(numeric - analytic) / max(1, abs(analytic)))
        }
        var input2 = input
        let stepX = max(1, input.count / indices)
        for i in stride(from: 0, to: input.count, by: stepX) {
            probe(dx.storage[i]) { input2.storage[i] += $0 }
        }
        let values = store.allValues
        let stepP = max(1, store.parameterCount / indices)
        for i in stride(from: 0, to: store.parameterCount, by: stepP) {
            probe(grads[i]) { values[i] += $0 }
        }
        return worst
    }

    @Test func batchNormInTrainingMode() {
        let store = ParameterStore()
        let bn = BatchNorm2d(store, name: "bn", channels: 3)
        for (i, v) in [1.5, 0.7, 1.1].enumerated() { store.value(bn.weight)[i] = Float(v) }
        let e = Self.check(bn, store: store, input: Self.random([3, 2, 4, 4], seed: 1, scale: 2))
        #expect(e < 2e-2, "BatchNorm2d finite-difference error \(e)")
    }

    @Test func stridedPaddedConvolution() {
        let store = ParameterStore()
        var g = SeededGenerator(seed: 2)
        let conv = Conv2d(
            store, name: "conv", inChannels: 3, outChannels: 4, kernel: 3, stride: 2, padding: 1,
            bias: true, workspace: Workspace(), generator: &g)
        let e = Self.check(conv, store: store, input: Self.random([3, 2, 7, 7], seed: 3))
        #expect(e < 1e-2, "Conv2d finite-difference error \(e)")
    }

    @Test func basicBlockWithDownsample() {
        let store = ParameterStore()
        var g = SeededGenerator(seed: 4)
        let block = BasicBlock(
            store, name: "layer2.0", inChannels: 3, outChannels: 5, stride: 2, workspace: Workspace(), generator: &g)
        let e = Self.check(block, store: store, input: Self.random([3, 4, 6, 6], seed: 5))
        #expect(e < 2e-2, "BasicBlock finite-difference error \(e)")
    }
}
