import Foundation
import Testing
@testable import Training

/// Per-layer forward and backward checks against PyTorch 2.13 (fixtures in `Fixtures/core`), tolerance 1e-4
/// relative to the reference's largest magnitude. Convolutional layers run channel-major, so NCHW fixtures are
/// swapped on the way in and out.
@Suite(.serialized)
struct CoreLayerTests {
    @Test(arguments: [
        ("conv_3x3_s1_p1_bias", 3, 1, 1), ("conv_3x3_s2_p1", 3, 2, 1), ("conv_7x7_s2_p3", 7, 2, 3),
        ("conv_1x1_s2_p0", 1, 2, 0), ("conv_1x1_s1_p0_bias", 1, 1, 0)
    ])
    func conv2dMatchesPyTorch(_ name: String, _ kernel: Int, _ stride: Int, _ padding: Int) throws {
        for threads in [1, 2] {
            Compute.threads = threads
            let f = try CoreFixture.load(name)
            let weight = try CoreFixture.tensor(f, "weight")
            let hasBias = f.tensors["bias"] != nil
            let store = ParameterStore()
            var g = SeededGenerator(seed: 1)
            let conv = Conv2d(
                store, name: "conv", inChannels: weight.shape[1], outChannels: weight.shape[0], kernel: kernel,
                stride: stride, padding: padding, bias: hasBias, workspace: Workspace(), generator: &g)
            store.setValue(conv.weight, weight)
            if let bias = conv.bias { store.setValue(bias, try CoreFixture.tensor(f, "bias")) }
            let x = try CoreFixture.tensor(f, "x").swappingLeadingAxes()
            let y = conv.forward(x, training: true).swappingLeadingAxes()
            CoreFixture.expectClose(y, try CoreFixture.tensor(f, "y"), "\(name) y")
            store.zeroGrad()
            let dx = conv.backward(try CoreFixture.tensor(f, "dy").swappingLeadingAxes()).swappingLeadingAxes()
            CoreFixture.expectClose(dx, try CoreFixture.tensor(f, "dx"), "\(name) dx")
            CoreFixture.expectClose(
                store.gradTensor(conv.weight), try CoreFixture.tensor(f, "dweight"), "\(name) dweight")
            if let bias = conv.bias {
                CoreFixture.expectClose(store.gradTensor(bias), try CoreFixture.tensor(f, "dbias"), "\(name) dbias")
            }
        }
        Compute.threads = 1
    }

    @Test func batchNormMatchesPyTorchInTrainingAndEvaluation() throws {
        let f = try CoreFixture.load("batchnorm")
        let store = ParameterStore()
        let bn = BatchNorm2d(store, name: "bn", channels: 4)
        store.setValue(bn.weight, try CoreFixture.tensor(f, "weight"))
        store.setValue(bn.bias, try CoreFixture.tensor(f, "bias"))
        for (buffer, key) in [(bn.runningMean, "running_mean_start"), (bn.runningVar, "running_var_start")] {
            let t = try CoreFixture.tensor(f, key)
            t.withUnsafeBufferPointer { store.buffer(buffer).update(from: $0.baseAddress!, count: 4) }
        }
        let y = bn.forward(try CoreFixture.tensor(f, "x").swappingLeadingAxes(), training: true).swappingLeadingAxes()
        CoreFixture.expectClose(y, try CoreFixture.tensor(f, "y"), "bn y")
        let dx = bn.backward(try CoreFixture.tensor(f, "dy").swappingLeadingAxes()).swappingLeadingAxes()
        CoreFixture.expectClose(dx, try CoreFixture.tensor(f, "dx"), "bn dx")
        CoreFixture.expectClose(store.gradTensor(bn.weight), try CoreFixture.tensor(f, "dweight"), "bn dweight")
        CoreFixture.expectClose(store.gradTensor(bn.bias), try CoreFixture.tensor(f, "dbias"), "bn dbias")
        let rm = Training.Tensor(
            shape: [4], storage: Array(UnsafeBufferPointer(start: store.buffer(bn.runningMean), count: 4)))
        let rv = Training.Tensor(
            shape: [4], storage: Array(UnsafeBufferPointer(start: store.buffer(bn.runningVar), count: 4)))
        CoreFixture.expectClose(rm, try CoreFixture.tensor(f, "running_mean"), "bn running_mean")
        CoreFixture.expectClose(rv, try CoreFixture.tensor(f, "running_var"), "bn running_var")
        let yEval = bn.forward(try CoreFixture.tensor(f, "x_eval").swappingLeadingAxes(), training: false)
            .swappingLeadingAxes()
        CoreFixture.expectClose(yEval, try CoreFixture.tensor(f, "y_eval"), "bn y_eval")
    }

    @Test(arguments: ["maxpool_9", "maxpool_8"])
    func maxPoolMatchesPyTorch(_ name: String) throws {
        let f = try CoreFixture.load(name)
        let pool = MaxPool2d(kernel: 3, stride: 2, padding: 1)
        let y = pool.forward(try CoreFixture.tensor(f, "x").swappingLeadingAxes(), training: true).swappingLeadingAxes()
        CoreFixture.expectClose(y, try CoreFixture.tensor(f, "y"), tolerance: 0, "\(name) y")
        let dx = pool.backward(try CoreFixture.tensor(f, "dy").swappingLeadingAxes()).swappingLeadingAxes()
        CoreFixture.expectClose(dx, try CoreFixture.tensor(f, "dx"), tolerance: 0, "\(name) dx")
    }

