import Foundation
import PairDxCore

/// `CLIPSyntheticWeights` extended to the names of timm and Hugging Face towers (BiomedCLIP), so a full-size
/// BiomedCLIP built by open_clip can be compared with ours without committing weights
/// (scripts/fixtures/gen_biomedclip_vision_fixtures.py, `biomed_rule`, mirrors this).
///
/// The stream of each tensor is `CLIPSyntheticWeights`' (key = FNV-1a-64 of the open_clip name); only the
/// (offset, bound) rule gains cases, tried before CLIP's rules:
/// - rank-1 tensors of a LayerNorm (the module is `norm`, `norm<digits>` or `LayerNorm`, e.g.
///   `visual.trunk.blocks.0.norm1.weight`, `text.transformer.embeddings.LayerNorm.bias`): weight (1, 0.1),
///   bias (0, 0.05), as CLIP's `ln_` rule;
/// - `….cls_token`, `….pos_embed`: (0, 1/√last dimension), as CLIP's class and positional embeddings;
/// - anything else: `CLIPSyntheticWeights.rule` (biases (0, 0.02); matrices and embedding tables (0, 1/√fan-in);
///   `logit_scale` ln(1/0.07)). O(parameters).
public enum BiomedCLIPSyntheticWeights {
    /// (offset, bound) of the parameter `name` with `shape`; nil for `logit_scale`. Throws `PairDxError.badInput`
    /// for a name no rule covers.
    public static func rule(name: String, shape: [Int]) throws -> (offset: Float, bound: Float)? {
        let parts = name.split(separator: ".")
        if shape.count == 1, parts.count >= 2 {
            let module = parts[parts.count - 2]
            let isNorm = module == "LayerNorm" || (module.hasPrefix("norm") && module.dropFirst(4).allSatisfy(\.isNumber))
            if isNorm { return parts.last == "weight" ? (1, 0.1) : (0, 0.05) }
        }
        if parts.last == "cls_token" || parts.last == "pos_embed" {
            return (0, Float(1 / Double(shape.last!).squareRoot()))
        }
        return try CLIPSyntheticWeights.rule(name: name, shape: shape)
    }

    /// Overwrites every parameter of `store` by the rules above. O(parameters).
    public static func apply(to store: ParameterStore) throws {
        for entry in store.parameters {
            let out = store.allValues.baseAddress! + entry.offset
            if let (offset, bound) = try rule(name: entry.name, shape: entry.shape) {
                CLIPSyntheticWeights.fill(out, count: entry.count, key: CLIPSyntheticWeights.key(entry.name), offset: offset, bound: bound)
            } else {
                out.pointee = Float(log(1 / 0.07))
            }
        }
    }
}
