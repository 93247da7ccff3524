import Foundation

/// A versioned recipe (`Manifests/<name>/recipe.json`, schema `pairdx-recipe/1`): everything that
/// decides which figures end up in which split. The paper does not publish its class names, source
/// query, split ratios or hyper-parameters; the recipe holds our documented choices for them.
public struct Recipe: Codable, Sendable, Equatable {
    public var schema: String
    public var name: String
    public var description: String
    /// Which facts are the paper's and which are this recipe's assumptions, in words.
    public var provenance: [String: String]
    public var sources: [SourceSpec]
    public var classes: [ClassRule]
    /// Terms that exclude a figure from every class (e.g. "schematic", "flow chart").
    public var excludeAll: [String]
    /// Smallest accepted image side in pixels.
    public var minImageSide: Int
    /// Fewest caption words (after whitespace normalisation).
    public var minCaptionWords: Int
    public var dedupe: DedupeSpec
    public var balance: BalanceSpec
    public var split: SplitSpec
    public var seed: UInt64
    /// Training hyper-parameters per model name (`image`, `text`, `fusion`, `clip`). `clip` is the fine-tuned
    /// CLIP row (PairDxCLIP): AdamW with `warmupSteps` of linear warm-up then `schedule`, `epochs`, `learningRate`,
    /// `weightDecay`, `batchSize`, `resolution` (must equal the weights' image size, 224 for ViT-B/32) and `towers`
    /// (`both` or `image`). Zero-shot CLIP has no hyper-parameters: it uses each class's `prompt` inside every
    /// `validation.promptTemplates` entry.
    public var training: [String: ModelHyperparameters]
    public var validation: ValidationSpec

    public struct SourceSpec: Codable, Sendable, Equatable {
        /// `pmc-cloud` (S3 layout over HTTP), `mirror` (same layout in a directory or behind a URL), `embedded`.
        public var kind: String
        public var url: String?
        /// E-utilities esearch terms over PMC, when candidates are selected by query.
        public var query: String?
        /// Upper bound on candidates taken from the source (nil = all).
        public var maxArticles: Int?
        /// `embedded` only: how many figures the generated corpus holds.
        public var figures: Int?
        /// `embedded` only: the corpus generator's seed.
        public var seed: UInt64?
    }

    public struct ClassRule: Codable, Sendable, Equatable {
        public var name: String
        /// Human-readable prompt for zero-shot models ("a CT scan").
        public var prompt: String
        /// Terms that put a caption in this class. Matched on word boundaries; hyphens and spaces inside a
        /// term are interchangeable ("x-ray" ≡ "x ray"); case-insensitive unless listed in `caseSensitive`.
        public var include: [String]
        /// Terms that keep a caption out of this class even when an include term matched.
        public var exclude: [String]
        /// Terms matched only with exactly this case ("CT", "MR"), so "ct" inside words or prose never counts.
        /// Applies to include, exclude and context terms alike.
        public var caseSensitive: [String]
        /// Negative contexts: words near an include match that show the modality is not the pictured image
        /// ("X-ray *structure*", "endoscopic *approach*", "*PET*/CT"). nil = none (recipes before pairdx-v2).
        public var contexts: [ContextRule]? = nil
    }

    /// A negative context of one class: an include match does not count when one of `terms` starts at most
    /// `before` tokens before it or ends at most `after` tokens after it (0 = adjacent). Matching follows the
    /// include terms' rules (tokens, hyphen/space equivalence, `caseSensitive`). A window of `wholeCaption`
    /// tokens or more reaches across the whole caption.
    public struct ContextRule: Codable, Sendable, Equatable {
        /// What the context means, for people reading the recipe ("crystallography", "fusion imaging").
        public var name: String
        public var terms: [String]
        public var before: Int
        public var after: Int

        public init(name: String, terms: [String], before: Int, after: Int) {
            self.name = name; self.terms = terms; self.before = before; self.after = after
        }

        /// A window this wide reaches across any caption.
        public static let wholeCaption = 1000
    }

    public struct DedupeSpec: Codable, Sendable, Equatable {
        /// Hamming radius on the 64-bit pHash within which two figures are near duplicates.
        public var radius: Int
        /// Hash used for near-duplicate search: `phash`.
        public var hash: String
        /// Whether dedupe also searches crops and panels on the decoded pixels (`pairdx dedupe --crops on`,
        /// docs/pairdx-phash-v2.md §2a). Absent in recipes written before the field existed: off, so their
        /// splits reproduce unchanged.
        public var crops: Bool?
        /// `crops`, absent meaning off.
        public var cropSearch: Bool { crops ?? false }
    }

    public struct BalanceSpec: Codable, Sendable, Equatable {
        public var policy: BalancePolicy
        public var perClass: Int?
    }

    public struct SplitSpec: Codable, Sendable, Equatable {
        public var train: Double
        public var val: Double
        public var test: Double
        public var mode: SplitMode
        public var grouping: [Grouping]
    }

