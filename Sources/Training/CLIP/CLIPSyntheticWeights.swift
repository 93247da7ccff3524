import Foundation
import PairDxCore

/// Deterministic, counter-based pseudo-random CLIP parameters that PyTorch reproduces bit for bit, so a full-size
/// model can be compared with open_clip without committing its weights (scripts/fixtures/gen_clip_fixtures.py,
/// `synthetic_values`, implements the same formula; the test `CLIPOpenCLIPTests` checks both agree).
///
/// For a tensor named `name` (open_clip's parameter name) with `n` elements in row-major order:
///
///     key   = FNV-1a-64(UTF-8 bytes of name)          offset basis 0xcbf29ce484222325, prime 0x100000001b3
///     z_i   = key + (i + 1) · 0x9E3779B97F4A7C15      (mod 2⁶⁴, i = 0 … n−1)
///     z_i   = (z_i ^ (z_i >> 30)) · 0xBF58476D1CE4E5B9 (mod 2⁶⁴)
///     z_i   = (z_i ^ (z_i >> 27)) · 0x94D049BB133111EB (mod 2⁶⁴)
///     z_i   = z_i ^ (z_i >> 31)                        (splitmix64: the i-th output of `SeededGenerator(seed: key)`)
///     u_i   = Float32((z_i >> 40) − 2²³) · 2⁻²³        ∈ [−1, 1), exact
///     value = offset + Float32(bound) · u_i            (Float32 arithmetic, the product rounded before the sum)
///
/// `bound` is computed in Float64 and rounded to Float32 once; (offset, bound) by name, first rule that applies:
/// - `logit_scale`: not drawn; Float32(ln(1/0.07)), open_clip's initial value;
/// - names containing `ln_` (LayerNorms): weight (1, 0.1), bias (0, 0.05);
/// - other names ending in `bias`: (0, 0.02);
/// - `token_embedding.weight`: (0, 0.04); `positional_embedding` (text): (0, 0.02);
/// - `visual.class_embedding`, `visual.positional_embedding`: (0, 1/√width) with width the last dimension;
/// - `visual.proj`, `text_projection`: (0, 1/√rows);
/// - every other weight (`visual.conv1.weight`, attention and MLP matrices): (0, 1/√fan-in), fan-in = count/rows.
///
/// Images for such tests use the same stream with the key of a pseudo-name (e.g. `pixels`). O(parameters).
public enum CLIPSyntheticWeights {
    /// FNV-1a 64-bit hash of the UTF-8 bytes of `name`.
    public static func key(_ name: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in name.utf8 { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return h
    }

    /// (offset, bound) of the parameter `name` with `shape`; nil for `logit_scale`. Throws `PairDxError.badInput`
    /// for a name the rules do not cover.
    public static func rule(name: String, shape: [Int]) throws -> (offset: Float, bound: Float)? {
        let count = shape.reduce(1, *)
        if name == "logit_scale" { return nil }
        if name.contains("ln_") { return name.hasSuffix("weight") ? (1, 0.1) : (0, 0.05) }
        if name.hasSuffix("bias") { return (0, 0.02) }
        switch name {
        case "token_embedding.weight": return (0, 0.04)
        case "positional_embedding": return (0, 0.02)
        case "visual.class_embedding", "visual.positional_embedding":
            return (0, Float(1 / Double(shape.last!).squareRoot()))
        case "visual.proj", "text_projection": return (0, Float(1 / Double(shape[0]).squareRoot()))
        default:
            guard name.hasSuffix("weight"), shape.count >= 2 else {
                throw PairDxError.badInput("CLIPSyntheticWeights: no rule for parameter '\(name)' of shape \(shape)")
            }
            return (0, Float(1 / Double(count / shape[0]).squareRoot()))
        }
    }

    /// Writes the `count` values of the stream `key` into `out`. O(count).
    public static func fill(_ out: UnsafeMutablePointer<Float>, count: Int, key: UInt64, offset: Float, bound: Float) {
        var generator = SeededGenerator(seed: key)
        for i in 0..<count {
            let u = Float(Int64(generator.next() >> 40) - 8_388_608) * (1 / 8_388_608 as Float)
            let scaled = bound * u
            out[i] = offset == 0 ? scaled : offset + scaled
        }
    }

    /// The values of the stream of the pseudo-name `name` (e.g. synthetic pixels), `count` long.
    public static func values(_ name: String, count: Int, offset: Float = 0, bound: Float) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { buffer, initialised in
            fill(buffer.baseAddress!, count: count, key: key(name), offset: offset, bound: bound)
            initialised = count
        }
    }

    /// Overwrites every parameter of `model` by the rules above. O(parameters).
    public static func apply(to model: CLIPModel) throws {
        let store = model.store
        for entry in store.parameters {
            let out = store.allValues.baseAddress! + entry.offset
            if let (offset, bound) = try rule(name: entry.name, shape: entry.shape) {
                fill(out, count: entry.count, key: key(entry.name), offset: offset, bound: bound)
            } else {
                out.pointee = Float(log(1 / 0.07))
            }
        }
    }
}
