import Foundation
import PairDxCore

/// Loads and saves CLIP parameters as safetensors files under open_clip's parameter names
/// (`visual.conv1.weight`, `visual.transformer.resblocks.0.attn.in_proj_weight`, `token_embedding.weight`,
/// `logit_scale`, …). F32, F16, BF16 and F64 tensors are read (converted to Float32); shapes must match the
/// model's configuration exactly. Entries the model does not have (e.g. `attn_mask`, `input_resolution`) are
/// ignored and reported. O(file size).
public enum CLIPWeights {
    public struct LoadReport: Sendable {
        public let loaded: Int
        public let ignored: [String]
    }

    /// Copies every parameter of `model` from the file. Throws `PairDxError.badInput` naming the file and the
    /// tensor when one is missing, has the wrong shape or an unsupported dtype.
    @discardableResult
    public static func load(_ model: CLIPModel, from path: String) throws -> LoadReport {
        try load(model, file: SafeTensors.read(path), source: path)
    }

    /// The metadata key under which `save` records the MLP activation (`quick` or `erf`, `GELU.Kind`).
    public static let activationKey = "pairdx.activation"

    /// Reads an open_clip-named safetensors file, infers its configuration (`configuration(of:source:)`) and
    /// returns a model holding its weights. The MLP activation is `activation` when given, else the file's
    /// `pairdx.activation` (written by `save`), else QuickGELU (OpenAI's checkpoints). Throws `PairDxError` naming
    /// `path` when the file cannot be read, is not safetensors, lacks a CLIP tensor or names an unknown activation.
    /// O(file size).
    public static func loadModel(from path: String, activation: GELU.Kind? = nil) throws -> CLIPModel {
        guard FileSystem.exists(path) else { throw PairDxError.io("\(path): CLIP weights file not found") }
        let file = try SafeTensors.read(path)
        let kind: GELU.Kind
        if let activation {
            kind = activation
        } else if let stored = file.metadata[activationKey] {
            guard let k = GELU.Kind(rawValue: stored) else {
                throw PairDxError.badInput(
                    "\(path): metadata \(activationKey) is '\(stored)'; expected 'quick' or 'erf'")
            }
            kind = k
        } else {
            kind = .quick
        }
        let model = CLIPModel(configuration: try configuration(of: file, source: path, activation: kind), seed: 0)
        try load(model, file: file, source: path)
        return model
    }

    /// The shapes of the CLIP model stored in `file`, read from its tensors: embedding size from `visual.proj`,
    /// patch size and vision width from `visual.conv1.weight`, image size from the patch grid of
    /// `visual.positional_embedding` (G² + 1 rows), context length and text width from `positional_embedding`,
    /// vocabulary from `token_embedding.weight`, depths from the highest `resblocks.N` index. Head counts are not
    /// stored in a state dict: open_clip's ViTs use 64-wide heads, so heads = width / 64 (at least 1). The MLP
    /// activation is not stored either: QuickGELU (OpenAI's checkpoints) unless `activation` says otherwise.
    /// O(tensor count).
    public static func configuration(of file: SafeTensors.File, source: String, activation: GELU.Kind = .quick) throws
        -> CLIPConfiguration
    {
        try configuration(shapes: file.tensors.mapValues(\.shape), source: source, activation: activation)
    }

    /// `configuration(of:source:activation:)` from tensor names and shapes alone.
    public static func configuration(shapes: [String: [Int]], source: String, activation: GELU.Kind = .quick) throws
        -> CLIPConfiguration
    {
        let dict = StateDictShapes(shapes: shapes, source: source, expected: "an open_clip CLIP state dict")
        let proj = try dict.shape("visual.proj", rank: 2)
        let conv = try dict.shape("visual.conv1.weight", rank: 4)
        let visionPositions = try dict.shape("visual.positional_embedding", rank: 2)
        let textPositions = try dict.shape("positional_embedding", rank: 2)
        let tokens = try dict.shape("token_embedding.weight", rank: 2)
        let textProj = try dict.shape("text_projection", rank: 2)
        let width = conv[0], patch = conv[2], textWidth = tokens[1]
        guard conv[1] == 3, conv[3] == patch,
            let grid = StateDictShapes.patchGrid(positions: visionPositions[0]), visionPositions[1] == width,
            proj[0] == width, textPositions[1] == textWidth, textProj[0] == textWidth, textProj[1] == proj[1]
        else {
            throw PairDxError.badInput(
                "\(source): CLIP tensor shapes disagree (visual.conv1.weight \(conv), visual.positional_embedding \(visionPositions), visual.proj \(proj), token_embedding.weight \(tokens), positional_embedding \(textPositions), text_projection \(textProj))"
            )
        }
        return CLIPConfiguration(
            embedDimension: proj[1], imageSize: grid * patch, patchSize: patch, visionWidth: width,
            visionLayers: try dict.depth("visual.transformer.resblocks."), visionHeads: StateDictShapes.heads(width),
            contextLength: textPositions[0], vocabularySize: tokens[0], textWidth: textWidth,
            textHeads: StateDictShapes.heads(textWidth), textLayers: try dict.depth("transformer.resblocks."),
            activation: activation)
    }

    /// Copies every parameter of `model` from an already read file (`source` names it in errors).
    @discardableResult
    public static func load(_ model: CLIPModel, file: SafeTensors.File, source path: String) throws -> LoadReport {
        let ignored = try model.store.load(from: file, source: path) { name in
            "is this an open_clip \(name.hasPrefix("visual.") ? "image" : "text") tower with these shapes?"
        }
        return LoadReport(loaded: model.store.parameters.count, ignored: ignored)
    }

    /// Writes every parameter of `model` (Float32, names sorted; `SafeTensors`) and `metadata` to `path` atomically,
    /// with the model's MLP activation under `activationKey`, so `loadModel` rebuilds the same network.
    public static func save(_ model: CLIPModel, to path: String, metadata: [String: String] = [:]) throws {
        var m = metadata
        m[activationKey] = model.configuration.activation.rawValue
        try SafeTensors.write(model.store.namedTensors(metadata: m), to: path)
    }
}
