import PairDxCore

/// Tensor names and shapes of a state dict, read to infer a model's configuration. Errors name `source` and say
/// what the file was expected to be (`expected`, e.g. "an open_clip CLIP state dict"). O(1) per `shape`, O(tensor
/// count) per `depth`.
struct StateDictShapes {
    let shapes: [String: [Int]]
    let source: String
    let expected: String

    /// The shape of `name`, which must have `rank` positive dimensions.
    func shape(_ name: String, rank: Int) throws -> [Int] {
        guard let t = shapes[name] else {
            throw PairDxError.badInput(
                "\(source): tensor '\(name)' is missing: not \(expected) (\(shapes.count) tensors)")
        }
        guard t.count == rank, t.allSatisfy({ $0 > 0 }) else {
            throw PairDxError.badInput(
                "\(source): tensor '\(name)' has shape \(t), expected \(rank) positive dimensions")
        }
        return t
    }

    /// The number of numbered blocks under `prefix` (`prefix` + `N.` …): the highest N plus one.
    func depth(_ prefix: String) throws -> Int {
        var highest = -1
        for name in shapes.keys where name.hasPrefix(prefix) {
            if let n = Int(name.dropFirst(prefix.count).prefix { $0 != "." }) { highest = max(highest, n) }
        }
        guard highest >= 0 else { throw PairDxError.badInput("\(source): no '\(prefix)N.*' tensors: not \(expected)") }
        return highest + 1
    }

    /// The side G of a ViT's square patch grid from its position-embedding rows: G² patches plus the class token.
    /// Nil when `positions` is not G² + 1 for some G ≥ 1.
    static func patchGrid(positions: Int) -> Int? {
        let g = Int(Double(max(0, positions - 1)).squareRoot().rounded())
        return g >= 1 && g * g + 1 == positions ? g : nil
    }

    /// Heads of a width: ViT-B, CLIP and BERT-base use 64-wide heads (a state dict does not store the count).
    static func heads(_ width: Int) -> Int { width >= 64 && width % 64 == 0 ? width / 64 : 1 }
}
