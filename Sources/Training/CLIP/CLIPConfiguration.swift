/// Shapes of a CLIP model (open_clip's `vision_cfg` / `text_cfg`). `vitB32` is OpenAI's ViT-B/32.
public struct CLIPConfiguration: Sendable, Equatable, Codable {
    public var embedDimension: Int
    public var imageSize: Int
    public var patchSize: Int
    public var visionWidth: Int
    public var visionLayers: Int
    public var visionHeads: Int
    public var contextLength: Int
    public var vocabularySize: Int
    public var textWidth: Int
    public var textHeads: Int
    public var textLayers: Int
    public var activation: GELU.Kind

    public init(
        embedDimension: Int, imageSize: Int, patchSize: Int, visionWidth: Int, visionLayers: Int, visionHeads: Int,
        contextLength: Int, vocabularySize: Int, textWidth: Int, textHeads: Int, textLayers: Int,
        activation: GELU.Kind = .quick
    ) {
        precondition(
            imageSize % patchSize == 0, "image size \(imageSize) is not a multiple of the patch size \(patchSize)")
        self.embedDimension = embedDimension
        self.imageSize = imageSize
        self.patchSize = patchSize
        self.visionWidth = visionWidth
        self.visionLayers = visionLayers
        self.visionHeads = visionHeads
        self.contextLength = contextLength
        self.vocabularySize = vocabularySize
        self.textWidth = textWidth
        self.textHeads = textHeads
        self.textLayers = textLayers
        self.activation = activation
    }

    /// CLIP ViT-B/32: 224² images, 32² patches, 12 × 768-wide blocks (12 heads); text 12 × 512 (8 heads), 77 tokens; 512-d embeddings.
    public static let vitB32 = CLIPConfiguration(
        embedDimension: 512, imageSize: 224, patchSize: 32, visionWidth: 768,
        visionLayers: 12, visionHeads: 12, contextLength: 77, vocabularySize: 49408,
        textWidth: 512, textHeads: 8, textLayers: 12)

    /// The tiny shapes of the committed test fixtures (`tiny_config()` in scripts/fixtures/gen_clip_fixtures.py).
    public static let tinyTest = CLIPConfiguration(
        embedDimension: 16, imageSize: 32, patchSize: 8, visionWidth: 32,
        visionLayers: 2, visionHeads: 4, contextLength: 12, vocabularySize: 300,
        textWidth: 32, textHeads: 4, textLayers: 2)

    /// Patches per side.
    public var grid: Int { imageSize / patchSize }
}

extension GELU.Kind: Codable {}
