import Foundation
import PairDxCore

/// safetensors files (the format of Hugging Face's `safetensors` package): an 8-byte little-endian header
/// length N, N bytes of JSON `{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {…}}`,
/// then the tensor bytes. Offsets are relative to the end of the header.
///
/// The writer stores Float32 tensors in name order, each right after the previous one, and pads the header
/// with spaces to a multiple of 8 bytes, so equal tensors give equal bytes. The reader accepts F32, F64,
/// F16, BF16, I64 and I32 and converts to Float32.
public enum SafeTensors {
    /// One tensor: shape and Float32 values (row-major).
    public struct Tensor: Sendable, Equatable {
        public var shape: [Int]
        public var values: [Float]
        public init(shape: [Int], values: [Float]) {
            precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not match \(values.count) values")
            self.shape = shape; self.values = values
        }
    }

    /// A file's tensors by name and its `__metadata__`.
    public struct File: Sendable {
        public var tensors: [String: Tensor]
        public var metadata: [String: String]
        public init(tensors: [String: Tensor] = [:], metadata: [String: String] = [:]) {
            self.tensors = tensors; self.metadata = metadata
        }

        /// The tensor `name`, or an error naming the file, the tensor and what is expected.
        public func tensor(_ name: String, shape: [Int]? = nil, source: String = "checkpoint") throws -> Tensor {
            guard let t = tensors[name] else { throw PairDxError.badInput("\(source): tensor '\(name)' is missing") }
            if let shape, t.shape != shape {
                throw PairDxError.badInput("\(source): tensor '\(name)' has shape \(t.shape), expected \(shape)")
            }
            return t
        }
    }

    // MARK: writing

    public static func encode(_ file: File) throws -> Data {
        var header = "{"
        var entries: [String] = []
        if !file.metadata.isEmpty {
            let meta = file.metadata.sorted { $0.key < $1.key }
                .map { "\(jsonString($0.key)):\(jsonString($0.value))" }.joined(separator: ",")
            entries.append("\"__metadata__\":{\(meta)}")
        }
        var offset = 0
        let names = file.tensors.keys.sorted()
        for name in names {
            let t = file.tensors[name]!
            let bytes = t.values.count * 4
            entries.append(
                "\(jsonString(name)):{\"dtype\":\"F32\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + bytes)]}"
            )
            offset += bytes
        }
        header += entries.joined(separator: ",") + "}"
        var h = Array(header.utf8)
        while h.count % 8 != 0 { h.append(0x20) }
        var out = Data(capacity: 8 + h.count + offset)
        var n = UInt64(h.count).littleEndian
        withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
        out.append(contentsOf: h)
        for name in names {
            file.tensors[name]!.values.withUnsafeBufferPointer { p in
                if UInt32(1).littleEndian == 1 {
                    out.append(
                        UnsafeBufferPointer(
                            start: UnsafeRawPointer(p.baseAddress!).assumingMemoryBound(to: UInt8.self),
                            count: p.count * 4))
                } else {
                    for v in p {
                        var b = v.bitPattern.littleEndian; withUnsafeBytes(of: &b) { out.append(contentsOf: $0) }
                    }
                }
            }
        }
        return out
    }

    /// Writes atomically.
    public static func write(_ file: File, to path: String) throws {
        try AtomicFile.write(try encode(file), to: path)
    }

    // MARK: reading

    public static func read(_ path: String) throws -> File {
        try decode(FileSystem.read(path), source: path)
    }

    public static func decode(_ data: Data, source: String) throws -> File {
        func bad(_ m: String) -> PairDxError { .badInput("\(source): not a safetensors file: \(m)") }
        guard data.count >= 8 else { throw bad("shorter than 8 bytes") }
        let n = data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard n <= UInt64(data.count - 8), n < 100_000_000 else { throw bad("header length \(n) exceeds the file") }
        let headerData = data.subdata(in: 8..<(8 + Int(n)))
        guard let obj = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any] else {
            throw bad("header is not a JSON object")
        }
        let base = 8 + Int(n)
        var file = File()
        for (name, value) in obj {
            if name == "__metadata__" {
                if let m = value as? [String: Any] { for (k, v) in m { file.metadata[k] = "\(v)" } }
                continue
            }
            guard let d = value as? [String: Any], let dtype = d["dtype"] as? String,
                let shape = (d["shape"] as? [NSNumber])?.map(\.intValue),
                let offs = (d["data_offsets"] as? [NSNumber])?.map(\.intValue), offs.count == 2
            else {
                throw bad("entry '\(name)' lacks dtype, shape or data_offsets")
            }
            let count = shape.reduce(1, *)
            let width: Int
            switch dtype {
            case "F32", "I32": width = 4
            case "F64", "I64": width = 8
            case "F16", "BF16": width = 2
            default: throw bad("tensor '\(name)' has unsupported dtype \(dtype)")
            }
            guard offs[0] >= 0, offs[1] - offs[0] == count * width, base + offs[1] <= data.count else {
                throw bad("tensor '\(name)' offsets \(offs) do not match shape \(shape) × \(dtype) or exceed the file")
            }
            var values = [Float](repeating: 0, count: count)
            data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                let p = raw.baseAddress! + base + offs[0]
                for i in 0..<count {
                    switch dtype {
                    case "F32":
                        values[i] = Float(
                            bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
                    case "F64":
                        values[i] = Float(
                            Double(
                                bitPattern: UInt64(
                                    littleEndian: p.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))))
                    case "I32":
                        values[i] = Float(Int32(littleEndian: p.loadUnaligned(fromByteOffset: i * 4, as: Int32.self)))
                    case "I64":
                        values[i] = Float(Int64(littleEndian: p.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)))
                    case "F16":
                        values[i] = Float(
                            Float16(
                                bitPattern: UInt16(
                                    littleEndian: p.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))))
                    default:  // BF16: the high half of a Float32
                        values[i] = Float(
                            bitPattern: UInt32(
                                UInt16(littleEndian: p.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))) << 16)
                    }
                }
            }
            file.tensors[name] = Tensor(shape: shape, values: values)
        }
        return file
    }

    static func jsonString(_ s: String) -> String {
        var o = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": o += "\\\""
            case "\\": o += "\\\\"
            case "\n": o += "\\n"
            case "\r": o += "\\r"
            case "\t": o += "\\t"
            default:
                if u.value < 0x20 { o += String(format: "\\u%04x", u.value) } else { o.unicodeScalars.append(u) }
            }
        }
        return o + "\""
    }
}
