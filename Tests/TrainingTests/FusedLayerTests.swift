import Testing
import TrainingTestSupport
@testable import Training

/// The fused passes of ResNet's element-wise work — BatchNorm → ReLU, BatchNorm → + residual → ReLU (forward and
/// backward) and a convolution's input gradient plus a second branch's — against the unfused composition of the
/// same layers, over batch sizes, channel counts, odd spatial sizes and strides 1 and 2. In deterministic mode the
/// bits must be equal (the pinned weight digests depend on it); in fast mode BatchNorm's sums are vectorised and
/// must agree with the deterministic composition to float rounding.
@Suite(.serialized)
struct FusedLayerTests {
    /// (batch, channels, height, width): odd and even extents, 1×1 planes, one-item batches.
    static let shapes = [(1, 1, 1, 1), (2, 3, 5, 7), (3, 5, 9, 9), (4, 16, 7, 6), (2, 8, 15, 13), (1, 33, 3, 11)]

    static func random(_ shape: [Int], seed: UInt64, scale: Float = 1, offset: Float = 0) -> Tensor {
        var g = SeededGenerator(seed: seed)
        return Tensor(shape: shape) { p in for i in 0..<p.count { p[i] = g.nextNormal() * scale + offset } }
    }

    /// A BatchNorm with non-trivial γ, β and running statistics, identical for the same seed.
    static func batchNorm(_ channels: Int, seed: UInt64) -> (BatchNorm2d, ParameterStore) {
        let store = ParameterStore()
        let bn = BatchNorm2d(store, name: "bn", channels: channels)
        store.setValue(bn.weight, random([channels], seed: seed, scale: 0.5, offset: 1))
        store.setValue(bn.bias, random([channels], seed: seed &+ 1, scale: 0.5))
        return (bn, store)
    }

    static func bits(_ t: Tensor) -> [UInt32] { t.storage.map(\.bitPattern) }

    static func add(_ a: Tensor, _ b: Tensor) -> Tensor {
        Tensor(shape: a.shape, storage: zip(a.storage, b.storage).map { $0 + $1 })
    }

    /// The unfused end of a residual branch as the block computed it: `max(0, BN(x) + r)`, backward through the
    /// mask, then BatchNorm's own backward.
    static func unfusedResidualReLU(_ bn: BatchNorm2d, _ x: Tensor, _ r: Tensor, _ dy: Tensor) -> (
        y: Tensor, dx: Tensor, dr: Tensor
    ) {
        let t = bn.forward(x, training: true)
        let y = Tensor(shape: t.shape, storage: zip(t.storage, r.storage).map { max(0, $0 + $1) })
        let d = Tensor(shape: dy.shape, storage: zip(y.storage, dy.storage).map { $0 > 0 ? $1 : 0 })
        return (y, bn.backward(d), d)
    }

    func withMode<R>(_ mode: ComputeMode, threads: Int, _ body: () throws -> R) rethrows -> R {
        try ComputeLock.withMode(mode, threads: threads, body)
    }

    @Test(arguments: [ComputeMode.deterministic, .fast], [false, true])
    func batchNormReLUEqualsBatchNormThenReLU(mode: ComputeMode, residual: Bool) {
        for (b, c, h, w) in Self.shapes {
            for threads in [1, 2] {
                let shape = [c, b, h, w], label = "\(mode) residual=\(residual) shape \(shape) threads \(threads)"
                let x = Self.random(shape, seed: 10, scale: 2, offset: 0.3)
                let r = Self.random(shape, seed: 11)
                let dy = Self.random(shape, seed: 12)
                // The reference always runs the deterministic composition.
                let (refBN, refStore) = Self.batchNorm(c, seed: 3)
                let ref: (y: Tensor, dx: Tensor, dr: Tensor?) = withMode(.deterministic, threads: threads) {
                    if residual { let u = Self.unfusedResidualReLU(refBN, x, r, dy); return (u.y, u.dx, u.dr) }
                    let relu = ReLU()
                    let y = relu.forward(refBN.forward(x, training: true), training: true)
                    return (y, refBN.backward(relu.backward(dy)), nil)
                }
                let (bn, store) = Self.batchNorm(c, seed: 3)
                let (y, dx, dr) = withMode(mode, threads: threads) {
                    let y = bn.forward(x, adding: residual ? r : nil, relu: true, training: true)
                    let (dx, dr) = bn.backwardWithResidual(dy)
                    return (y, dx, dr)
                }
                #expect((dr != nil) == residual, "\(label): residual gradient present")
                let pairs: [(String, Tensor, Tensor)] =
                    [
                        ("y", y, ref.y), ("dx", dx, ref.dx),
                        ("dγ", store.gradTensor(bn.weight), refStore.gradTensor(refBN.weight)),
                        ("dβ", store.gradTensor(bn.bias), refStore.gradTensor(refBN.bias)),
                        (
                            "running statistics", Tensor(shape: [2 * c], storage: Array(store.allBuffers)),
                            Tensor(shape: [2 * c], storage: Array(refStore.allBuffers))
                        )
                    ] + (dr.flatMap { d in ref.dr.map { [("dr", d, $0)] } } ?? [])
                for (what, got, want) in pairs {
                    if mode == .deterministic {
                        #expect(Self.bits(got) == Self.bits(want), "\(label): \(what) differs in its bits")
                    } else {
                        CoreFixture.expectClose(got, want, tolerance: 1e-4, "\(label): \(what)")
                    }
                }
            }
        }
    }

