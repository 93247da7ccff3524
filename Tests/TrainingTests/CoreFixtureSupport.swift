import Foundation
import Testing
@testable import Training

/// Reads the PyTorch reference fixtures written by `scripts/fixtures/gen_core_fixtures.py` (safetensors files of
/// little-endian float32 tensors; a minimal reader of its own keeps these tests independent of the checkpoint code).
enum CoreFixture {
    struct File {
        var tensors: [String: Training.Tensor]
    }

    struct FixtureError: Error, CustomStringConvertible { let description: String }

    static func load(_ name: String) throws -> File {
        guard let url = Bundle.module.url(forResource: "Fixtures/core/\(name)", withExtension: "safetensors") else {
            throw FixtureError(
                description: "fixture \(name).safetensors is missing; run scripts/fixtures/gen_core_fixtures.py")
        }
        let data = try Data(contentsOf: url)
        let headerLength = Int(
            data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        let header =
            try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + headerLength))) as? [String: Any] ?? [:]
        var tensors: [String: Training.Tensor] = [:]
        for (key, value) in header where key != "__metadata__" {
            guard let entry = value as? [String: Any], entry["dtype"] as? String == "F32",
                let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int]
            else {
                throw FixtureError(description: "\(name): tensor \(key) is not a float32 entry")
            }
            let bytes = data.subdata(in: (8 + headerLength + offsets[0])..<(8 + headerLength + offsets[1]))
            let values = bytes.withUnsafeBytes { raw in
                (0..<(bytes.count / 4)).map {
                    Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)))
                }
            }
            tensors[key] = Training.Tensor(shape: shape, storage: values)
        }
        return File(tensors: tensors)
    }

    /// A fixture tensor (PyTorch layout).
    static func tensor(_ file: File, _ name: String) throws -> Training.Tensor {
        guard let t = file.tensors[name] else { throw FixtureError(description: "fixture tensor \(name) is missing") }
        return t
    }

    /// max|a − b| / max(max|b|, floor): the error relative to the reference's scale.
    static func relativeError(_ a: [Float], _ b: [Float], floor: Float = 1e-3) -> Float {
        precondition(a.count == b.count, "compared \(a.count) with \(b.count) values")
        var worst: Float = 0, scale = floor
        for i in 0..<a.count {
            worst = max(worst, abs(a[i] - b[i]))
            scale = max(scale, abs(b[i]))
        }
        return worst / scale
    }

    static func expectClose(
        _ a: Training.Tensor, _ b: Training.Tensor, tolerance: Float = 1e-4, _ what: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(a.count == b.count, "\(what): \(a.shape) vs \(b.shape)", sourceLocation: sourceLocation)
        guard a.count == b.count else { return }
        let e = relativeError(a.storage, b.storage)
        #expect(e <= tolerance, "\(what): relative error \(e) exceeds \(tolerance)", sourceLocation: sourceLocation)
    }
}
