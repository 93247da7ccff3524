import Foundation
import Testing
import TrainingTestSupport
@testable import Training

/// Winograd F(2×2, 3×3), the fast-mode path of 3×3 stride-1 pad-1 convolutions: its transforms against a direct
/// convolution and a direct weight-gradient sum in Double, `Conv2d` in fast mode (Winograd) against the same layer in deterministic mode (im2col,
/// the pinned kernel) over channel counts, odd and even sizes from 1 to 56 and batch sizes, and ten fast-mode
/// training steps of the narrow ResNet-18 against PyTorch's loss curve. Errors are the largest absolute difference
/// over the reference's largest magnitude (`CoreFixture.relativeError`); F(2×2, 3×3) only re-associates sums of
/// float products; the transforms are also held to 1e-5 of a direct sum in Double.
@Suite(.serialized)
struct WinogradTests {
    static let tolerance: Float = 1e-4

    static func random(_ shape: [Int], seed: UInt64) -> Tensor {
        var g = SeededGenerator(seed: seed)
        return Tensor(shape: shape) { p in for i in 0..<p.count { p[i] = g.nextNormal() } }
    }

    func withMode<R>(_ mode: ComputeMode, threads: Int, _ body: () throws -> R) rethrows -> R {
        try ComputeLock.withMode(mode, threads: threads, body)
    }

    /// y[o][b][i][j] = Σ_c Σ_{u,v} x[c][b][i + u − 1][j + v − 1] · w[o][c][u][v] (+ r), in Double; with `rotated`,
    /// w is `[Cin, Cout, 3, 3]` read as rot180 with the channel axes swapped.
    static func direct(
        _ x: Tensor, _ w: Tensor, inChannels: Int, outChannels: Int, rotated: Bool, residual: Tensor?
    ) -> [Float] {
        let b = x.shape[1], h = x.shape[2], wd = x.shape[3]
        var y = [Float](repeating: 0, count: outChannels * b * h * wd)
        for o in 0..<outChannels {
            for bi in 0..<b {
                for i in 0..<h {
                    for j in 0..<wd {
                        var s = 0.0
                        for c in 0..<inChannels {
                            for u in 0..<3 {
                                for v in 0..<3 {
                                    let iy = i + u - 1, ix = j + v - 1
                                    guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
                                    let weight =
                                        rotated
                                        ? w.storage[((c * outChannels + o) * 3 + 2 - u) * 3 + 2 - v]
                                        : w.storage[((o * inChannels + c) * 3 + u) * 3 + v]
                                    s += Double(x.storage[((c * b + bi) * h + iy) * wd + ix]) * Double(weight)
                                }
                            }
                        }
                        let at = ((o * b + bi) * h + i) * wd + j
                        y[at] = Float(s + Double(residual?.storage[at] ?? 0))
                    }
                }
            }
        }
        return y
    }

