import Foundation
import Testing
@testable import Training

/// Loads a committed PyTorch fixture written by `scripts/fixtures/gen_model_fixtures.py`.
func modelFixture(_ name: String) throws -> SafeTensors.File {
    let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/models")
    return try SafeTensors.read(dir.appendingPathComponent("\(name).safetensors").path)
}

extension SafeTensors.File {
    func values(_ name: String) throws -> [Float] { try tensor(name).values }
    func tensorValue(_ name: String) throws -> Tensor {
        let t = try tensor(name); return Tensor(shape: t.shape, storage: t.values)
    }
    func ints(_ name: String) throws -> [Int] { try values(name).map { Int($0) } }
    func int32s(_ name: String) throws -> [Int32] { try values(name).map { Int32($0) } }

    /// Copies every fixture tensor whose name is a parameter of `store` into it; returns how many.
    @discardableResult
    func loadParameters(into store: ParameterStore, prefix: String = "") -> Int {
        var n = 0
        for e in store.parameters {
            guard let t = tensors[prefix + e.name] else { continue }
            precondition(t.values.count == e.count, "\(e.name): \(t.values.count) vs \(e.count)")
            t.values.withUnsafeBufferPointer {
                store.allValues.baseAddress!.advanced(by: e.offset).update(from: $0.baseAddress!, count: e.count)
            }
            n += 1
        }
        return n
    }
}

/// Largest violation of |a − b| ≤ atol + rtol·|b| (≤ 0 means every element passes).
func excess(_ a: [Float], _ b: [Float], rtol: Float = 1e-4, atol: Float = 1e-5) -> Float {
    precondition(a.count == b.count, "\(a.count) vs \(b.count) values")
    var worst: Float = -.infinity
    for i in a.indices { worst = max(worst, abs(a[i] - b[i]) - (atol + rtol * abs(b[i]))) }
    return a.isEmpty ? 0 : worst
}

func gradient(_ store: ParameterStore, _ name: String) -> [Float] {
    let e = store.parameterEntry(named: name)!
    return Array(UnsafeBufferPointer(start: store.allGrads.baseAddress! + e.offset, count: e.count))
}
