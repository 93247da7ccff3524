import PairDxCore

extension ResNet18 {
    /// Loads parameters and BatchNorm running statistics from safetensors tensors named as torchvision's
    /// `resnet18().state_dict()` (`conv1.weight`, `layer1.0.bn1.running_mean`, …; `num_batches_tracked` is not
    /// needed). The classifier `fc.*` is loaded only when `includeClassifier` is true and this network has one
    /// (an ImageNet checkpoint's 1000-way `fc` is skipped otherwise). Every expected tensor is checked for
    /// presence and shape before anything is written, so a bad file leaves the model unchanged.
    /// Throws `PairDxError.badInput` naming the file and the tensor. O(parameters).
    public func loadWeights(_ file: SafeTensors.File, source: String, includeClassifier: Bool = true) throws {
        var plan: [(destination: UnsafeMutablePointer<Float>, values: [Float])] = []
        let entries = parameterIndices.map { (store.parameters[$0], true) } + bufferIndices.map { (store.buffers[$0], false) }
        for (entry, isParameter) in entries {
            let name = String(entry.name.dropFirst(prefixLength))
            if name.hasPrefix("fc.") && !includeClassifier { continue }
            let t = try file.tensor(name, shape: entry.shape, source: source)
            let ref = entry.offset
            plan.append((isParameter ? store.allValues.baseAddress! + ref : store.allBuffers.baseAddress! + ref, t.values))
        }
        for item in plan {
            item.values.withUnsafeBufferPointer { item.destination.update(from: $0.baseAddress!, count: $0.count) }
        }
    }

    /// This network's parameters and running statistics under torchvision's names (checkpoint export).
    public func exportWeights() -> [String: SafeTensors.Tensor] {
        var out: [String: SafeTensors.Tensor] = [:]
        for i in parameterIndices {
            let e = store.parameters[i]
            out[String(e.name.dropFirst(prefixLength))] = SafeTensors.Tensor(
                shape: e.shape, values: Array(UnsafeBufferPointer(start: store.allValues.baseAddress! + e.offset, count: e.count)))
        }
        for i in bufferIndices {
            let e = store.buffers[i]
            out[String(e.name.dropFirst(prefixLength))] = SafeTensors.Tensor(
                shape: e.shape, values: Array(UnsafeBufferPointer(start: store.allBuffers.baseAddress! + e.offset, count: e.count)))
        }
        return out
    }
}