    @Test func linearOnTokenShapedInputMatchesPyTorch() throws {
        let f = try CoreFixture.load("linear")
        let store = ParameterStore()
        var g = SeededGenerator(seed: 1)
        let lin = Linear(store, name: "fc", inFeatures: 6, outFeatures: 5, generator: &g)
        store.setValue(lin.weight, try CoreFixture.tensor(f, "weight"))
        store.setValue(lin.bias!, try CoreFixture.tensor(f, "bias"))
        let y = lin.forward(try CoreFixture.tensor(f, "x"), training: true)
        #expect(y.shape == [2, 3, 5])
        CoreFixture.expectClose(y, try CoreFixture.tensor(f, "y"), "linear y")
        let dx = lin.backward(try CoreFixture.tensor(f, "dy"))
        CoreFixture.expectClose(dx, try CoreFixture.tensor(f, "dx"), "linear dx")
        CoreFixture.expectClose(store.gradTensor(lin.weight), try CoreFixture.tensor(f, "dweight"), "linear dweight")
        CoreFixture.expectClose(store.gradTensor(lin.bias!), try CoreFixture.tensor(f, "dbias"), "linear dbias")
    }

    @Test func crossEntropyMatchesPyTorch() throws {
        let f = try CoreFixture.load("cross_entropy")
        let ce = SoftmaxCrossEntropy()
        let labels = try CoreFixture.tensor(f, "labels").storage.map { Int($0) }
        let loss = ce.forward(logits: try CoreFixture.tensor(f, "logits"), labels: labels)
        let expected = try CoreFixture.tensor(f, "loss").storage[0]
        #expect(abs(loss - expected) <= 1e-5 * max(1, abs(expected)))
        CoreFixture.expectClose(ce.backward(), try CoreFixture.tensor(f, "dlogits"), "cross-entropy dlogits")
    }

    @Test(arguments: ["sgd", "sgd_nesterov", "adamw"])
    func optimizerStepsMatchPyTorch(_ name: String) throws {
        let f = try CoreFixture.load("optimizers")
        let store = ParameterStore()
        let p = store.parameter("p", shape: [12])
        store.setValue(p, try CoreFixture.tensor(f, "p0"))
        let optimizer: any Optimizer
        let lr: Float
        switch name {
        case "sgd": (optimizer, lr) = (SGD(store, momentum: 0.9, weightDecay: 0.01), 0.1)
        case "sgd_nesterov": (optimizer, lr) = (SGD(store, momentum: 0.8, weightDecay: 0.001, nesterov: true), 0.05)
        default: (optimizer, lr) = (AdamW(store, weightDecay: 0.1), 0.01)
        }
        let grads = try CoreFixture.tensor(f, "grads").storage
        let expected = try CoreFixture.tensor(f, name).storage
        for step in 0..<3 {
            for i in 0..<12 { store.grad(p)[i] = grads[step * 12 + i] }
            optimizer.step(learningRate: lr)
            let got = store.valueTensor(p).storage
            #expect(
                CoreFixture.relativeError(got, Array(expected[(step * 12)..<(step * 12 + 12)])) < 1e-5,
                "\(name) step \(step)")
        }
    }

    @Test func globalAveragePoolAndItsAdjoint() {
        let x = Training.Tensor(shape: [2, 3, 2, 2], storage: (0..<24).map(Float.init))
        let pool = GlobalAveragePool()
        let y = pool.forward(x, training: true)
        #expect(y.shape == [3, 2])
        #expect(y[2, 1] == (Float(4 * (1 * 3 + 2)) + 1.5))
        let dx = pool.backward(Training.Tensor(shape: [3, 2], repeating: 4))
        #expect(dx.storage.allSatisfy { $0 == 1 })
    }

    @Test func dropoutIsSeededScaledAndIdentityInEvaluation() {
        let x = Training.Tensor(shape: [4000], repeating: 1)
        let a = Dropout(p: 0.25, seed: 9), b = Dropout(p: 0.25, seed: 9), c = Dropout(p: 0.25, seed: 10)
        let ya = a.forward(x, training: true)
        #expect(ya == b.forward(x, training: true))
        #expect(ya != c.forward(x, training: true))
        let zeros = ya.storage.filter { $0 == 0 }.count
        #expect(zeros > 850 && zeros < 1150)
        #expect(ya.storage.allSatisfy { $0 == 0 || abs($0 - 4.0 / 3.0) < 1e-6 })
        #expect(a.backward(x) == ya)
        #expect(a.forward(x, training: false) == x)
    }
}

/// `BLAS.sleepWhenIdle` stops OpenBLAS's idle workers and restarts them under a short spin: threaded products after it
/// give the same bits as before (and do not hang), and the user's own `OPENBLAS_THREAD_TIMEOUT` would be kept.
struct BLASIdlePolicyTests {
    @Test func threadedProductsAreUnchangedAfterTheWorkersAreRestarted() {
        let n = 320
        var g = SeededGenerator(seed: 11)
        let a = (0..<(n * n)).map { _ in g.nextNormal() }, b = (0..<(n * n)).map { _ in g.nextNormal() }
        func product() -> [Float] {
            var c = [Float](repeating: 0, count: n * n)
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    c.withUnsafeMutableBufferPointer {
                        BLAS.gemm(m: n, n: n, k: n, a: ap.baseAddress!, b: bp.baseAddress!, c: $0.baseAddress!)
                    }
                }
            }
            return c
        }
        defer { Compute.threads = 1 }
        Compute.threads = 2
        let before = product()
        let preset = ProcessInfo.processInfo.environment["OPENBLAS_THREAD_TIMEOUT"]
        BLAS.sleepWhenIdle()
        #expect(ProcessInfo.processInfo.environment["OPENBLAS_THREAD_TIMEOUT"] == (preset ?? "4"))
        #expect(BLAS.threads == 2)
        #expect(product() == before && product() == before)
    }
}
