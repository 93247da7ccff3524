import Foundation
import PairDxCore

/// Model checkpoints as safetensors: every parameter and buffer under its registered (PyTorch-style) name,
/// plus metadata `pairdx.spec` (the `ModelSpec` as canonical JSON), `pairdx.vocabulary` (one word per line)
/// and `format: pt`. Python's `safetensors` loads them; `Checkpoint.load` rebuilds the model.
public enum Checkpoint {
    public static func save(_ model: any Classifier, vocabulary: Vocabulary?, extra: [String: String] = [:], to path: String) throws {
        var file = SafeTensors.File()
        let s = model.store
        for e in s.parameters {
            file.tensors[e.name] = .init(shape: e.shape, values: Array(UnsafeBufferPointer(start: s.allValues.baseAddress! + e.offset, count: e.count)))
        }
        for e in s.buffers {
            file.tensors[e.name] = .init(shape: e.shape, values: Array(UnsafeBufferPointer(start: s.allBuffers.baseAddress! + e.offset, count: e.count)))
        }
        file.metadata = extra
        file.metadata["format"] = "pt"
        file.metadata["pairdx.spec"] = try CanonicalJSON.string(model.spec)
        if let vocabulary { file.metadata["pairdx.vocabulary"] = vocabulary.words.dropFirst(Vocabulary.specials.count).joined(separator: "\n") }
        try FileSystem.makeDirectory((path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent)
        try SafeTensors.write(file, to: path)
    }

    /// Rebuilds the model and vocabulary saved in `path`; every tensor must be present with its shape.
    public static func load(_ path: String) throws -> (model: any Classifier, vocabulary: Vocabulary?, metadata: [String: String]) {
        let file = try SafeTensors.read(path)
        guard let specJSON = file.metadata["pairdx.spec"] else {
            throw PairDxError.badInput("\(path): no 'pairdx.spec' metadata; not a checkpoint written by 'pairdx train'")
        }
        let spec = try CanonicalJSON.decode(ModelSpec.self, from: Data(specJSON.utf8), source: path + " (pairdx.spec)")
        let model = makeClassifier(spec, seed: 0)
        let s = model.store
        for e in s.parameters {
            let t = try file.tensor(e.name, shape: e.shape, source: path)
            t.values.withUnsafeBufferPointer { s.allValues.baseAddress!.advanced(by: e.offset).update(from: $0.baseAddress!, count: e.count) }
        }
        for e in s.buffers {
            let t = try file.tensor(e.name, shape: e.shape, source: path)
            t.values.withUnsafeBufferPointer { s.allBuffers.baseAddress!.advanced(by: e.offset).update(from: $0.baseAddress!, count: e.count) }
        }
        var vocab: Vocabulary?
        if let v = file.metadata["pairdx.vocabulary"] {
            vocab = Vocabulary(words: v.isEmpty ? [] : v.components(separatedBy: "\n"))
            if vocab!.count != spec.vocabularySize && spec.kind.usesText {
                throw PairDxError.badInput("\(path): vocabulary has \(vocab!.count) words, the model expects \(spec.vocabularySize)")
            }
        }
        return (model, vocab, file.metadata)
    }
}