    public struct ValidationSpec: Codable, Sendable, Equatable {
        /// Accuracy within ± this many points of the published figure counts as reproduced.
        public var tolerancePoints: Double
        /// Prompt templates for the CLIP rows; `{}` is replaced by the class prompt ("a figure showing {}" →
        /// "a figure showing a CT scan"). A class's text embedding is the mean of its normalised template embeddings.
        public var promptTemplates: [String]
    }

    public static let schemaID = "pairdx-recipe/1"

    /// Loads and checks a recipe; errors name the file and the field.
    public static func load(_ path: String) throws -> Recipe {
        try parse(try FileSystem.read(path), source: path)
    }

    /// Decodes and checks the bytes of a recipe read from `source` (named in errors).
    public static func parse(_ data: Data, source path: String) throws -> Recipe {
        let r = try CanonicalJSON.decode(Recipe.self, from: data, source: path)
        try r.validate(source: path)
        return r
    }

    public func validate(source: String) throws {
        func fail(_ m: String) -> PairDxError { .badInput("\(source): \(m)") }
        guard schema == Recipe.schemaID else { throw fail("schema is '\(schema)', expected '\(Recipe.schemaID)'") }
        if let why = PathComponent.problem(name) {
            throw fail("name \(Printable.quoted(name)) \(why) (it names Splits/<name> and Manifests/<name>)")
        }
        guard !classes.isEmpty else { throw fail("classes is empty") }
        let names = classes.map(\.name)
        for c in names {
            if let why = PathComponent.problem(c) {
                throw fail("class name \(Printable.quoted(c)) \(why) (it names export folders)")
            }
        }
        guard Set(names).count == names.count else { throw fail("class names repeat: \(names)") }
        for c in classes where c.include.isEmpty { throw fail("class '\(c.name)' has no include terms") }
        for c in classes {
            for x in c.contexts ?? [] {
                guard !x.terms.isEmpty else { throw fail("class '\(c.name)' context '\(x.name)' has no terms") }
                guard x.before >= 0, x.after >= 0 else {
                    throw fail("class '\(c.name)' context '\(x.name)': before and after must be >= 0")
                }
            }
        }
        let sum = split.train + split.val + split.test
        guard abs(sum - 1) < 1e-9, split.train > 0, split.val >= 0, split.test > 0 else {
            throw fail("split ratios must be positive and sum to 1 (got \(split.train)/\(split.val)/\(split.test))")
        }
        if balance.policy == .target, (balance.perClass ?? 0) <= 0 {
            throw fail("balance.perClass must be > 0 for policy 'target'")
        }
        guard (0...32).contains(dedupe.radius) else { throw fail("dedupe.radius must be within 0...32") }
        for t in validation.promptTemplates where !t.contains("{}") {
            throw fail("validation.promptTemplates entry '\(t)' has no '{}' for the class prompt")
        }
        for c in classes where c.prompt.trimmingCharacters(in: .whitespaces).isEmpty {
            throw fail("class '\(c.name)' has an empty prompt")
        }
        if let clip = training["clip"] {
            guard clip.optimizer == .adamw else {
                throw fail("training.clip.optimizer must be 'adamw' (got '\(clip.optimizer.rawValue)')")
            }
        }
    }

    /// sha256 of the recipe's canonical JSON: names the recipe in every manifest.
    public func digest() throws -> String { SHA256.hex(try CanonicalJSON.encode(self)) }
}

/// Hyper-parameters of one model, as the recipe documents them.
public struct ModelHyperparameters: Codable, Sendable, Equatable {
    public var epochs: Int
    public var batchSize: Int
    /// Square input resolution in pixels (image towers).
    public var resolution: Int
    public var learningRate: Double
    public var weightDecay: Double
    public var optimizer: Optimizer
    public var momentum: Double?
    public var schedule: Schedule
    public var warmupSteps: Int?
    /// Common width of the fusion/attention layers.
    public var width: Int?
    public var heads: Int?
    public var dropout: Double?
    public var maxTokens: Int?
    public var freezeEmbeddings: Bool?
    /// ResNet channel multiplier (1.0 = the standard 64-128-256-512 widths).
    public var widthMultiplier: Double?
    public var threads: Int?
    /// Another model of the recipe whose trained image tower this one starts from (`image` for `fusion`:
    /// PairDxFusion builds on a trained ResNet-18); nil = initialised from the seed.
    public var initialiseFrom: String?
    /// Fusion: share of training samples trained without their image features (modality dropout).
    public var modalityDropout: Double?
    /// Image models: the starting weights the recipe's schedule assumes. `imagenet`: torchvision's ImageNet
    /// ResNet-18, given to train/validate with `--image-weights` (without them the run starts from the seed and
    /// says so); nil: the seed.
    public var imageInitialisation: String?
    /// CLIP fine-tuning: which towers learn; nil = `both`.
    public var towers: Towers?
}
