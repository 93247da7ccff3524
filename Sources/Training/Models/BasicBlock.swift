/// ResNet's basic block: conv3×3(stride) → BN → ReLU → conv3×3 → BN, plus the identity or a 1×1(stride) conv + BN
/// shortcut, then ReLU. Channel-major tensors `[C, B, H, W]`. Names follow torchvision
/// (`<name>.conv1`, `.bn1`, `.conv2`, `.bn2`, `.downsample.0`, `.downsample.1`).
final class BasicBlock: Layer {
    let conv1: Conv2d, bn1: BatchNorm2d, relu1 = ReLU()
    let conv2: Conv2d, bn2: BatchNorm2d
    let downsample: (Conv2d, BatchNorm2d)?
    private var output = Tensor(shape: [0])

    init(_ store: ParameterStore, name: String, inChannels: Int, outChannels: Int, stride: Int,
         workspace: Workspace, generator: inout SeededGenerator) {
        conv1 = Conv2d(store, name: "\(name).conv1", inChannels: inChannels, outChannels: outChannels, kernel: 3,
                       stride: stride, padding: 1, workspace: workspace, generator: &generator)
        bn1 = BatchNorm2d(store, name: "\(name).bn1", channels: outChannels)
        conv2 = Conv2d(store, name: "\(name).conv2", inChannels: outChannels, outChannels: outChannels, kernel: 3,
                       stride: 1, padding: 1, workspace: workspace, generator: &generator)
        bn2 = BatchNorm2d(store, name: "\(name).bn2", channels: outChannels)
        if stride != 1 || inChannels != outChannels {
            downsample = (Conv2d(store, name: "\(name).downsample.0", inChannels: inChannels, outChannels: outChannels,
                                 kernel: 1, stride: stride, workspace: workspace, generator: &generator),
                          BatchNorm2d(store, name: "\(name).downsample.1", channels: outChannels))
        } else {
            downsample = nil
        }
    }

    func forward(_ x: Tensor, training: Bool) -> Tensor {
        let main = bn2.forward(conv2.forward(relu1.forward(bn1.forward(conv1.forward(x, training: training), training: training), training: training), training: training), training: training)
        let shortcut = downsample.map { $0.1.forward($0.0.forward(x, training: training), training: training) } ?? x
        let y = main.withUnsafeBufferPointer { mp in
            shortcut.withUnsafeBufferPointer { sp in
                Tensor(shape: main.shape) { yp in
                    Compute.parallelFor(yp.count) { r in for i in r { yp[i] = max(0, mp[i] + sp[i]) } }
                }
            }
        }
        if training { output = y }
        return y
    }

    func backward(_ dOut: Tensor) -> Tensor {
        let d = output.withUnsafeBufferPointer { y in
            dOut.withUnsafeBufferPointer { g in
                Tensor(shape: dOut.shape) { dp in
                    Compute.parallelFor(dp.count) { r in for i in r { dp[i] = y[i] > 0 ? g[i] : 0 } }
                }
            }
        }
        let dMain = conv1.backward(bn1.backward(relu1.backward(conv2.backward(bn2.backward(d)))))
        let dShortcut = downsample.map { $0.0.backward($0.1.backward(d)) } ?? d
        return dMain.withUnsafeBufferPointer { a in
            dShortcut.withUnsafeBufferPointer { b in
                Tensor(shape: dMain.shape) { dx in
                    Compute.parallelFor(dx.count) { r in for i in r { dx[i] = a[i] + b[i] } }
                }
            }
        }
    }
}
