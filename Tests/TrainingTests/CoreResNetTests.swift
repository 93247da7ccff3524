import Foundation
import PairDxCore
import Testing
@testable import Training

/// Whole-network checks of ResNet-18 against PyTorch (a 1/16-width copy with torchvision's layout and names),
/// the torchvision-name weight loader, and run-to-run determinism.
@Suite(.serialized)
struct CoreResNetTests {
    static func narrowNetwork(seed: UInt64 = 1) -> ResNet18 {
        var g = SeededGenerator(seed: seed)
        return ResNet18(ParameterStore(), widthMultiplier: 0.0625, classes: 6, generator: &g)
    }

    @Test func tenSGDStepsFollowPyTorchsLossCurve() throws {
        // The weights file is PyTorch's own safetensors output (torchvision names, random initialisation).
        let weightsURL = try #require(
            Bundle.module.url(forResource: "Fixtures/core/resnet_weights", withExtension: "safetensors"))
        let f = try CoreFixture.load("resnet_training")
        let net = Self.narrowNetwork()
        try net.loadWeights(SafeTensors.read(weightsURL.path), source: "resnet_weights.safetensors")
        let images = try CoreFixture.tensor(f, "images")
        let labels = try CoreFixture.tensor(f, "labels").storage.map { Int($0) }
        let expected = try CoreFixture.tensor(f, "losses").storage
        let sgd = SGD(net.store, momentum: 0.9, weightDecay: 1e-4)
        let ce = SoftmaxCrossEntropy()
        var losses: [Float] = []
        for step in 0..<10 {
            net.store.zeroGrad()
            let logits = net.forward(images, training: true)
            losses.append(ce.forward(logits: logits, labels: labels))
            _ = net.backward(ce.backward())
            if step == 0 {
                CoreFixture.expectClose(logits, try CoreFixture.tensor(f, "logits"), "first-step logits")
                for name in [
                    "conv1.weight", "bn1.weight", "layer1.0.conv1.weight", "layer2.0.downsample.0.weight",
                    "layer4.1.conv2.weight", "layer4.1.bn2.bias", "fc.weight", "fc.bias"
                ] {
                    let entry = try #require(net.store.parameterEntry(named: name))
                    let got = Array(
                        UnsafeBufferPointer(start: net.store.allGrads.baseAddress! + entry.offset, count: entry.count))
                    let want = try CoreFixture.tensor(f, "grad." + name).storage
                    let e = CoreFixture.relativeError(got, want)
                    #expect(e < 1e-3, "gradient of \(name): relative error \(e)")
                }
            }
            sgd.step(learningRate: 0.02)
        }
        for (got, want) in zip(losses, expected) {
            #expect(abs(got - want) < 1e-3, "losses \(losses) vs PyTorch \(expected)")
        }
        #expect(losses.last! < losses.first!)
        // After ten steps the weights carry float32 rounding drift (~1e-5 relative); running statistics and the
        // evaluation logits that depend on them are compared with correspondingly looser tolerances.
        let rv = try #require(net.store.bufferEntry(named: "layer3.1.bn1.running_var"))
        let runningVar = Array(
            UnsafeBufferPointer(start: net.store.allBuffers.baseAddress! + rv.offset, count: rv.count))
        let rvError = CoreFixture.relativeError(
            runningVar, try CoreFixture.tensor(f, "running_var.layer3.1.bn1").storage)
        #expect(rvError < 1e-3, "running variance after 10 steps: relative error \(rvError)")
        let evalLogits = net.forward(images, training: false)
        CoreFixture.expectClose(
            evalLogits, try CoreFixture.tensor(f, "eval_logits"), tolerance: 5e-3, "evaluation logits after training")
    }

    @Test func loaderReportsMissingAndMisshapenTensorsWithoutTouchingTheModel() throws {
        var weights = try CoreFixture.load("resnet_weights")
        let net = Self.narrowNetwork()
        let before = Array(net.store.allValues)
        weights.tensors["layer3.1.bn1.running_var"] = nil
        #expect(throws: PairDxError.self) { try net.loadWeights(source: "w.safetensors") { weights.tensors[$0] } }
        do {
            try net.loadWeights(source: "w.safetensors") { weights.tensors[$0] }
        } catch let error as PairDxError {
            #expect(error.message.contains("layer3.1.bn1.running_var") && error.message.contains("w.safetensors"))
        }
        weights = try CoreFixture.load("resnet_weights")
        weights.tensors["fc.weight"] = Training.Tensor(shape: [1000, 32])
        #expect(throws: PairDxError.self) { try net.loadWeights(source: "w.safetensors") { weights.tensors[$0] } }
        #expect(Array(net.store.allValues) == before)
        try net.loadWeights(source: "w.safetensors", includeClassifier: false) { weights.tensors[$0] }
        #expect(Array(net.store.allValues) != before)
    }

    @Test func exportedWeightsRoundTripThroughTorchvisionNames() throws {
        let a = Self.narrowNetwork(seed: 3), b = Self.narrowNetwork(seed: 4)
        #expect(Array(a.store.allValues) != Array(b.store.allValues))
        let exported = a.exportWeights()
        #expect(exported["layer2.0.downsample.1.running_mean"]?.shape == [8])
        #expect(exported.count == 62 + 40)
        try b.loadWeights(source: "exported") { exported[$0] }
        #expect(Array(a.store.allValues) == Array(b.store.allValues))
        #expect(Array(a.store.allBuffers) == Array(b.store.allBuffers))
    }

    @Test func torchvisionInitialisation() {
        var g = SeededGenerator(seed: 11)
        let net = ResNet18(ParameterStore(), widthMultiplier: 1, generator: &g)
        #expect(net.featureWidth == 512)
        #expect(net.store.parameterCount == 11_176_512)  // torchvision resnet18 without fc
        let conv = net.store.parameterEntry(named: "layer3.0.conv2.weight")!
        let w = UnsafeBufferPointer(start: net.store.allValues.baseAddress! + conv.offset, count: conv.count)
        let variance = w.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(w.count)
        #expect(abs(variance - 2.0 / Double(256 * 9)) / (2.0 / Double(256 * 9)) < 0.02)
        let bn = net.store.parameterEntry(named: "layer3.0.bn2.weight")!
        #expect(
            UnsafeBufferPointer(start: net.store.allValues.baseAddress! + bn.offset, count: bn.count).allSatisfy {
                $0 == 1
            })
    }

    /// Same seed and same thread count ⇒ bit-identical loss curves (with dropout-free ResNet and SGD).
    @Test func sameSeedAndThreadsGiveIdenticalLossCurves() {
        func curve(threads: Int) -> [Float] {
            Compute.threads = threads
            var g = SeededGenerator(seed: 42)
            let net = ResNet18(ParameterStore(), widthMultiplier: 0.25, classes: 6, generator: &g)
            let images = Training.Tensor(shape: [8, 3, 48, 48]) { p in for i in 0..<p.count { p[i] = g.nextNormal() } }
            let labels = (0..<8).map { $0 % 6 }
            let sgd = SGD(net.store, momentum: 0.9, weightDecay: 5e-4)
            let ce = SoftmaxCrossEntropy()
            var losses: [Float] = []
            for _ in 0..<4 {
                net.store.zeroGrad()
                losses.append(ce.forward(logits: net.forward(images, training: true), labels: labels))
                _ = net.backward(ce.backward())
                sgd.step(learningRate: 0.05)
            }
            return losses
        }
        let first = curve(threads: 2), second = curve(threads: 2)
        #expect(first == second)
        #expect(first.last! < first.first!)
        Compute.threads = 1
    }
}
