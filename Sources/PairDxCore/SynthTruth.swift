import Foundation

/// The sidecar ground truth (`pairdx-synth-truth/1`) that `pairdx synth` writes beside a corpus and the
/// pipeline never reads; `pairdx dedupe --truth` and the tests score results against it.
public struct SynthTruth: Codable, Sendable, Equatable {
    public struct Figure: Codable, Sendable, Equatable {
        public var id: String
        public var `class`: String
        /// `clear`, `late`, `none`, `two`, `misleading` or `excluded`; outside the six classes (PMC-like profile)
        /// `none`, `passing` or `negated`.
        public var captionKind: String
        public var media: String
        public var hard: Bool
        /// What the figure really shows (`ct` … `endoscopy`, `line-chart`, `bar-chart`, `diagram`, `gel-blot`,
        /// `photograph`, `fluorescence-microscopy`, `electron-microscopy`); written by the PMC-like profile only, whose
        /// `class` is `none` outside the six classes.
        public var kind: String?
        public init(id: String, class cls: String, captionKind: String, media: String, hard: Bool, kind: String? = nil)
        {
            self.id = id; self.class = cls; self.captionKind = captionKind; self.media = media; self.hard = hard;
            self.kind = kind
        }
    }

    public struct NearGroup: Codable, Sendable, Equatable {
        public var ids: [String]
        public var how: String
        public init(ids: [String], how: String) { self.ids = ids; self.how = how }
    }

    public struct HazardLists: Codable, Sendable, Equatable {
        public var retracted: [String] = []
        public var notOpenAccess: [String] = []
        public var corruptImages: [String] = []
        public var truncatedImages: [String] = []
        public var nonImageMedia: [String] = []
        public var missingMedia: [String] = []
        public var externalEntity: [String] = []
        public var noFigures: [String] = []
        public var figGroup: [String] = []
        public var noLabel: [String] = []
        public var tableGraphics: [String] = []
        public var inlineFormula: [String] = []
        public var unsupportedFormat: [String] = []
        public var multiVersion: [String] = []

        public init() {}

        /// Lists absent from the file are empty (a truth file written by an older generator stays readable).
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            func list(_ k: CodingKeys) throws -> [String] { try c.decodeIfPresent([String].self, forKey: k) ?? [] }
            retracted = try list(.retracted); notOpenAccess = try list(.notOpenAccess)
            corruptImages = try list(.corruptImages); truncatedImages = try list(.truncatedImages)
            nonImageMedia = try list(.nonImageMedia); missingMedia = try list(.missingMedia)
            externalEntity = try list(.externalEntity); noFigures = try list(.noFigures)
            figGroup = try list(.figGroup); noLabel = try list(.noLabel)
            tableGraphics = try list(.tableGraphics); inlineFormula = try list(.inlineFormula)
            unsupportedFormat = try list(.unsupportedFormat); multiVersion = try list(.multiVersion)
        }
    }

    public static let schemaID = "pairdx-synth-truth/1"

    public var schema: String
    public var seed: UInt64
    public var figures: [Figure]
    public var exactDuplicateGroups: [[String]]
    public var nearDuplicateGroups: [NearGroup]
    public var hazards: HazardLists

    public init(
        schema: String, seed: UInt64, figures: [Figure], exactDuplicateGroups: [[String]],
        nearDuplicateGroups: [NearGroup], hazards: HazardLists
    ) {
        self.schema = schema; self.seed = seed; self.figures = figures
        self.exactDuplicateGroups = exactDuplicateGroups; self.nearDuplicateGroups = nearDuplicateGroups
        self.hazards = hazards
    }
}
