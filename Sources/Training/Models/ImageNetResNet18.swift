import Foundation
import PairDxCore

/// torchvision's ImageNet ResNet-18 (`resnet18(weights="IMAGENET1K_V1").state_dict()`) saved as safetensors, read
/// once and checked against the network it will start: every tensor of `ResNet18` except the classifier `fc` must be
/// present with its shape (`num_batches_tracked` and the 1000-way `fc` are ignored). A bad file is refused before
/// any training with an error naming the file and the first missing or misshapen tensor.
public struct ImageNetResNet18: Sendable {
    /// The tensors by torchvision name.
    public let tensors: [String: Tensor]
    /// `imagenet:<file name> sha256:<first 16 hex digits of the file's SHA-256>`, for logs and reports.
    public let source: String

    /// Reads `path` and checks it fits a ResNet-18 of `widthMultiplier` (1 for torchvision's). O(file size).
    public static func load(_ path: String, widthMultiplier: Double = 1) throws -> ImageNetResNet18 {
        guard FileSystem.exists(path) else { throw PairDxError.io("\(path): ResNet-18 weights file not found") }
        let file = try SafeTensors.read(path)
        var tensors: [String: Tensor] = [:]
        for (name, t) in file.tensors where !name.hasSuffix("num_batches_tracked") && !name.hasPrefix("fc.") {
            tensors[name] = Tensor(shape: t.shape, storage: t.values)
        }
        var g = SeededGenerator(seed: 0)
        let probe = ResNet18(ParameterStore(), widthMultiplier: widthMultiplier, classes: nil, generator: &g)
        let hint =
            widthMultiplier == 1
            ? "" : " (the recipe's ResNet width multiplier is \(widthMultiplier); ImageNet weights need 1)"
        do {
            try probe.loadWeights(source: path, includeClassifier: false) { tensors[$0] }
        } catch let error as PairDxError {
            throw PairDxError.badInput(error.message + hint)
        }
        let digest = try SHA256.hex(fileAt: path)
        return ImageNetResNet18(
            tensors: tensors, source: "imagenet:\((path as NSString).lastPathComponent) sha256:\(digest.prefix(16))")
    }
}
