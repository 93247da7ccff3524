import Foundation
import PairDxTestSupport
import PairDxCore
import Testing
import TrainingTestSupport
@testable import Training

/// The deterministic mode: the matrix kernel's per-element definition, its independence from the split of C over
/// threads, the elementary functions, and whole training runs whose weight digests are committed here. A digest that
/// changes means the arithmetic of training changed: on purpose (update the constant and say so), or by accident.
@Suite(.serialized, .scratch)
struct DeterminismTests {
    /// The definition in `pairdx_gemm.h`, written out one element at a time.
    static func reference(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: [Float], b: [Float],
        beta: Float, c: [Float]
    ) -> [Float] {
        var out = c
        for i in 0..<m {
            for j in 0..<n {
                var acc: Float = beta == 0 ? 0 : beta == 1 ? c[i * n + j] : beta * c[i * n + j]
                for p in 0..<k {
                    var x = transA ? a[p * m + i] : a[i * k + p]
                    if alpha != 1 { x *= alpha }
                    acc = acc.addingProduct(x, transB ? b[j * k + p] : b[p * n + j])
                }
                out[i * n + j] = acc
            }
        }
        return out
    }

    static func values(_ name: String, _ count: Int) -> [Float] {
        CLIPSyntheticWeights.values(name, count: count, bound: 1)
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func gemmIsOneFusedChainPerElementAtAnyThreadCount(transA: Bool, transB: Bool) {
        ComputeLock.withMode(.deterministic, threads: Compute.threads) { gemmChains(transA: transA, transB: transB) }
    }

    func gemmChains(transA: Bool, transB: Bool) {
        // Sizes off every block edge (6×16 tiles, 96-row and 256-deep blocks), large enough to be split over threads.
        for (m, n, k, alpha, beta) in [
            (103, 77, 531, Float(1), Float(0)), (7, 300, 300, 0.125, 1), (200, 5, 700, 1, -0.5)
        ] {
            let a = Self.values("a\(m)", m * k), b = Self.values("b\(n)", k * n), c0 = Self.values("c\(k)", m * n)
            let expected = Self.reference(
                transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, b: b, beta: beta, c: c0)
            for threads in [1, 2, 3] {
                Compute.threads = threads
                var c = c0
                c.withUnsafeMutableBufferPointer { cp in
                    BLAS.gemm(
                        transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, b: b, beta: beta,
                        c: cp.baseAddress!)
                }
                #expect(c.map(\.bitPattern) == expected.map(\.bitPattern), "m=\(m) n=\(n) k=\(k) threads=\(threads)")
            }
        }
    }

    /// `BLAS.gemmGroup` splits whole products over the threads: each product must still be its one fused chain per
    /// element (the reference), whatever the thread count.
    @Test func gemmGroupGivesEveryProductItsChains() {
        let (count, m, n, k) = (5, 13, 40, 70)
        let a = Self.values("group-a", count * m * k), b = Self.values("group-b", count * n * k)
        let expected = (0..<count).flatMap { i in
            Self.reference(
                transA: false, transB: true, m: m, n: n, k: k, alpha: 1, a: Array(a[i * m * k..<(i + 1) * m * k]),
                b: Array(b[i * n * k..<(i + 1) * n * k]), beta: 0, c: [Float](repeating: 0, count: m * n))
        }
        for threads in [1, 2, 3] {
            var c = [Float](repeating: .nan, count: count * m * n)
            ComputeLock.withMode(.deterministic, threads: threads) {
                a.withUnsafeBufferPointer { ap in
                    b.withUnsafeBufferPointer { bp in
                        c.withUnsafeMutableBufferPointer { cp in
                            BLAS.gemmGroup(count, transB: true, m: m, n: n, k: k) { i in
                                let ai: UnsafePointer<Float> = ap.baseAddress! + i * m * k
                                let bi: UnsafePointer<Float> = bp.baseAddress! + i * n * k
                                let ci: UnsafeMutablePointer<Float> = cp.baseAddress! + i * m * n
                                return (ai, bi, ci)
                            }
                        }
                    }
                }
            }
            #expect(c.map(\.bitPattern) == expected.map(\.bitPattern), "threads=\(threads)")
        }
    }

    @Test func elementaryFunctionsAreAccurate() {
        var worstExp = 0.0, worstLog = 0.0, worstTrig = 0.0
        var x = -80.0
        while x < 80 {
            worstExp = max(worstExp, abs(DeterministicMath.exp(x) / Foundation.exp(x) - 1))
            x += 0.0137
        }
        var u = 1e-300
        while u < 1e6 {
            worstLog = max(worstLog, abs(DeterministicMath.log(u) - Foundation.log(u)) / max(1, abs(Foundation.log(u))))
            u *= 1.37
        }
        var t = -20.0
        while t < 20 {
            let (s, c) = DeterministicMath.sinCos(t)
            worstTrig = max(worstTrig, abs(s - Foundation.sin(t)), abs(c - Foundation.cos(t)))
            t += 0.00731
        }
        #expect(
            worstExp < 1e-15 && worstLog < 1e-15 && worstTrig < 1e-15,
            "exp \(worstExp), log \(worstLog), sin/cos \(worstTrig)")
        #expect(
            DeterministicMath.exp(Float(0)) == 1 && DeterministicMath.exp(Float(-200)) == 0
                && DeterministicMath.exp(Float(100)) == .infinity)
        #expect(
            DeterministicMath.pow(0.9, 10) == 0.9 * 0.9 * 0.9 * 0.9 * 0.9 * 0.9 * 0.9 * 0.9 * 0.9 * 0.9
                || abs(DeterministicMath.pow(0.9, 10) - Foundation.pow(0.9, 10)) < 1e-15)
    }

    /// SHA-256 of the weights after training on the toy corpus in deterministic mode (fusion: AdamW, cosine schedule,
    /// attention, embeddings, ResNet-18 ×0.125; image: SGD with momentum). Any CPU with AVX2 and FMA, any thread count.
    static let fusionDigest = "b800c12852ad088627f7d0b7690ff7fd7598be759cc3fb45cbe9f94fe10a6459"
    static let imageDigest = "6735632361fc6d1988e03c93d6dc570fccfb3fe68c4ea1bf2a5336e0bc2fe0bd"

    @Test func trainedWeightsHaveTheCommittedDigestWithOneAndTwoThreads() throws {
        try ComputeLock.run { try trainToyModels() }
    }

    func trainToyModels() throws {
        let corpus = try ToyCorpus()
        let split = try SplitSet.load(corpus.splitDir)
        for (kind, optimizer, expected) in [
            (ModelKind.fusion, ModelHyperparameters.Optimizer.adamw, Self.fusionDigest),
            (.image, .sgd, Self.imageDigest)
        ] {
            var digests: [String] = []
            for threads in [1, 2] {
                let config = TrainConfig(
                    kind: kind, hyper: toyHyper(epochs: 2, optimizer: optimizer), seed: 7, threads: threads)
                let result = try Trainer.train(config, split: split, work: corpus.work)
                #expect(result.mode == .deterministic && result.kernel.hasPrefix("pairdx-sgemm/"))
                #expect(result.weightsDigest == result.model.store.weightsDigest())
                digests.append(result.weightsDigest)
                if threads == 2 {
                    let path = corpus.root + "/\(kind.rawValue).safetensors"
                    try Checkpoint.save(result.model, vocabulary: result.vocabulary, to: path)
                    let saved = try SafeTensors.read(path).metadata
                    #expect(saved["pairdx.weights-sha256"] == result.weightsDigest)
                    #expect(
                        saved["pairdx.compute-mode"] == "deterministic" && saved["pairdx.gemm-kernel"] == result.kernel)
                    let reloaded = try Checkpoint.load(path)
                    #expect(reloaded.model.store.weightsDigest() == result.weightsDigest)
                }
            }
            #expect(digests == [expected, expected], "\(kind.rawValue): \(digests)")
        }
    }
}
