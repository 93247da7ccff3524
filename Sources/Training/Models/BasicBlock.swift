/// ResNet's basic block: conv3×3(stride) → BN → ReLU → conv3×3 → BN, plus the identity or a 1×1(stride) conv + BN
/// shortcut, then ReLU. Channel-major tensors `[C, B, H, W]`. Names follow torchvision
/// (`<name>.conv1`, `.bn1`, `.conv2`, `.bn2`, `.downsample.0`, `.downsample.1`).
///
/// The element-wise work is fused into the BatchNorms (`BN → ReLU` in `bn1`; `BN → + shortcut → ReLU` in `bn2`,
/// forward and backward) and the sum of the two branches' input gradients into `conv1`'s col2im, with the operations
/// of the unfused composition in the same order (same bits).
final class BasicBlock: Layer {
    let conv1: Conv2d, bn1: BatchNorm2d
    let conv2: Conv2d, bn2: BatchNorm2d
    let downsample: (Conv2d, BatchNorm2d)?

    init(
        _ store: ParameterStore, name: String, inChannels: Int, outChannels: Int, stride: Int,
        workspace: Workspace, generator: inout SeededGenerator
    ) {
        conv1 = Conv2d(
            store, name: "\(name).conv1", inChannels: inChannels, outChannels: outChannels, kernel: 3,
            stride: stride, padding: 1, workspace: workspace, generator: &generator)
        bn1 = BatchNorm2d(store, name: "\(name).bn1", channels: outChannels)
        conv2 = Conv2d(
            store, name: "\(name).conv2", inChannels: outChannels, outChannels: outChannels, kernel: 3,
            stride: 1, padding: 1, workspace: workspace, generator: &generator)
        bn2 = BatchNorm2d(store, name: "\(name).bn2", channels: outChannels)
        if stride != 1 || inChannels != outChannels {
            downsample = (
                Conv2d(
                    store, name: "\(name).downsample.0", inChannels: inChannels, outChannels: outChannels,
                    kernel: 1, stride: stride, workspace: workspace, generator: &generator),
                BatchNorm2d(store, name: "\(name).downsample.1", channels: outChannels)
            )
        } else {
            downsample = nil
        }
    }

    func forward(_ x: Tensor, training: Bool) -> Tensor {
        let hidden = bn1.forward(conv1.forward(x, training: training), adding: nil, relu: true, training: training)
        let shortcut = downsample.map { $0.1.forward($0.0.forward(x, training: training), training: training) } ?? x
        return bn2.forward(conv2.forward(hidden, training: training), adding: shortcut, relu: true, training: training)
    }

    func backward(_ dOut: Tensor) -> Tensor {
        let (dMain, dSum) = bn2.backwardWithResidual(dOut)
        let d = dSum!  // the output gradient through the final ReLU, shared by both branches
        let dShortcut = downsample.map { $0.0.backward($0.1.backward(d)) } ?? d
        return conv1.backward(bn1.backward(conv2.backward(dMain)), adding: dShortcut)
    }
}
