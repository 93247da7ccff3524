import Foundation

/// A learning rate as a function of the optimiser step (0-based).
public protocol LearningRateSchedule: Sendable {
    func learningRate(atStep step: Int) -> Float
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
        return base * Float(pow(Double(gamma), Double(k)))
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
        return minimum + (base - minimum) * Float(0.5 * (1 + cos(Double.pi * t / span)))
    }
}
