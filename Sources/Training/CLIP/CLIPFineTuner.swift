import Foundation
import PairDxCore

/// One optimisation step of CLIP fine-tuning on a batch of (image, caption, class) triples with `CLIPLoss`,
/// AdamW (open_clip's decay exclusions are set by `CLIPModel`) and any `LearningRateSchedule` (use one with
/// warm-up, e.g. `CosineSchedule(base:totalSteps:warmupSteps:)`).
///
/// `.both` trains everything including the temperature; `.image` freezes the text tower and the
/// temperature (texts are then encoded without caching and no text gradient is computed). After each step the
/// temperature is clamped to ≤ 100 (logit_scale ≤ ln 100) as open_clip does.
public final class CLIPFineTuner {
    public typealias Mode = ModelHyperparameters.Towers

    public let model: CLIPModel
    public let mode: Mode
    public let optimizer: AdamW
    public let schedule: any LearningRateSchedule
    public private(set) var step = 0

    public init(model: CLIPModel, mode: Mode, schedule: any LearningRateSchedule, weightDecay: Float = 0.1) {
        self.model = model
        self.mode = mode
        self.schedule = schedule
        if mode == .image {
            model.setTrainable(false) { !$0.hasPrefix("visual.") }
        }
        optimizer = AdamW(model.store, beta1: 0.9, beta2: 0.98, epsilon: 1e-6, weightDecay: weightDecay)
    }

    /// Forward, backward and one AdamW update. `captions` and `classPrompts` are `[n × L]` token rows (B caption
    /// rows, C class rows); `labels` are B class indices. Returns the loss before the update.
    @discardableResult
    public func train(images: Tensor, captions: [Int32], classPrompts: [Int32], labels: [Int]) -> Float {
        let store = model.store
        store.zeroGrad()
        let result = lossAndGradients(images: images, captions: captions, classPrompts: classPrompts, labels: labels)
        optimizer.step(learningRate: schedule.learningRate(atStep: step))
        step += 1
        let scale = store.value(model.logitScale)
        scale.pointee = min(scale.pointee, Float(log(100.0)))
        return result
    }

    /// Loss of the batch and its gradients accumulated into the store (no update); `CLIPModel.lossAndGradients`
    /// with the text tower trained in `.both` mode only. Used by `train` and tests.
    public func lossAndGradients(images: Tensor, captions: [Int32], classPrompts: [Int32], labels: [Int]) -> Float {
        model.lossAndGradients(
            images: images, captions: captions, classPrompts: classPrompts, labels: labels,
            trainText: mode == .both)
    }
}
