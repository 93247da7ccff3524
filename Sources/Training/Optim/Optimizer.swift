/// An optimiser updates every trainable parameter of one `ParameterStore` from its gradients.
///
/// Convention: `zeroGrad()` → forward → loss → backward (accumulates gradients) → `step(learningRate:)`.
/// The learning rate is passed per step so any `LearningRateSchedule` can drive it.
public protocol Optimizer: AnyObject {
    var store: ParameterStore { get }
    /// Applies one update with learning rate `learningRate`. O(parameterCount).
    func step(learningRate: Float)
}
