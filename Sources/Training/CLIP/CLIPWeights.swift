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
        let file = try CLIPSafeTensors.read(path)
        for entry in model.store.parameters {
            guard let tensor = file.tensors[entry.name] else {
                throw PairDxError.badInput("\(path): tensor '\(entry.name)' is missing (is this an open_clip \(entry.name.hasPrefix("visual.") ? "image" : "text") tower with these shapes?)")
            }
            let shape = tensor.shape.filter { $0 != 1 } == entry.shape.filter { $0 != 1 } && tensor.values.count == entry.count
            guard shape else {
                throw PairDxError.badInput("\(path): tensor '\(entry.name)' has shape \(tensor.shape), the model expects \(entry.shape)")
            }
            tensor.values.withUnsafeBufferPointer {
                model.store.allValues.baseAddress!.advanced(by: entry.offset).update(from: $0.baseAddress!, count: entry.count)
            }
        }
        let known = Set(model.store.parameters.map(\.name))
        return LoadReport(loaded: known.count, ignored: file.tensors.keys.filter { !known.contains($0) }.sorted())
    }

    /// Writes every parameter of `model` (Float32, names sorted) to `path` atomically.
    public static func save(_ model: CLIPModel, to path: String) throws {
        let values = model.store.allValues
        var tensors: [String: CLIPSafeTensors.Entry] = [:]
        for entry in model.store.parameters {
            tensors[entry.name] = .init(shape: entry.shape, values: Array(values[entry.offset..<(entry.offset + entry.count)]))
        }
        try AtomicFile.write(CLIPSafeTensors.encode(tensors), to: path)
    }
}

/// A minimal safetensors codec: 8-byte little-endian header length, JSON header
/// `{name: {"dtype", "shape", "data_offsets"}}`, tensor bytes (little-endian). O(file size).
public enum CLIPSafeTensors {
    public struct Entry: Sendable {
        public var shape: [Int]
        public var values: [Float]
    }

    public struct File: Sendable {
        public var tensors: [String: Entry]
        public var metadata: [String: String]
    }

    public static func read(_ path: String) throws -> File {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw PairDxError.io("cannot read the weights file \(path): \(error.localizedDescription)")
        }
        return try decode(data, source: path)
    }

    public static func decode(_ data: Data, source: String) throws -> File {
        let bytes = [UInt8](data)
        func bad(_ m: String) -> PairDxError { .badInput("\(source) is not a valid safetensors file: \(m)") }
        guard bytes.count >= 8 else { throw bad("shorter than its 8-byte header length") }
        var headerLength = 0
        for i in 0..<8 { headerLength |= Int(bytes[i]) << (8 * i) }
        guard headerLength > 0, 8 + headerLength <= bytes.count else { throw bad("header length \(headerLength) exceeds the file") }
        guard let header = try? JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + headerLength)])) as? [String: Any] else {
            throw bad("header is not a JSON object")
        }
        let base = 8 + headerLength
        var tensors: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                metadata = (value as? [String: String]) ?? [:]
                continue
            }
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                  let shape = (info["shape"] as? [NSNumber])?.map(\.intValue),
                  let offsets = (info["data_offsets"] as? [NSNumber])?.map(\.intValue), offsets.count == 2 else {
                throw bad("entry '\(name)' lacks dtype, shape or data_offsets")
            }
            let count = shape.reduce(1, *)
            let width: Int
            switch dtype {
            case "F32": width = 4
            case "F16", "BF16": width = 2
            case "F64", "I64": width = 8
            default: throw bad("tensor '\(name)' has unsupported dtype \(dtype)")
            }
            guard offsets[1] - offsets[0] == count * width, base + offsets[1] <= bytes.count, offsets[0] >= 0 else {
                throw bad("tensor '\(name)' has data offsets \(offsets) that do not fit \(dtype) \(shape)")
            }
            var values = [Float](repeating: 0, count: count)
            bytes.withUnsafeBufferPointer { bp in
                let p = bp.baseAddress! + base + offsets[0]
                for i in 0..<count {
                    var bits: UInt64 = 0
                    for k in 0..<width { bits |= UInt64(p[i * width + k]) << (8 * UInt64(k)) }
                    switch dtype {
                    case "F32": values[i] = Float(bitPattern: UInt32(bits))
                    case "BF16": values[i] = Float(bitPattern: UInt32(bits) << 16)
                    case "F16": values[i] = Float(Float16(bitPattern: UInt16(bits)))
                    case "F64": values[i] = Float(Double(bitPattern: bits))
                    default: values[i] = Float(Int64(bitPattern: bits))
                    }
                }
            }
            tensors[name] = Entry(shape: shape, values: values)
        }
        return File(tensors: tensors, metadata: metadata)
    }

    /// Float32 tensors in name order, header padded with spaces to a multiple of 8 bytes.
    public static func encode(_ tensors: [String: Entry]) -> Data {
        var offset = 0
        var fields: [String] = []
        for name in tensors.keys.sorted() {
            let t = tensors[name]!
            let end = offset + t.values.count * 4
            let escaped = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            fields.append("\"\(escaped)\":{\"dtype\":\"F32\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var header = Array(("{" + fields.joined(separator: ",") + "}").utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var out = [UInt8]()
        out.reserveCapacity(8 + header.count + offset)
        for i in 0..<8 { out.append(UInt8((header.count >> (8 * i)) & 0xFF)) }
        out += header
        for name in tensors.keys.sorted() {
            for v in tensors[name]!.values {
                let bits = v.bitPattern
                out += [UInt8(bits & 0xFF), UInt8((bits >> 8) & 0xFF), UInt8((bits >> 16) & 0xFF), UInt8(bits >> 24)]
            }
        }
        return Data(out)
    }
}
