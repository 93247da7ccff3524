import Foundation
import PairDxCore

/// Loads and saves CLIP parameters as safetensors files under open_clip's parameter names
/// (`visual.conv1.weight`, `visual.transformer.resblocks.0.attn.in_proj_weight`, `token_embedding.weight`,
/// `logit_scale`, …). F32, F16, BF16 and F64 tensors are read (converted to Float32); shapes must match the
/// model's configuration exactly. Entries the model does not have (e.g. `attn_mask`, `input_resolution`) are
/// ignored and reported. O(file size).
public enum CLIPWeights {
    public struct LoadReport: Sendable {
        public let loaded: Int
        public let ignored: [String]
    }

    /// Copies every parameter of `model` from the file. Throws `PairDxError.badInput` naming the file and the
    /// tensor when one is missing, has the wrong shape or an unsupported dtype.
    @discardableResult
    public static func load(_ model: CLIPModel, from path: String) throws -> LoadReport {
        let file = try SafeTensors.read(path)
        for entry in model.store.parameters {
            guard let tensor = file.tensors[entry.name] else {
                throw PairDxError.badInput("\(path): tensor '\(entry.name)' is missing (is this an open_clip \(entry.name.hasPrefix("visual.") ? "image" : "text") tower with these shapes?)")
            }
            // Exact shapes; a scalar may be stored as [] or [1].
            guard tensor.shape == entry.shape || (entry.count == 1 && tensor.values.count == 1) else {
                throw PairDxError.badInput("\(path): tensor '\(entry.name)' has shape \(tensor.shape), the model expects \(entry.shape)")
            }
            tensor.values.withUnsafeBufferPointer {
                model.store.allValues.baseAddress!.advanced(by: entry.offset).update(from: $0.baseAddress!, count: entry.count)
            }
        }
        let known = Set(model.store.parameters.map(\.name))
        return LoadReport(loaded: known.count, ignored: file.tensors.keys.filter { !known.contains($0) }.sorted())
    }

    /// Writes every parameter of `model` (Float32, names sorted; `SafeTensors`) to `path` atomically.
    public static func save(_ model: CLIPModel, to path: String) throws {
        let values = model.store.allValues
        var file = SafeTensors.File()
        for entry in model.store.parameters {
            file.tensors[entry.name] = .init(shape: entry.shape, values: Array(values[entry.offset..<(entry.offset + entry.count)]))
        }
        try SafeTensors.write(file, to: path)
    }
}
