import Foundation
import PairDxCore

/// A `ParameterStore` read from and written to a safetensors file by parameter name (the open_clip-named
/// CLIP and BiomedCLIP files). O(parameter count + file size).
extension ParameterStore {
    /// Copies every parameter from the tensor of the same name in `file`. Shapes must match exactly, except that a
    /// one-element parameter may be stored as `[]` or `[1]`. Throws `PairDxError.badInput` naming `source` and the
    /// tensor when one is missing (`missingHint` adds what the file was expected to be) or has another shape.
    /// Returns the file's tensor names the store does not have, sorted.
    func load(from file: SafeTensors.File, source: String, missingHint: (String) -> String) throws -> [String] {
        for entry in parameters {
            guard let tensor = file.tensors[entry.name] else {
                throw PairDxError.badInput("\(source): tensor '\(entry.name)' is missing (\(missingHint(entry.name)))")
            }
            guard tensor.shape == entry.shape || (entry.count == 1 && tensor.values.count == 1) else {
                throw PairDxError.badInput(
                    "\(source): tensor '\(entry.name)' has shape \(tensor.shape), the model expects \(entry.shape)")
            }
            tensor.values.withUnsafeBufferPointer {
                allValues.baseAddress!.advanced(by: entry.offset).update(from: $0.baseAddress!, count: entry.count)
            }
        }
        let known = Set(parameters.map(\.name))
        return file.tensors.keys.filter { !known.contains($0) }.sorted()
    }

    /// Every parameter as a Float32 tensor under its name, with `metadata`.
    func namedTensors(metadata: [String: String] = [:]) -> SafeTensors.File {
        let values = allValues
        var file = SafeTensors.File(metadata: metadata)
        for entry in parameters {
            file.tensors[entry.name] = .init(
                shape: entry.shape, values: Array(values[entry.offset..<(entry.offset + entry.count)]))
        }
        return file
    }
}
