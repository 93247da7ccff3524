import Foundation
import PairDxCore

/// A learning rate as a function of the optimiser step (0-based).
public protocol LearningRateSchedule: Sendable {
    func learningRate(atStep step: Int) -> Float
}

/// The schedule a recipe names (`training.<model>.schedule`) over a run of `totalSteps` optimiser steps:
/// `cosine` (to 0 at the last step), `step` (×0.1 every third of the run) or `constant`, each after `warmupSteps`
/// of linear warm-up. Throws `PairDxError.usage` when the warm-up would not leave a single step of the run (`what`
/// names the recipe entry and the run's size in the message).
public func learningRateSchedule(
    _ name: ModelHyperparameters.Schedule, base: Float, totalSteps: Int, warmupSteps: Int,
    what: String
) throws -> any LearningRateSchedule {
    guard warmupSteps >= 0, warmupSteps < totalSteps || warmupSteps == 0 else {
        throw PairDxError.usage(
            "\(what): warmupSteps is \(warmupSteps) but the run has only \(totalSteps) steps; lower warmupSteps below \(totalSteps)"
        )
    }
    switch name {
    case .cosine: return CosineSchedule(base: base, totalSteps: max(totalSteps, 1), warmupSteps: warmupSteps)
    case .step: return StepSchedule(base: base, stepSize: max(1, totalSteps / 3), gamma: 0.1, warmupSteps: warmupSteps)
    case .constant: return ConstantSchedule(base: base, warmupSteps: warmupSteps)
    }
}

/// Linear warm-up from `base/warmupSteps` to `base` over the first `warmupSteps` steps (none when 0).
@inline(__always)
private func warmup(_ base: Float, step: Int, warmupSteps: Int) -> Float? {
    guard warmupSteps > 0, step < warmupSteps else { return nil }
    return base * Float(step + 1) / Float(warmupSteps)
}

/// Constant rate after an optional warm-up.
public struct ConstantSchedule: LearningRateSchedule {
    public let base: Float
    public let warmupSteps: Int
    public init(base: Float, warmupSteps: Int = 0) {
        self.base = base
        self.warmupSteps = warmupSteps
    }
    public func learningRate(atStep step: Int) -> Float {
        warmup(base, step: step, warmupSteps: warmupSteps) ?? base
    }
}

/// Step decay (like `torch.optim.lr_scheduler.StepLR`): base·γ^⌊(step − warm-up)/stepSize⌋ after the warm-up.
public struct StepSchedule: LearningRateSchedule {
    public let base: Float
    public let stepSize: Int
    public let gamma: Float
    public let warmupSteps: Int
    public init(base: Float, stepSize: Int, gamma: Float = 0.1, warmupSteps: Int = 0) {
        precondition(stepSize > 0, "stepSize must be positive")
        self.base = base
        self.stepSize = stepSize
        self.gamma = gamma
        self.warmupSteps = warmupSteps
    }
    public func learningRate(atStep step: Int) -> Float {
        if let w = warmup(base, step: step, warmupSteps: warmupSteps) { return w }
        let k = (step - warmupSteps) / stepSize
        return base * Float(DeterministicMath.pow(Double(gamma), k))
    }
}

/// Cosine annealing (like `CosineAnnealingLR` with T_max = totalSteps − warm-up) from `base` to `minimum`
/// after a linear warm-up; stays at `minimum` past `totalSteps`.
public struct CosineSchedule: LearningRateSchedule {
    public let base: Float
    public let minimum: Float
    public let totalSteps: Int
    public let warmupSteps: Int
    public init(base: Float, totalSteps: Int, minimum: Float = 0, warmupSteps: Int = 0) {
        precondition(totalSteps > warmupSteps, "totalSteps must exceed warmupSteps")
        self.base = base
        self.minimum = minimum
        self.totalSteps = totalSteps
        self.warmupSteps = warmupSteps
    }
    public func learningRate(atStep step: Int) -> Float {
        if let w = warmup(base, step: step, warmupSteps: warmupSteps) { return w }
        let span = Double(totalSteps - warmupSteps)
        let t = min(Double(step - warmupSteps), span)
        return minimum + (base - minimum) * Float(0.5 * (1 + DeterministicMath.cos(Double.pi * t / span)))
    }
}