    /// The transforms and the 16 products against the direct convolution, with and without rotated filters and a
    /// residual, on 1×1 planes, odd and even extents and non-square ones; one and two threads.
    @Test(arguments: [false, true])
    func transformsMatchTheDirectConvolution(rotated: Bool) {
        for (b, cin, cout, h, w) in [
            (1, 1, 1, 1, 1), (2, 3, 5, 2, 3), (1, 4, 2, 7, 7), (3, 5, 3, 8, 13), (2, 9, 17, 19, 10)
        ] {
            for threads in [1, 2] {
                let x = Self.random([cin, b, h, w], seed: 1)
                let weight = Self.random(rotated ? [cin, cout, 3, 3] : [cout, cin, 3, 3], seed: 2)
                for residual in [nil, Self.random([cout, b, h, w], seed: 3)] {
                    let expected = Self.direct(
                        x, weight, inChannels: cin, outChannels: cout, rotated: rotated, residual: residual)
                    let got = withMode(.fast, threads: threads) {
                        x.withUnsafeBufferPointer { xp in
                            weight.withUnsafeBufferPointer { wp in
                                (residual ?? Tensor(shape: [0])).withUnsafeBufferPointer { rp in
                                    Tensor(shape: [cout, b, h, w]) { yp in
                                        Winograd.convolve(
                                            xp.baseAddress!, inChannels: cin, outChannels: cout,
                                            tiling: Winograd.Tiling(batch: b, height: h, width: w),
                                            weights: wp.baseAddress!, rotated: rotated, workspace: Workspace(),
                                            into: yp.baseAddress!, adding: residual == nil ? nil : rp.baseAddress)
                                    }
                                }
                            }
                        }
                    }
                    let e = CoreFixture.relativeError(got.storage, expected)
                    #expect(
                        e < 1e-5,
                        "b=\(b) \(cin)→\(cout) \(h)×\(w) rotated=\(rotated) residual=\(residual != nil) threads=\(threads): \(e)"
                    )
                }
            }
        }
    }

    /// The weight-gradient transforms and products against Σ dy[o][b][i][j] · x[c][b][i + u − 1][j + v − 1] in
    /// Double, added to a gradient that already holds values (it accumulates).
    @Test func weightGradientMatchesTheDirectSum() {
        for (b, cin, cout, h, w) in [
            (1, 1, 1, 1, 1), (2, 3, 5, 2, 3), (1, 4, 2, 7, 7), (3, 5, 3, 8, 13), (2, 9, 17, 19, 10)
        ] {
            for threads in [1, 2] {
                let x = Self.random([cin, b, h, w], seed: 8), dy = Self.random([cout, b, h, w], seed: 9)
                let start = Self.random([cout, cin, 3, 3], seed: 10)
                var expected = start.storage
                for o in 0..<cout {
                    for c in 0..<cin {
                        for u in 0..<3 {
                            for v in 0..<3 {
                                var s = 0.0
                                for bi in 0..<b {
                                    for i in 0..<h {
                                        for j in 0..<w {
                                            let iy = i + u - 1, ix = j + v - 1
                                            guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                                            s +=
                                                Double(dy.storage[((o * b + bi) * h + i) * w + j])
                                                * Double(x.storage[((c * b + bi) * h + iy) * w + ix])
                                        }
                                    }
                                }
                                expected[((o * cin + c) * 3 + u) * 3 + v] += Float(s)
                            }
                        }
                    }
                }
                var got = start
                withMode(.fast, threads: threads) {
                    x.withUnsafeBufferPointer { xp in
                        dy.withUnsafeBufferPointer { dp in
                            got.withUnsafeMutableBufferPointer { gp in
                                Winograd.accumulateWeightGradient(
                                    input: xp.baseAddress!, outputGradient: dp.baseAddress!, inChannels: cin,
                                    outChannels: cout, tiling: Winograd.Tiling(batch: b, height: h, width: w),
                                    workspace: Workspace(), into: gp.baseAddress!)
                            }
                        }
                    }
                }
                let e = CoreFixture.relativeError(got.storage, expected)
                #expect(e < 1e-5, "b=\(b) \(cin)→\(cout) \(h)×\(w) threads=\(threads): \(e)")
            }
        }
    }

    /// (batch, in channels, out channels, height, width): odd and even extents from 7 to 56, ResNet's channel counts
    /// and uneven ones, one to three items.
    static let layerShapes = [
        (1, 3, 8, 7, 7), (2, 16, 16, 8, 8), (3, 5, 7, 13, 9), (2, 64, 64, 14, 14), (1, 32, 48, 28, 27),
        (2, 64, 64, 56, 56), (4, 128, 128, 7, 7), (2, 24, 16, 31, 31), (1, 8, 8, 56, 55)
    ]

    /// Forward output, input gradient (with a shortcut's gradient added) and weight gradient of a fast-mode
    /// `Conv2d` that takes the Winograd path, against the deterministic im2col path of an identical layer.
    @Test func fastConvolutionMatchesIm2colOverShapes() {
        for (b, cin, cout, h, w) in Self.layerShapes {
            let label = "b=\(b) \(cin)→\(cout) \(h)×\(w)"
            let x = Self.random([cin, b, h, w], seed: 4), dy = Self.random([cout, b, h, w], seed: 5)
            let shortcut = Self.random([cin, b, h, w], seed: 6)
            func run(_ mode: ComputeMode) -> (y: Tensor, dx: Tensor, dw: Tensor, winograd: Bool) {
                withMode(mode, threads: 2) {
                    let store = ParameterStore()
                    var g = SeededGenerator(seed: 7)
                    let conv = Conv2d(
                        store, name: "conv", inChannels: cin, outChannels: cout, kernel: 3, stride: 1, padding: 1,
                        workspace: Workspace(), generator: &g)
                    store.zeroGrad()
                    let y = conv.forward(x, training: true)
                    let dx = conv.backward(dy, adding: shortcut)
                    return (y, dx, store.gradTensor(conv.weight), conv.usesWinograd)
                }
            }
            let reference = run(.deterministic), fast = run(.fast)
            #expect(!reference.winograd, "\(label): deterministic mode must stay on im2col")
            #expect(fast.winograd, "\(label): fast mode should take Winograd here")
            for (what, got, want) in [
                ("y", fast.y, reference.y), ("dx", fast.dx, reference.dx), ("dW", fast.dw, reference.dw)
            ] {
                #expect(got.shape == want.shape, "\(label) \(what) shape")
                let e = CoreFixture.relativeError(got.storage, want.storage)
                #expect(e < Self.tolerance, "\(label) \(what): relative error \(e)")
            }
        }
    }

    /// Ten SGD steps of the narrow ResNet-18 in fast mode (its 3×3 stride-1 convolutions on Winograd) follow
    /// PyTorch's loss curve as closely as the deterministic run does (`CoreResNetTests`).
    @Test func fastTrainingFollowsPyTorchsLossCurve() throws {
        let weightsURL = try #require(
            Bundle.module.url(forResource: "Fixtures/core/resnet_weights", withExtension: "safetensors"))
        let f = try CoreFixture.load("resnet_training")
        let images = try CoreFixture.tensor(f, "images")
        let labels = try CoreFixture.tensor(f, "labels").storage.map { Int($0) }
        let expected = try CoreFixture.tensor(f, "losses").storage
        let (losses, winogradLayers) = try withMode(.fast, threads: 2) {
            let net = CoreResNetTests.narrowNetwork()
            try net.loadWeights(SafeTensors.read(weightsURL.path), source: "resnet_weights.safetensors")
            let sgd = SGD(net.store, momentum: 0.9, weightDecay: 1e-4)
            let ce = SoftmaxCrossEntropy()
            var losses: [Float] = []
            for _ in 0..<10 {
                net.store.zeroGrad()
                losses.append(ce.forward(logits: net.forward(images, training: true), labels: labels))
                _ = net.backward(ce.backward())
                sgd.step(learningRate: 0.02)
            }
            return (losses, net.blocks.filter { $0.conv2.usesWinograd }.count)
        }
        #expect(winogradLayers > 0, "no convolution took the Winograd path")
        for (got, want) in zip(losses, expected) {
            #expect(abs(got - want) < 1e-3, "fast-mode losses \(losses) vs PyTorch \(expected)")
        }
        #expect(losses.last! < losses.first!)
    }
}
