/// The layer convention of the training core.
///
/// - `forward(_:training:)` computes the output and caches what `backward` needs (inputs, masks, statistics).
///   `training: false` means evaluation: no caching is required, BatchNorm uses running statistics, Dropout is
///   the identity.
/// - `backward(_:)` takes ∂loss/∂output of the LAST `forward(training: true)` and returns ∂loss/∂input. It
///   ACCUMULATES (`+=`) parameter gradients into the model's `ParameterStore`, so call `store.zeroGrad()` once per
///   step. A layer whose input gradient is never needed (the first layer of a network) may return an empty tensor
///   when told so at construction.
/// - Parameters are registered in the store at construction, under torchvision-style names.
public protocol Layer: AnyObject {
    func forward(_ x: Tensor, training: Bool) -> Tensor
    func backward(_ dOut: Tensor) -> Tensor
}

/// Layers applied in order; `backward` runs them in reverse.
public final class Sequential: Layer {
    public let layers: [any Layer]

    public init(_ layers: [any Layer]) { self.layers = layers }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        var y = x
        for layer in layers { y = layer.forward(y, training: training) }
        return y
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        var d = dOut
        for layer in layers.reversed() { d = layer.backward(d) }
        return d
    }
}
