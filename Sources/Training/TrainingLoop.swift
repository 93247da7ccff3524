import Foundation
import PairDxCore

/// One epoch's record.
public struct EpochLog: Codable, Sendable, Equatable {
    public var epoch: Int
    public var meanLoss: Double
    public var valAccuracy: Double?
    public var seconds: Double
    public var imagesPerSecond: Double

    public init(epoch: Int, meanLoss: Double, valAccuracy: Double?, seconds: Double, imagesPerSecond: Double) {
        self.epoch = epoch; self.meanLoss = meanLoss; self.valAccuracy = valAccuracy; self.seconds = seconds
        self.imagesPerSecond = imagesPerSecond
    }
}

/// The training loop every model runs: the image, text and fusion classifiers (`Trainer.train`) and CLIP
/// fine-tuning (`CLIPClassification.fineTune`).
///
/// Each epoch takes the caller's batches in order; `step` does one optimisation step on a batch (zero the gradients,
/// forward, loss, backward, optimiser update at the schedule's rate for the global step it is given) and returns the
/// loss and the number of items used, or nil when the batch had none (it then does not count as a step). After the
/// epoch, `validate` gives the val accuracy (nil without a val split). With `keepBest`, the weights of the epoch with
/// the best val accuracy (the first on ties; the last epoch without a val split) are restored at the end; without it
/// the last epoch's weights stay. Progress (epoch, step, running mean loss, items/s, ETA) goes to stderr four times an
/// epoch. O(epochs · batches · step cost).
enum TrainingLoop {
    struct Outcome {
        var epochs: [EpochLog]
        /// Loss of every optimiser step, in order.
        var stepLosses: [Float]
        var seconds: Double
        var selectedEpoch: Int
    }

    static func run<Batch>(
        _ label: String, epochs: Int, stepsPerEpoch: Int, keepBest store: ParameterStore? = nil,
        batches: (Int) -> AnyIterator<Batch>, step: (Batch, Int) throws -> (loss: Float, items: Int)?,
        validate: (Int) throws -> Double?
    ) rethrows -> Outcome {
        var logs: [EpochLog] = [], losses: [Float] = []
        var best: (epoch: Int, score: Double, values: [Float])?
        var global = 0
        let start = now(), reportEvery = max(1, stepsPerEpoch / 4), total = stepsPerEpoch * epochs
        for epoch in 1...epochs {
            let epochStart = now()
            var lossSum = 0.0, seen = 0, i = 0
            let stream = batches(epoch)
            while let batch = stream.next() {
                i += 1
                guard let (loss, items) = try step(batch, global) else { continue }
                global += 1
                losses.append(loss)
                lossSum += Double(loss) * Double(items); seen += items
                if i % reportEvery == 0 || i == stepsPerEpoch {
                    let rate = Double(seen) / max(now() - epochStart, 1e-9),
                        eta = (now() - start) / Double(global) * Double(total - global)
                    let mean = String(format: "%.4f", lossSum / Double(max(seen, 1)))
                    Log.info(
                        "\(label) epoch \(epoch)/\(epochs) step \(i)/\(stepsPerEpoch) loss \(mean) "
                            + "\(String(format: "%.1f", rate)) images/s ETA \(duration(eta))")
                }
            }
            let seconds = now() - epochStart
            let accuracy = try validate(epoch)
            logs.append(
                EpochLog(
                    epoch: epoch, meanLoss: lossSum / Double(max(seen, 1)), valAccuracy: accuracy, seconds: seconds,
                    imagesPerSecond: Double(seen) / max(seconds, 1e-9)))
            Log.info(
                "\(label) epoch \(epoch)/\(epochs): mean loss \(String(format: "%.4f", logs.last!.meanLoss)), val accuracy "
                    + (accuracy.map { String(format: "%.2f%%", 100 * $0) } ?? "n/a") + ", \(duration(seconds))")
            if let store {
                let score = accuracy ?? Double(epoch)  // without a val split, the last epoch wins
                if best == nil || score > best!.score { best = (epoch, score, Array(store.allValues)) }
            }
        }
        if let store, let best, best.epoch != epochs {
            _ = store.allValues.update(fromContentsOf: best.values)
            Log.info("\(label): kept the weights of epoch \(best.epoch) (best val accuracy)")
        }
        return Outcome(epochs: logs, stepLosses: losses, seconds: now() - start, selectedEpoch: best?.epoch ?? epochs)
    }

    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// "1h02m", "3m05s", "12.3s".
    static func duration(_ s: Double) -> String {
        if !s.isFinite { return "?" }
        if s < 60 { return String(format: "%.1fs", s) }
        let t = Int(s.rounded())
        return t >= 3600
            ? String(format: "%dh%02dm", t / 3600, (t % 3600) / 60) : String(format: "%dm%02ds", t / 60, t % 60)
    }
}