    /// Deterministic mode sums four channels' chains side by side in the lanes of a vector: every channel must get
    /// the bits a one-channel BatchNorm gives it alone — output, input gradient, γ's and β's gradients — for a group
    /// of four and a tail, with one and two threads (which move the groups' boundaries).
    @Test func deterministicBatchNormSumsFourChannelsAtATimeWithEachChannelsBits() {
        let (b, c, h, w) = (3, 7, 5, 9)
        let m = b * h * w
        let x = Self.random([c, b, h, w], seed: 20, scale: 2, offset: 0.3)
        let dy = Self.random([c, b, h, w], seed: 21)
        func channel(_ t: Tensor, _ ch: Int) -> Tensor {
            Tensor(shape: [1, b, h, w], storage: Array(t.storage[ch * m..<(ch + 1) * m]))
        }
        for threads in [1, 2] {
            withMode(.deterministic, threads: threads) {
                let (bn, store) = Self.batchNorm(c, seed: 4)
                let y = bn.forward(x, adding: nil, relu: true, training: true)
                let dx = bn.backward(dy)
                for ch in 0..<c {
                    let single = ParameterStore()
                    let one = BatchNorm2d(single, name: "bn", channels: 1)
                    single.setValue(one.weight, Tensor(shape: [1], storage: [store.value(bn.weight)[ch]]))
                    single.setValue(one.bias, Tensor(shape: [1], storage: [store.value(bn.bias)[ch]]))
                    let yc = one.forward(channel(x, ch), adding: nil, relu: true, training: true)
                    let dxc = one.backward(channel(dy, ch))
                    let label = "channel \(ch), threads \(threads)"
                    #expect(Self.bits(yc) == Self.bits(channel(y, ch)), "y, \(label)")
                    #expect(Self.bits(dxc) == Self.bits(channel(dx, ch)), "dx, \(label)")
                    #expect(
                        single.gradTensor(one.weight).storage[0].bitPattern
                            == store.gradTensor(bn.weight).storage[ch].bitPattern, "dγ, \(label)")
                    #expect(
                        single.gradTensor(one.bias).storage[0].bitPattern
                            == store.gradTensor(bn.bias).storage[ch].bitPattern, "dβ, \(label)")
                }
            }
        }
    }

    @Test(arguments: [ComputeMode.deterministic, .fast])
    func batchNormWithResidualAndNoReLUPassesTheGradientThrough(mode: ComputeMode) {
        let shape = [6, 3, 5, 7]
        let x = Self.random(shape, seed: 20), r = Self.random(shape, seed: 21), dy = Self.random(shape, seed: 22)
        let (refBN, _) = Self.batchNorm(6, seed: 4)
        let (bn, _) = Self.batchNorm(6, seed: 4)
        withMode(mode, threads: 2) {
            let want = Self.add(refBN.forward(x, training: true), r)
            let wantDx = refBN.backward(dy)
            let y = bn.forward(x, adding: r, relu: false, training: true)
            let (dx, dr) = bn.backwardWithResidual(dy)
            #expect(Self.bits(y) == Self.bits(want))
            #expect(Self.bits(dx) == Self.bits(wantDx))
            #expect(dr.map(Self.bits) == Self.bits(dy))
        }
    }

    @Test(arguments: [ComputeMode.deterministic, .fast], [(3, 1, 1), (3, 2, 1), (1, 1, 0), (1, 2, 0), (7, 2, 3)])
    func convolutionInputGradientPlusResidualEqualsTheSum(mode: ComputeMode, geometry: (Int, Int, Int)) {
        let (kernel, stride, padding) = geometry
        for (b, c, h, w) in Self.shapes where h + 2 * padding >= kernel && w + 2 * padding >= kernel {
            for threads in [1, 2] {
                let label = "\(mode) k\(kernel) s\(stride) p\(padding) [\(c), \(b), \(h), \(w)] threads \(threads)"
                let outChannels = 5
                var g = SeededGenerator(seed: 7)
                let conv = Conv2d(
                    ParameterStore(), name: "conv", inChannels: c, outChannels: outChannels, kernel: kernel,
                    stride: stride, padding: padding, workspace: Workspace(), generator: &g)
                let x = Self.random([c, b, h, w], seed: 30), r = Self.random([c, b, h, w], seed: 31)
                let (plain, fused) = withMode(mode, threads: threads) {
                    let y = conv.forward(x, training: true)
                    let dy = Self.random(y.shape, seed: 32)
                    let plain = Self.add(conv.backward(dy), r)
                    return (plain, conv.backward(dy, adding: r))
                }
                #expect(Self.bits(fused) == Self.bits(plain), "\(label)")
            }
        }
    }

    /// A whole basic block (fused) against the same block's layers composed one by one, with identity and 1×1
    /// downsample shortcuts.
    @Test(arguments: [ComputeMode.deterministic, .fast], [(4, 4, 1), (4, 6, 2), (3, 5, 1)])
    func basicBlockEqualsItsLayersComposed(mode: ComputeMode, widths: (Int, Int, Int)) {
        let (inC, outC, stride) = widths
        for (b, h, w) in [(2, 9, 7), (3, 6, 6), (1, 5, 11)] {
            let label = "\(mode) \(inC)→\(outC)/\(stride) [\(b), \(h), \(w)]"
            func make() -> (BasicBlock, ParameterStore) {
                let store = ParameterStore()
                var g = SeededGenerator(seed: 5)
                let block = BasicBlock(
                    store, name: "block", inChannels: inC, outChannels: outC, stride: stride,
                    workspace: Workspace(), generator: &g)
                for bn in [block.bn1, block.bn2] + (block.downsample.map { [$0.1] } ?? []) {
                    store.setValue(bn.weight, Self.random([outC], seed: 40, scale: 0.3, offset: 1))
                    store.setValue(bn.bias, Self.random([outC], seed: 41, scale: 0.3))
                }
                return (block, store)
            }
            let x = Self.random([inC, b, h, w], seed: 50)
            let (fusedBlock, fusedStore) = make()
            let (refBlock, refStore) = make()
            withMode(mode, threads: 2) {
                let y = fusedBlock.forward(x, training: true)
                let dy = Self.random(y.shape, seed: 51)
                let dx = fusedBlock.backward(dy)
                // Unfused: conv → BN → ReLU → conv → BN, shortcut, add, ReLU; backward in reverse with a separate sum.
                let relu1 = ReLU()
                let main = refBlock.bn2.forward(
                    refBlock.conv2.forward(
                        relu1.forward(
                            refBlock.bn1.forward(
                                refBlock.conv1.forward(x, training: true), training: true), training: true),
                        training: true), training: true)
                let shortcut =
                    refBlock.downsample.map { $0.1.forward($0.0.forward(x, training: true), training: true) } ?? x
                let yRef = Tensor(
                    shape: main.shape, storage: zip(main.storage, shortcut.storage).map { max(0, $0 + $1) })
                let d = Tensor(shape: dy.shape, storage: zip(yRef.storage, dy.storage).map { $0 > 0 ? $1 : 0 })
                let dMain = refBlock.conv1.backward(
                    refBlock.bn1.backward(relu1.backward(refBlock.conv2.backward(refBlock.bn2.backward(d)))))
                let dShortcut = refBlock.downsample.map { $0.0.backward($0.1.backward(d)) } ?? d
                let dxRef = Self.add(dMain, dShortcut)
                #expect(Self.bits(y) == Self.bits(yRef), "\(label): y")
                #expect(Self.bits(dx) == Self.bits(dxRef), "\(label): dx")
                #expect(fusedStore.gradBlockBits == refStore.gradBlockBits, "\(label): parameter gradients")
            }
        }
    }
}

extension ParameterStore {
    /// Every gradient's bits, in registration order.
    var gradBlockBits: [UInt32] { allGrads.map(\.bitPattern) }
}
