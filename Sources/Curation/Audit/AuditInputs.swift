import Foundation
import PairDxCore

/// One row of a split file (`Splits/<name>/<split>.csv`, header `SplitFiles.header`), as the audit reads it.
public struct SplitItem: Sendable, Hashable {
    public var id: String
    public var `class`: String
    public var article: String
    public var figure: String
    public var sha256: String
    /// The 64-bit pHash, or nil when the column is empty or not 16 hex digits.
    public var phash: UInt64?
    /// The 256-bit pHash as four words (the near-duplicate confirmation), or nil when the column is empty.
    public var phash256: [UInt64]?
    public var group: String
    /// `train`, `val` or `test`.
    public var split: String

    public init(
        id: String, class c: String, article: String, figure: String, sha256: String, phash: UInt64?,
        group: String, split: String, phash256: [UInt64]? = nil
    ) {
        self.id = id; self.class = c; self.article = article; self.figure = figure; self.sha256 = sha256
        self.phash = phash; self.phash256 = phash256; self.group = group; self.split = split
    }
}

/// The parts of `Splits/<name>/splits.json` (`pairdx-splits/1`) the audit reads; every field optional so a
/// partial file still yields a report.
public struct AuditSplitsSummary: Codable, Sendable, Equatable {
    public struct Part: Codable, Sendable, Equatable {
        public var count: Int?
        public var perClass: [String: Int]?
        public var membershipSHA256: String?
    }
    public struct Groups: Codable, Sendable, Equatable {
        public var count: Int?
        public var largest: Int?
    }
    public var schema: String?
    public var name: String?
    public var recipe: String?
    public var recipeSHA256: String?
    public var seed: UInt64?
    public var mode: String?
    public var classes: [String]?
    public var ratios: [String: Double]?
    public var sourceSnapshot: String?
    public var splits: [String: Part]?
    public var groups: Groups?
}

/// One row of `Manifests/<name>/sources.csv` (`pmcid,version,status,license,figures,kept`).
public struct SourceRow: Sendable, Hashable {
    public var pmcid: String
    public var version: Int?
    public var status: FetchStatus
    public var license: String?
    public var figures: Int
    public var kept: Int

    public init(pmcid: String, version: Int?, status: FetchStatus, license: String?, figures: Int, kept: Int) {
        self.pmcid = pmcid; self.version = version; self.status = status; self.license = license
        self.figures = figures; self.kept = kept
    }
}

/// The work-directory records (`--data WORKDIR`). Each array is nil when its file is absent.
public struct WorkRecords: Sendable {
    public var candidates: [Candidate]?
    public var articles: [ArticleRecord]?
    public var figures: [FigureRecord]?
    public var images: [ImageRecord]?
    public var clusters: [ClusterRecord]?
    public var labels: [LabelRecord]?
    /// Lines of `balanced.jsonl`, when the balance stage wrote one.
    public var balancedCount: Int?
    /// `plan.json` and `scan-state.json` of a caption-first rebuild, when present.
    public var plan: RebuildPlan?
    public var scan: ScanState?

    public init(
        candidates: [Candidate]? = nil, articles: [ArticleRecord]? = nil, figures: [FigureRecord]? = nil,
        images: [ImageRecord]? = nil, clusters: [ClusterRecord]? = nil, labels: [LabelRecord]? = nil,
        balancedCount: Int? = nil, plan: RebuildPlan? = nil, scan: ScanState? = nil
    ) {
        self.candidates = candidates; self.articles = articles; self.figures = figures; self.images = images
        self.clusters = clusters; self.labels = labels; self.balancedCount = balancedCount; self.plan = plan;
        self.scan = scan
    }
}

/// Everything the report is computed from, already decoded. `AuditBuilder.build` is a pure function of it,
/// so tests hand-make these values instead of files.
public struct AuditInputs: Sendable {
    /// The split set's name (`Splits/<name>`).
    public var name: String
    public var recipe: Recipe
    public var recipeSHA256: String?
    public var summary: AuditSplitsSummary?
    /// Items of every split, keyed by split name (`train`, `val`, `test`); a missing key is an empty split.
    public var items: [String: [SplitItem]]
    public var sources: [SourceRow]?
    public var work: WorkRecords?
    /// Lowercased GloVe vocabulary (`--glove FILE`), when given.
    public var gloveVocabulary: Set<String>?
    /// Problems met while reading the inputs (bad rows, missing files): reported, never fatal.
    public var problems: [String]
    /// `label-quality.json` beside the recipe (`pairdx label-eval --out`), when the recipe's labels were measured.
    public var labelQuality: LabelQuality.Report? = nil
    /// `suspects.json` (`pairdx suspects`) made for these very split files, when given or found in the work directory.
    public var suspects: SuspectLabels? = nil

    public init(
        name: String, recipe: Recipe, recipeSHA256: String? = nil, summary: AuditSplitsSummary? = nil,
        items: [String: [SplitItem]], sources: [SourceRow]? = nil, work: WorkRecords? = nil,
        gloveVocabulary: Set<String>? = nil, problems: [String] = []
    ) {
        self.name = name; self.recipe = recipe; self.recipeSHA256 = recipeSHA256; self.summary = summary
        self.items = items; self.sources = sources; self.work = work; self.gloveVocabulary = gloveVocabulary
        self.problems = problems
    }

    /// The split names in report order.
    public static let splitNames = ["train", "val", "test"]

    /// Class names in recipe order, followed by any class the split files use that the recipe lacks.
    public var classes: [String] {
        var names = recipe.classes.map(\.name)
        var seen = Set(names)
        for s in Self.splitNames {
            for it in items[s] ?? [] where !seen.contains(it.class) { seen.insert(it.class); names.append(it.class) }
        }
        return names
    }

    /// Every split item in split order then file order.
    public var allItems: [SplitItem] { Self.splitNames.flatMap { items[$0] ?? [] } }
}
