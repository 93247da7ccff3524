import Foundation
import PairDxCore

/// Model checkpoints as safetensors: every parameter and buffer under its registered (PyTorch-style) name,
/// plus metadata `pairdx.spec` (the `ModelSpec` as canonical JSON), `pairdx.vocabulary` (one word per line),
/// `pairdx.weights-sha256` (`ParameterStore.weightsDigest`), `pairdx.compute-mode` and `pairdx.gemm-kernel` (how the
/// products were computed when it was saved, `BLAS.mode` and `BLAS.kernel`) and `format: pt`. Python's
/// `safetensors` loads them; `Checkpoint.load` rebuilds the model.
public enum Checkpoint {
    public static func save(
        _ model: any Classifier, vocabulary: Vocabulary?, extra: [String: String] = [:], to path: String
    ) throws {
        var file = SafeTensors.File()
        let s = model.store
        for e in s.parameters {
            file.tensors[e.name] = .init(
                shape: e.shape,
                values: Array(UnsafeBufferPointer(start: s.allValues.baseAddress! + e.offset, count: e.count)))
        }
        for e in s.buffers {
            file.tensors[e.name] = .init(
                shape: e.shape,
                values: Array(UnsafeBufferPointer(start: s.allBuffers.baseAddress! + e.offset, count: e.count)))
        }
        file.metadata = extra
        file.metadata["format"] = "pt"
        file.metadata["pairdx.spec"] = try CanonicalJSON.string(model.spec)
        file.metadata["pairdx.weights-sha256"] = s.weightsDigest()
        file.metadata["pairdx.compute-mode"] = BLAS.mode.rawValue
        file.metadata["pairdx.gemm-kernel"] = BLAS.kernel
        if let vocabulary {
            file.metadata["pairdx.vocabulary"] = vocabulary.words.dropFirst(Vocabulary.specials.count).joined(
                separator: "\n")
        }
        try FileSystem.makeDirectory(
            (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent)
        try SafeTensors.write(file, to: path)
    }

    /// Rebuilds the model and vocabulary saved in `path`; every tensor must be present with its shape.
    public static func load(_ path: String) throws -> (
        model: any Classifier, vocabulary: Vocabulary?, metadata: [String: String]
    ) {
        let file = try SafeTensors.read(path)
        guard let specJSON = file.metadata["pairdx.spec"] else {
            throw PairDxError.badInput("\(path): no 'pairdx.spec' metadata; not a checkpoint written by 'pairdx train'")
        }
        let spec = try CanonicalJSON.decode(ModelSpec.self, from: Data(specJSON.utf8), source: path + " (pairdx.spec)")
        let model = makeClassifier(spec, seed: 0)
        let s = model.store
        for e in s.parameters {
            let t = try file.tensor(e.name, shape: e.shape, source: path)
            t.values.withUnsafeBufferPointer {
                s.allValues.baseAddress!.advanced(by: e.offset).update(from: $0.baseAddress!, count: e.count)
            }
        }
        for e in s.buffers {
            let t = try file.tensor(e.name, shape: e.shape, source: path)
            t.values.withUnsafeBufferPointer {
                s.allBuffers.baseAddress!.advanced(by: e.offset).update(from: $0.baseAddress!, count: e.count)
            }
        }
        var vocab: Vocabulary?
        if let v = file.metadata["pairdx.vocabulary"] {
            vocab = Vocabulary(words: v.isEmpty ? [] : v.components(separatedBy: "\n"))
            if vocab!.count != spec.vocabularySize && spec.kind.usesText {
                throw PairDxError.badInput(
                    "\(path): vocabulary has \(vocab!.count) words, the model expects \(spec.vocabularySize)")
            }
        }
        return (model, vocab, file.metadata)
    }
}

extension ParameterStore {
    /// SHA-256 (hex) of every parameter and buffer: for each in name order (parameters and buffers together,
    /// UTF-8 byte order), its name, a NUL byte, its shape as decimal numbers joined by `x`, a NUL byte, then its
    /// Float32 values little-endian. Equal weights ⇔ equal digests (up to SHA-256). O(parameters).
    public func weightsDigest() -> String {
        let entries = parameters.map { ($0, allValues.baseAddress!) } + buffers.map { ($0, allBuffers.baseAddress!) }
        let h = Hasher256()
        for (e, base) in entries.sorted(by: { $0.0.name.utf8.lexicographicallyPrecedes($1.0.name.utf8) }) {
            h.update(e.name + "\u{0}" + e.shape.map(String.init).joined(separator: "x") + "\u{0}")
            var bytes = [UInt8]()
            bytes.reserveCapacity(4 * e.count)
            for v in UnsafeBufferPointer(start: base + e.offset, count: e.count) {
                let u = v.bitPattern
                bytes.append(UInt8(truncatingIfNeeded: u)); bytes.append(UInt8(truncatingIfNeeded: u >> 8))
                bytes.append(UInt8(truncatingIfNeeded: u >> 16)); bytes.append(UInt8(truncatingIfNeeded: u >> 24))
            }
            bytes.withUnsafeBytes { h.update($0) }
        }
        return h.finalizeHex()
    }
}
