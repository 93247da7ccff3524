import Foundation
import Testing
@testable import Training

/// Reads the PyTorch reference fixtures written by `scripts/fixtures/gen_core_fixtures.py`.
enum CoreFixture {
    static func load(_ name: String) throws -> SafeTensors.File {
        guard let url = Bundle.module.url(forResource: "Fixtures/core/\(name)", withExtension: "safetensors") else {
            throw FixtureMissing(name: name)
        }
        return try SafeTensors.read(url.path)
    }

    struct FixtureMissing: Error { let name: String }

    /// A fixture tensor as a `Tensor` (PyTorch layout).
    static func tensor(_ file: SafeTensors.File, _ name: String) throws -> Training.Tensor {
        let t = try file.tensor(name, source: "fixture")
        return Training.Tensor(shape: t.shape, storage: t.values)
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

    static func expectClose(_ a: Training.Tensor, _ b: Training.Tensor, tolerance: Float = 1e-4, _ what: String,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(a.count == b.count, "\(what): \(a.shape) vs \(b.shape)", sourceLocation: sourceLocation)
        guard a.count == b.count else { return }
        let e = relativeError(a.storage, b.storage)
        #expect(e <= tolerance, "\(what): relative error \(e) exceeds \(tolerance)", sourceLocation: sourceLocation)
    }
}
