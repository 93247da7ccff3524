import Foundation
import PairDxCore

/// `CLIPSyntheticWeights` extended to BiomedCLIP's names, so a full-size BiomedCLIP built by open_clip can be
/// compared with ours without committing weights (scripts/fixtures/gen_biomedclip_vision_fixtures.py,
/// `biomed_rule`, mirrors this).
///
/// The stream of each tensor is `CLIPSyntheticWeights`' (key = FNV-1a-64 of the open_clip name); only the
/// (offset, bound) rule changes. Names under `text.` follow `BERTSyntheticWeights.rule`; the others (the timm
/// image tower, `logit_scale`) this rule, whose cases are tried before CLIP's:
/// - rank-1 tensors of a timm LayerNorm (the module is `norm` or `norm<digits>`, e.g.
///   `visual.trunk.blocks.0.norm1.weight`): weight (1, 0.1), bias (0, 0.05), as CLIP's `ln_` rule;
/// - `….cls_token`, `….pos_embed`: (0, 1/√last dimension), as CLIP's class and positional embeddings;
/// - anything else: `CLIPSyntheticWeights.rule` (biases (0, 0.02); matrices (0, 1/√fan-in); `logit_scale`
///   ln(1/0.07)). O(parameters).
public enum BiomedCLIPSyntheticWeights {
    /// (offset, bound) of the parameter `name` with `shape`; nil for `logit_scale`. Throws `PairDxError.badInput`
    /// for a name no rule covers.
    public static func rule(name: String, shape: [Int]) throws -> (offset: Float, bound: Float)? {
        let parts = name.split(separator: ".")
        if shape.count == 1, parts.count >= 2 {
            let module = parts[parts.count - 2]
            let isNorm = module.hasPrefix("norm") && module.dropFirst(4).allSatisfy(\.isNumber)
            if isNorm { return parts.last == "weight" ? (1, 0.1) : (0, 0.05) }
        }
        if parts.last == "cls_token" || parts.last == "pos_embed" {
            return (0, Float(1 / Double(shape.last!).squareRoot()))
        }
        return try CLIPSyntheticWeights.rule(name: name, shape: shape)
    }

    /// Overwrites every parameter of `store` by the rules above (`text.` names by `BERTSyntheticWeights.rule`).
    /// O(parameters).
    public static func apply(to store: ParameterStore) throws {
        for entry in store.parameters {
            let out = store.allValues.baseAddress! + entry.offset
            let drawn =
                entry.name.hasPrefix("text.")
                ? try BERTSyntheticWeights.rule(name: entry.name, shape: entry.shape)
                : try rule(name: entry.name, shape: entry.shape)
            if let (offset, bound) = drawn {
                CLIPSyntheticWeights.fill(
                    out, count: entry.count, key: CLIPSyntheticWeights.key(entry.name), offset: offset, bound: bound)
            } else {
                out.pointee = Float(log(1 / 0.07))
            }
        }
    }
}
