/// ResNet-18 in torchvision's layout: conv 7×7/2 → BN → ReLU (one fused pass) → max-pool 3/2 → four stages of two
/// basic blocks (widths 64, 128, 256, 512 × `widthMultiplier`; stages 2–4 start with stride 2 and a 1×1/2
/// downsample) → global average pooling → optional linear classifier `fc`.
///
/// Parameter names equal torchvision's (`conv1.weight`, `layer2.0.downsample.1.running_var`, `fc.bias`, …),
/// prefixed by `name.` when a name is given, so torchvision weights load by name (`loadWeights`).
/// Initialisation as torchvision: Kaiming normal (fan-out, ReLU) for convolutions, BN γ = 1 and β = 0, PyTorch's
/// default for `fc`. Input `[B, 3, H, W]` (batch-major); internally channel-major (see `Core/README.md`).
public final class ResNet18: Layer {
    public let widthMultiplier: Double
    /// Width of `features`: 512 × multiplier.
    public let featureWidth: Int
    public let store: ParameterStore
    public let workspace = Workspace()
    let conv1: Conv2d, bn1: BatchNorm2d, maxPool = MaxPool2d(kernel: 3, stride: 2, padding: 1)
    let blocks: [BasicBlock]
    let pool = GlobalAveragePool()
    /// The classifier (`fc`), when built with `classes`.
    public let fc: Linear?
    private let prefix: String
    var prefixLength: Int { prefix.count }
    /// Positions of this network's entries in `store.parameters` / `store.buffers` (registered contiguously).
    public let parameterIndices: Range<Int>
    public let bufferIndices: Range<Int>

    /// Builds the network and registers its parameters in `store` (under `name.` when `name` is non-empty).
    public init(
        _ store: ParameterStore, name: String = "", widthMultiplier: Double = 1, classes: Int? = nil,
        generator: inout SeededGenerator
    ) {
        precondition(widthMultiplier > 0, "widthMultiplier must be positive")
        self.store = store
        self.widthMultiplier = widthMultiplier
        prefix = name.isEmpty ? "" : name + "."
        let firstParameter = store.parameters.count, firstBuffer = store.buffers.count
        let widths = [64, 128, 256, 512].map { max(1, Int((Double($0) * widthMultiplier).rounded())) }
        featureWidth = widths[3]
        conv1 = Conv2d(
            store, name: prefix + "conv1", inChannels: 3, outChannels: widths[0], kernel: 7, stride: 2,
            padding: 3, workspace: workspace, needsInputGradient: false, generator: &generator)
        bn1 = BatchNorm2d(store, name: prefix + "bn1", channels: widths[0])
        var blocks: [BasicBlock] = []
        var channels = widths[0]
        for (stage, width) in widths.enumerated() {
            for index in 0..<2 {
                let stride = (stage > 0 && index == 0) ? 2 : 1
                blocks.append(
                    BasicBlock(
                        store, name: "\(prefix)layer\(stage + 1).\(index)", inChannels: channels,
                        outChannels: width, stride: stride, workspace: workspace, generator: &generator))
                channels = width
            }
        }
        self.blocks = blocks
        if let classes {
            fc = Linear(store, name: prefix + "fc", inFeatures: widths[3], outFeatures: classes, generator: &generator)
        } else {
            fc = nil
        }
        parameterIndices = firstParameter..<store.parameters.count
        bufferIndices = firstBuffer..<store.buffers.count
    }

    /// Pooled features `[B, featureWidth]` of images `[B, 3, H, W]`.
    public func features(_ images: Tensor, training: Bool) -> Tensor {
        precondition(
            images.rank == 4 && images.shape[1] == 3, "ResNet18 expects images [B, 3, H, W], got \(images.shape)")
        var x = images.swappingLeadingAxes()
        x = maxPool.forward(
            bn1.forward(conv1.forward(x, training: training), adding: nil, relu: true, training: training),
            training: training)
        for block in blocks { x = block.forward(x, training: training) }
        return pool.forward(x, training: training)
    }

    /// Back-propagates ∂loss/∂features `[B, featureWidth]` through the network, accumulating parameter
    /// gradients. The image gradient is not computed (nothing upstream learns).
    public func backwardFeatures(_ dFeatures: Tensor) {
        var d = pool.backward(dFeatures)
        for block in blocks.reversed() { d = block.backward(d) }
        _ = conv1.backward(bn1.backward(maxPool.backward(d)))
    }

    /// Logits `[B, classes]` when built with `classes`, else the features.
    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let f = features(x, training: training)
        return fc.map { $0.forward(f, training: training) } ?? f
    }

    /// Back-propagates from the output of `forward`; returns an empty tensor (no image gradient).
    public func backward(_ dOut: Tensor) -> Tensor {
        backwardFeatures(fc.map { $0.backward(dOut) } ?? dOut)
        return Tensor(shape: [0])
    }

}
