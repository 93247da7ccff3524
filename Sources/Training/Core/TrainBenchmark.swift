import Foundation

/// Times training steps and reports throughput, GEMM work and memory, for `pairdx bench train`.
public enum TrainBenchmark {
    public struct Result: Sendable, Codable {
        public var model: String
        public var resolution: Int
        public var batch: Int
        public var threads: Int
        public var steps: Int
        public var secondsPerStep: Double
        public var imagesPerSecond: Double
        /// GEMM floating-point operations per step divided by the whole step time.
        public var gflopsPerSecond: Double
        /// GEMM floating-point operations per second spent inside GEMM.
        public var gemmGflopsPerSecond: Double
        /// Share of step time spent inside `BLAS.gemm`.
        public var gemmShare: Double
        /// Peak resident set size of the process (bytes), when the platform reports it.
        public var peakResidentBytes: Int?
        /// The compute mode and matrix kernel measured (`BLAS.mode`, `BLAS.kernel`).
        public var mode: ComputeMode
        public var kernel: String
        /// The CPU: model name, vector extensions and OpenBLAS's core name (`CPUInfo`).
        public var cpu: String
        public var vectorExtensions: [String]
        public var openBLASCore: String
    }

    /// Runs `warmup` untimed steps, then `steps` timed ones of `step` (one full forward, backward and update of
    /// `batch` images). GEMM time and work are accounted through `GEMMTimer`.
    public static func measure(
        model: String, resolution: Int, batch: Int, threads: Int, steps: Int, warmup: Int = 2,
        step: () -> Void
    ) -> Result {
        for _ in 0..<warmup { step() }
        let timer = GEMMTimer.shared
        timer.reset()
        timer.enabled = true
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<steps { step() }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        timer.enabled = false
        let perStep = seconds / Double(max(steps, 1))
        return Result(
            model: model, resolution: resolution, batch: batch, threads: threads, steps: steps,
            secondsPerStep: perStep, imagesPerSecond: Double(batch) / perStep,
            gflopsPerSecond: timer.flops / seconds / 1e9,
            gemmGflopsPerSecond: timer.seconds > 0 ? timer.flops / timer.seconds / 1e9 : 0,
            gemmShare: timer.seconds / seconds, peakResidentBytes: peakResidentBytes(), mode: BLAS.mode,
            kernel: BLAS.kernel,
            cpu: CPUInfo.model, vectorExtensions: CPUInfo.vectorExtensions, openBLASCore: BLAS.openBLASCoreName)
    }

    /// Peak resident set size (`VmHWM` of /proc/self/status) in bytes, or nil where unavailable.
    public static func peakResidentBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let digits = line.split(separator: " ").compactMap { Int($0) }
            if let kb = digits.first { return kb * 1024 }
        }
        return nil
    }

    /// One ResNet-18 (→ linear, `classes` outputs) SGD step closure on fixed random images and labels, and the
    /// model's parameter store (whose `weightsDigest()` after a number of steps checks determinism).
    public static func imageStep(
        resolution: Int, batch: Int, classes: Int = 6, widthMultiplier: Double = 1,
        seed: UInt64 = 0
    ) -> (step: () -> Void, store: ParameterStore) {
        var g = SeededGenerator(seed: seed)
        let net = ResNet18(ParameterStore(), widthMultiplier: widthMultiplier, classes: classes, generator: &g)
        let images = Tensor(shape: [batch, 3, resolution, resolution]) { p in
            for i in 0..<p.count { p[i] = g.nextNormal() }
        }
        let labels = (0..<batch).map { _ in Int(g.next() % UInt64(classes)) }
        let sgd = SGD(net.store, momentum: 0.9)
        let ce = SoftmaxCrossEntropy()
        return (
            {
                net.store.zeroGrad()
                _ = ce.forward(logits: net.forward(images, training: true), labels: labels)
                _ = net.backward(ce.backward())
                sgd.step(learningRate: 0.01)
            }, net.store
        )
    }

    /// One SGD step closure of the fusion model (ResNet-18 tower, `tokens` caption tokens of a `vocabulary`-word
    /// trainable 50-d embedding, width 256, 4 heads, dropout 0.3, six classes), the shapes of the PyTorch peer
    /// `peer_torch_fusion.py`, on fixed random images, tokens and labels; and the model's parameter store.
    public static func fusionStep(
        resolution: Int, batch: Int, tokens: Int = 40, vocabulary: Int = 20_000,
        widthMultiplier: Double = 1, seed: UInt64 = 0
    ) -> (step: () -> Void, store: ParameterStore) {
        let classes = ["ct", "mri", "xray", "ultrasound", "histopathology", "endoscopy"]
        let spec = ModelSpec(
            kind: .fusion, classes: classes, resolution: resolution, widthMultiplier: widthMultiplier,
            width: 256, heads: 4, embeddingDim: 50, vocabularySize: vocabulary, maxTokens: tokens,
            dropout: 0.3, frozenEmbeddings: false, embeddings: "learned")
        let model = makeClassifier(spec, seed: seed)
        var g = SeededGenerator(seed: seed &+ 1)
        let images = Tensor(shape: [batch, 3, resolution, resolution]) { p in
            for i in 0..<p.count { p[i] = g.nextNormal() }
        }
        let ids = (0..<(batch * tokens)).map { _ in Int32(truncatingIfNeeded: g.next() % UInt64(vocabulary)) }
        let labels = (0..<batch).map { _ in Int(g.next() % UInt64(classes.count)) }
        let input = Batch(
            ids: (0..<batch).map { "bench/\($0)" }, labels: labels, images: images, tokens: ids,
            tokenLength: tokens, lengths: [Int](repeating: tokens, count: batch))
        let sgd = SGD(model.store, momentum: 0.9)
        let ce = SoftmaxCrossEntropy()
        return (
            {
                model.store.zeroGrad()
                _ = ce.forward(logits: model.forward(input, training: true), labels: labels)
                model.backward(ce.backward())
                sgd.step(learningRate: 0.01)
            }, model.store
        )
    }
}
