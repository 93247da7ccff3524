import Foundation
import PairDxCore

/// Loads and saves BiomedCLIP parameters as safetensors files under the names of open_clip's `CustomTextCLIP`
/// state dict (`logit_scale`, `visual.trunk.blocks.0.attn.qkv.weight`, `visual.head.proj.weight`,
/// `text.transformer.encoder.layer.0.attention.self.query.weight`, `text.proj.0.weight`, …), the file the README's
/// conversion lines write from `hf-hub:microsoft/BiomedCLIP-PubMedBERT_256-vit_base_patch16_224`. F32, F16, BF16 and
/// F64 tensors are read (as Float32); shapes must match exactly. Tensors the model does not have (BERT's unused
/// `pooler.dense`, `position_ids` buffers) are ignored and reported. O(file size).
public enum BiomedCLIPWeights {
    public typealias LoadReport = CLIPWeights.LoadReport

    /// Copies every parameter of `model` from the file at `path`. Throws `PairDxError` naming the file and the
    /// tensor when one is missing or has the wrong shape.
    @discardableResult
    public static func load(_ model: BiomedCLIPModel, from path: String) throws -> LoadReport {
        try load(model, file: SafeTensors.read(path), source: path)
    }

    /// Copies every parameter of `model` from an already read file (`source` names it in errors).
    @discardableResult
    public static func load(_ model: BiomedCLIPModel, file: SafeTensors.File, source: String) throws -> LoadReport {
        let ignored = try model.store.load(from: file, source: source) { name in
            let tower = name.hasPrefix("visual.") ? "image tower" : name.hasPrefix("text.") ? "text tower" : "model"
            return "is this a BiomedCLIP \(tower) saved from open_clip's state dict with these shapes?"
        }
        return LoadReport(loaded: model.store.parameters.count, ignored: ignored)
    }

    /// Reads a BiomedCLIP safetensors file, infers its shapes (`configuration(of:source:)`) and returns a model
    /// holding its weights; `padId` is the tokeniser's `[PAD]` id. Throws `PairDxError` naming `path` when the file
    /// is absent, unreadable, not safetensors, or not a BiomedCLIP state dict. O(file size).
    public static func loadModel(from path: String, padId: Int32 = 0) throws -> BiomedCLIPModel {
        guard FileSystem.exists(path) else { throw PairDxError.io("\(path): BiomedCLIP weights file not found") }
        let file = try SafeTensors.read(path)
        let model = BiomedCLIPModel(configuration: try configuration(of: file, source: path), padId: padId)
        let report = try load(model, file: file, source: path)
        if !report.ignored.isEmpty {
            Log.info(
                "\(path): ignored \(report.ignored.count) tensors the model does not use (\(report.ignored.prefix(4).joined(separator: ", "))\(report.ignored.count > 4 ? ", …" : ""))"
            )
        }
        return model
    }

    /// The shapes stored in `file`: patch size and width from `visual.trunk.patch_embed.proj.weight`, image size
    /// from the patch grid of `visual.trunk.pos_embed` (G² + 1 tokens), MLP ratio from block 0's `mlp.fc1`, embedding
    /// width from `visual.head.proj.weight`; vocabulary, text width, positions and token types from the BERT embedding
    /// tables, its MLP width from layer 0's `intermediate.dense`; depths from the highest block/layer index. Head
    /// counts are not stored in a state dict: ViT-B and BERT-base use 64-wide heads, so heads = width / 64 (at
    /// least 1). The context length is BiomedCLIP's 256 (capped by the position table). O(tensor count).
    public static func configuration(of file: SafeTensors.File, source: String) throws -> BiomedCLIPConfiguration {
        let dict = StateDictShapes(
            shapes: file.tensors.mapValues(\.shape), source: source,
            expected: "a BiomedCLIP state dict from open_clip")
        let patch = try dict.shape("visual.trunk.patch_embed.proj.weight", rank: 4)
        let positions = try dict.shape("visual.trunk.pos_embed", rank: 3)
        let head = try dict.shape("visual.head.proj.weight", rank: 2)
        let fc1 = try dict.shape("visual.trunk.blocks.0.mlp.fc1.weight", rank: 2)
        let words = try dict.shape("text.transformer.embeddings.word_embeddings.weight", rank: 2)
        let textPositions = try dict.shape("text.transformer.embeddings.position_embeddings.weight", rank: 2)
        let types = try dict.shape("text.transformer.embeddings.token_type_embeddings.weight", rank: 2)
        let intermediate = try dict.shape("text.transformer.encoder.layer.0.intermediate.dense.weight", rank: 2)
        let proj0 = try dict.shape("text.proj.0.weight", rank: 2), proj2 = try dict.shape("text.proj.2.weight", rank: 2)
        let width = patch[0], p = patch[2], textWidth = words[1], embed = head[0]
        guard patch[1] == 3, patch[3] == p, positions[0] == 1,
            let grid = StateDictShapes.patchGrid(positions: positions[1]), positions[2] == width,
            head[1] == width, fc1[1] == width, fc1[0] % width == 0, textPositions[1] == textWidth,
            types[1] == textWidth,
            intermediate[1] == textWidth, proj0[1] == textWidth, proj2[1] == proj0[0], proj2[0] == embed,
            proj0[0] == (textWidth + embed) / 2
        else {
            throw PairDxError.badInput(
                "\(source): BiomedCLIP tensor shapes disagree (patch_embed \(patch), pos_embed \(positions), head.proj \(head), blocks.0.mlp.fc1 \(fc1), word_embeddings \(words), position_embeddings \(textPositions), intermediate \(intermediate), proj.0 \(proj0), proj.2 \(proj2))"
            )
        }
        let vision = TimmViTConfiguration(
            imageSize: grid * p, patchSize: p, width: width, layers: try dict.depth("visual.trunk.blocks."),
            heads: StateDictShapes.heads(width), mlpRatio: fc1[0] / width, embedDimension: embed)
        let text = BERTTextConfiguration(
            vocabularySize: words[0], width: textWidth, layers: try dict.depth("text.transformer.encoder.layer."),
            heads: StateDictShapes.heads(textWidth), mlpWidth: intermediate[0], maxPositions: textPositions[0],
            typeVocabularySize: types[0], contextLength: min(256, textPositions[0]), outputDimension: embed)
        return BiomedCLIPConfiguration(vision: vision, text: text)
    }

    /// Writes every parameter of `model` (Float32, names sorted; `SafeTensors`) and `metadata` to `path` atomically.
    public static func save(_ model: BiomedCLIPModel, to path: String, metadata: [String: String] = [:]) throws {
        try SafeTensors.write(model.store.namedTensors(metadata: metadata), to: path)
    }
}
