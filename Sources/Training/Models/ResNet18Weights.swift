import PairDxCore

extension ResNet18 {
    /// Loads parameters and BatchNorm running statistics from tensors named as torchvision's
    /// `resnet18().state_dict()` (`conv1.weight`, `layer1.0.bn1.running_mean`, …; `num_batches_tracked` is not
    /// needed). `tensor(name)` returns the named tensor of the file (e.g. a safetensors file) or nil.
    /// The classifier `fc.*` is loaded only when `includeClassifier` is true and this network has one (an
    /// ImageNet checkpoint's 1000-way `fc` is skipped otherwise). Every expected tensor is checked for presence and
    /// shape before anything is written, so a bad file leaves the model unchanged.
    /// Throws `PairDxError.badInput` naming `source` and the tensor. O(parameters).
    public func loadWeights(source: String, includeClassifier: Bool = true, tensor: (String) -> Tensor?) throws {
        var plan: [(destination: UnsafeMutablePointer<Float>, values: Tensor)] = []
        let entries =
            parameterIndices.map { (store.parameters[$0], true) } + bufferIndices.map { (store.buffers[$0], false) }
        for (entry, isParameter) in entries {
            let name = String(entry.name.dropFirst(prefixLength))
            if name.hasPrefix("fc.") && !includeClassifier { continue }
            guard let t = tensor(name) else {
                throw PairDxError.badInput(
                    "\(source): tensor '\(name)' is missing (expected torchvision ResNet-18 names)")
            }
            guard t.shape == entry.shape else {
                throw PairDxError.badInput("\(source): tensor '\(name)' has shape \(t.shape), expected \(entry.shape)")
            }
            let base = isParameter ? store.allValues.baseAddress! : store.allBuffers.baseAddress!
            plan.append((base + entry.offset, t))
        }
        for item in plan {
            item.values.withUnsafeBufferPointer { item.destination.update(from: $0.baseAddress!, count: $0.count) }
        }
    }

    /// This network's parameters and running statistics under torchvision's names (for checkpoints).
    public func exportWeights() -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (entries, base) in [
            (parameterIndices.map { store.parameters[$0] }, store.allValues.baseAddress!),
            (bufferIndices.map { store.buffers[$0] }, store.allBuffers.baseAddress!)
        ] {
            for e in entries {
                out[String(e.name.dropFirst(prefixLength))] = Tensor(
                    shape: e.shape, storage: Array(UnsafeBufferPointer(start: base + e.offset, count: e.count)))
            }
        }
        return out
    }
}

extension ResNet18 {
    /// Loads torchvision-named weights from a safetensors file's tensors (see `loadWeights(source:includeClassifier:tensor:)`).
    public func loadWeights(_ file: SafeTensors.File, source: String, includeClassifier: Bool = true) throws {
        try loadWeights(source: source, includeClassifier: includeClassifier) { name in
            file.tensors[name].map { Tensor(shape: $0.shape, storage: $0.values) }
        }
    }
}
