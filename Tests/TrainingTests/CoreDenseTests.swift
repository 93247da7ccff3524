import Testing
@testable import Training

/// Finite-difference checks (central differences, step 1e-3 on Float32, absolute error < 2e-3; the step is small enough not to cross a ReLU kink on this data) of the dense layers
/// and the loss, plus optimiser arithmetic against hand-computed PyTorch formulas.
struct CoreDenseTests {
    /// Loss of a tiny MLP (Linear → ReLU → Linear → cross-entropy) on fixed data.
    final class TinyMLP {
        let store = ParameterStore()
        let fc1: Linear, relu = ReLU(), fc2: Linear
        let loss = SoftmaxCrossEntropy()
        init() {
            var g = SeededGenerator(seed: 7)
            fc1 = Linear(store, name: "fc1", inFeatures: 5, outFeatures: 8, generator: &g)
            fc2 = Linear(store, name: "fc2", inFeatures: 8, outFeatures: 3, generator: &g)
        }
        func lossValue(_ x: Tensor, _ y: [Int], training: Bool = true) -> Float {
            loss.forward(
                logits: fc2.forward(
                    relu.forward(fc1.forward(x, training: training), training: training), training: training), labels: y
            )
        }
        func backward() -> Tensor { fc1.backward(relu.backward(fc2.backward(loss.backward()))) }
    }

    static func batch() -> (Tensor, [Int]) {
        var g = SeededGenerator(seed: 3)
        let x = Tensor(shape: [4, 5], storage: (0..<20).map { _ in g.nextNormal() })
        return (x, [0, 2, 1, 2])
    }

    @Test func linearAndCrossEntropyGradientsMatchFiniteDifferences() {
        let mlp = TinyMLP()
        let (x, y) = Self.batch()
        mlp.store.zeroGrad()
        _ = mlp.lossValue(x, y)
        let dx = mlp.backward()
        let analytic = Array(mlp.store.allGrads)
        let values = mlp.store.allValues
        let h: Float = 1e-3
        var worst: Float = 0
        for i in 0..<mlp.store.parameterCount {
            let saved = values[i]
            values[i] = saved + h
            let up = mlp.lossValue(x, y, training: false)
            values[i] = saved - h
            let down = mlp.lossValue(x, y, training: false)
            values[i] = saved
            worst = max(worst, abs((up - down) / (2 * h) - analytic[i]))
        }
        #expect(worst < 2e-3, "worst parameter-gradient error \(worst)")
        var worstX: Float = 0
        for i in 0..<x.count {
            var xp = x, xm = x
            xp.storage[i] += h
            xm.storage[i] -= h
            let numeric = (mlp.lossValue(xp, y, training: false) - mlp.lossValue(xm, y, training: false)) / (2 * h)
            worstX = max(worstX, abs(numeric - dx.storage[i]))
        }
        #expect(worstX < 2e-3, "worst input-gradient error \(worstX)")
    }

    @Test func gradientsAccumulateUntilZeroed() {
        let mlp = TinyMLP()
        let (x, y) = Self.batch()
        mlp.store.zeroGrad()
        _ = mlp.lossValue(x, y)
        _ = mlp.backward()
        let once = Array(mlp.store.allGrads)
        _ = mlp.lossValue(x, y)
        _ = mlp.backward()
        let twice = Array(mlp.store.allGrads)
        for i in 0..<once.count { #expect(abs(twice[i] - 2 * once[i]) <= 1e-6 * max(1, abs(once[i]))) }
        mlp.store.zeroGrad()
        #expect(mlp.store.allGrads.allSatisfy { $0 == 0 })
    }

    @Test func crossEntropyOfUniformLogitsIsLogK() {
        let ce = SoftmaxCrossEntropy()
        let loss = ce.forward(logits: Tensor(shape: [2, 4], repeating: 3), labels: [1, 3])
        #expect(abs(loss - Float(1.3862944)) < 1e-6)
    }

    @Test func sgdMomentumAndDecayFollowTorchFormula() {
        let store = ParameterStore()
        let p = store.parameter("w", shape: [1])
        store.value(p)[0] = 1
        let sgd = SGD(store, momentum: 0.9, weightDecay: 0.1)
        store.grad(p)[0] = 0.5
        sgd.step(learningRate: 0.1)  // d = 0.5 + 0.1 = 0.6; buf = 0.6; w = 1 − 0.06
        #expect(abs(store.value(p)[0] - 0.94) < 1e-6)
        sgd.step(learningRate: 0.1)  // d = 0.5 + 0.094 = 0.594; buf = 0.54 + 0.594 = 1.134; w = 0.94 − 0.1134
        #expect(abs(store.value(p)[0] - 0.8266) < 1e-6)
    }

    @Test func adamWFirstStepMovesByLearningRate() {
        let store = ParameterStore()
        let p = store.parameter("w", shape: [2])
        store.value(p)[0] = 1
        store.value(p)[1] = -2
        store.grad(p)[0] = 0.3
        store.grad(p)[1] = -4
        AdamW(store, weightDecay: 0.01).step(learningRate: 0.01)
        // First step: m̂/√v̂ = sign(g); w·(1 − lr·λ) − lr·sign(g) (ε negligible).
        #expect(abs(store.value(p)[0] - (1 * (1 - 1e-4) - 0.01)) < 1e-6)
        #expect(abs(store.value(p)[1] - (-2 * (1 - 1e-4) + 0.01)) < 1e-6)
    }

    @Test func frozenParametersAreNotUpdated() {
        let store = ParameterStore()
        let p = store.parameter("frozen", shape: [3], trainable: false)
        store.value(p)[0] = 1
        store.grad(p)[0] = 1
        SGD(store, momentum: 0.9).step(learningRate: 1)
        #expect(store.value(p)[0] == 1)
    }

    @Test func schedulesWarmUpThenDecay() {
        let step = StepSchedule(base: 0.1, stepSize: 10, gamma: 0.5, warmupSteps: 5)
        #expect(abs(step.learningRate(atStep: 0) - 0.02) < 1e-7)
        #expect(abs(step.learningRate(atStep: 5) - 0.1) < 1e-7)
        #expect(abs(step.learningRate(atStep: 15) - 0.05) < 1e-7)
        let cosine = CosineSchedule(base: 1, totalSteps: 12, minimum: 0, warmupSteps: 2)
        #expect(abs(cosine.learningRate(atStep: 1) - 1) < 1e-7)
        #expect(abs(cosine.learningRate(atStep: 2) - 1) < 1e-7)
        #expect(abs(cosine.learningRate(atStep: 7) - 0.5) < 1e-6)
        #expect(cosine.learningRate(atStep: 12) < 1e-7)
        #expect(cosine.learningRate(atStep: 50) < 1e-7)
    }

    @Test func channelMajorSwapRoundTrips() {
        let t = Tensor(shape: [2, 3, 2], storage: (0..<12).map(Float.init))
        let s = t.swappingLeadingAxes()
        #expect(s.shape == [3, 2, 2])
        #expect(s[1, 0, 1] == t[0, 1, 1])
        #expect(s.swappingLeadingAxes() == t)
    }
}
