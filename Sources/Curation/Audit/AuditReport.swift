import PairDxCore

/// The audit of one split set (`report.json`, schema `pairdx-audit/1`, documented in docs/report-schema.md).
/// Every array is in a fixed order (classes in recipe order, splits train/val/test, counts by descending
/// count then name), floats are rounded to 6 significant digits, and nothing depends on time or paths,
/// so the same inputs give the same bytes.
public struct AuditReport: Codable, Sendable, Equatable {
    public static let schemaID = "pairdx-audit/1"

    public var schema: String = AuditReport.schemaID
    public var name: String
    public var recipe: RecipeInfo
    public var classes: [String]
    public var splits: [String]
    public var balance: Balance
    public var funnel: Funnel
    public var leakage: Leakage
    public var duplicates: Duplicates?
    public var captions: Captions?
    public var images: Images?
    public var labels: LabelRules?
    public var licences: Licences?
    public var samples: [ClassSamples]
    public var gates: [GateResult]
    /// Plain-language findings a reader should see first (empty class, empty split, leakage, …).
    public var findings: [String]
    /// Problems met while reading the inputs; each names its file.
    public var inputProblems: [String]
    /// Checks not made, each with the reason (e.g. those that need the images when the audit has no work directory).
    public var skippedChecks: [SkippedCheck]?

    public struct SkippedCheck: Codable, Sendable, Equatable {
        public var check: String
        public var reason: String
    }

    /// The recipe's label precision and recall measured on a hand-labelled gold set; nil when not measured.
    public var labelQuality: LabelPrecision? = nil
    /// Suspect labels found by an out-of-fold image model (`suspects.json`); nil when none was given or found.
    public var suspectLabels: SuspectLabelsSection? = nil

    /// What `pairdx label-eval` measured for the recipe (`label-quality.json` beside it).
    public struct LabelPrecision: Codable, Sendable, Equatable {
        public var gold: String
        public var guidelines: [String]
        public var items: Int
        public var accuracy: Double
        public var perClass: [LabelQuality.ClassScore]

        /// "ct 100.0% [96.3–100.0] (recall 90.0%), …" in class order.
        public var summary: String {
            perClass.map { c in
                let p = c.precision.map { String(format: "%.1f%%", $0 * 100) } ?? "not measured"
                let ci = c.precisionInterval.map { String(format: " [%.1f–%.1f]", $0[0] * 100, $0[1] * 100) } ?? ""
                let rc = c.recall.map { String(format: " (recall %.1f%%)", $0 * 100) } ?? ""
                return "\(c.class) \(p)\(ci)\(rc)"
            }.joined(separator: ", ")
        }
    }

    public var passed: Bool { gates.allSatisfy(\.passed) }

    public struct RecipeInfo: Codable, Sendable, Equatable {
        public var name: String
        public var sha256: String?
        public var seed: UInt64
        public var mode: String
        public var ratios: [String: Double]
        public var balancePolicy: String
        public var dedupeRadius: Int
        /// The recipe's `dedupe.crops`: crops and panels searched on the pixels too.
        public var dedupeCrops: Bool
        public var provenance: [String: String]
    }

    /// A named count (reasons, formats, licences, terms).
    public struct Count: Codable, Sendable, Equatable {
        public var name: String
        public var count: Int
    }

    /// One histogram bin: `label` names the range (`"10-19"`, `"100+"`).
    public struct Bin: Codable, Sendable, Equatable {
        public var label: String
        public var count: Int
    }

    // MARK: balance

    public struct Balance: Codable, Sendable, Equatable {
        /// Target share of each class within a split (1/k when the recipe balances classes; nil for policy `none`).
        public var targetClassShare: Double?
        public var splits: [SplitBalance]
        /// The three splits together (`split` = `all`).
        public var overall: SplitBalance
        public var chiSquare: ChiSquare
    }

    public struct SplitBalance: Codable, Sendable, Equatable {
        public var split: String
        public var count: Int
        /// This split's share of all items.
        public var share: Double
        /// The recipe's ratio for this split (nil for `all`).
        public var targetShare: Double?
        public var classes: [ClassCount]
        /// Largest class count / smallest; nil when a class is empty or the split has no items.
        public var imbalanceRatio: Double?
        public var emptyClasses: [String]
    }

    public struct ClassCount: Codable, Sendable, Equatable {
        public var `class`: String
        public var count: Int
        public var proportion: Double
        public var target: Double?
        /// proportion − target.
        public var deviation: Double?
    }

    public struct ChiSquare: Codable, Sendable, Equatable {
        /// Pearson's statistic on the class × split table (empty rows and columns dropped); nil when untestable.
        public var statistic: Double?
        public var degreesOfFreedom: Int?
        /// P(χ² ≥ statistic) under independence of class and split; a large value means the splits share
        /// one class mix.
        public var pValue: Double?
        public var note: String?
    }

    // MARK: funnel

    public struct Funnel: Codable, Sendable, Equatable {
        public var stages: [FunnelStage]
        /// The plan (`plan.json`) against the caption-first scan (`scan-state.json`), when the work directory has both.
        public var plan: PlanVsActual? = nil
    }

    /// What `pairdx plan` estimated against what the scan did. Requests and bytes count the plan's own sample (read
    /// once, reused by the scan) plus the scan's.
    public struct PlanVsActual: Codable, Sendable, Equatable {
        public var sample: Int
        public var limitingClass: String?
        public var articles: RebuildPlan.Range3
        public var requests: RebuildPlan.Range3
        public var bytes: RebuildPlan.Range3
        /// Articles the split was built from, and articles scanned.
        public var keptArticles: Int?
        public var scannedArticles: Int
        public var actualRequests: Int
        public var actualBytes: Int
        /// (estimate − actual) / actual, as a fraction: articles against those kept, requests, bytes.
        public var articlesDeviation: Double?
        public var requestsDeviation: Double?
        public var bytesDeviation: Double?
        /// Whether the actual value lies inside the plan's 95% interval.
        public var articlesInInterval: Bool?
        public var requestsInInterval: Bool
    }

    public struct FunnelStage: Codable, Sendable, Equatable {
        /// `candidates`, `articles`, `figures`, `decoded`, `unique`, `labelled`, `balanced`, `split`; a caption-first
        /// rebuild has `captions labelled` and `media fetched` in place of `figures`.
        public var stage: String
        /// nil when the file that counts this stage was not given.
        public var count: Int?
        /// How many the previous stage had that this one does not.
        public var lost: Int?
        public var reasons: [Count]
    }

    // MARK: leakage

    public struct Leakage: Codable, Sendable, Equatable {
        public var radius: Int
        /// Pairs of items in different splits whose pHashes differ in at most `radius` bits.
        public var nearDuplicatePairs: Int
        /// Up to 100 of those pairs, closest first.
        public var pairs: [LeakPair]
        /// Articles with items in more than one split.
        public var articlesAcrossSplits: Int
        public var articles: [ArticleLeak]
        /// Groups (the `group` column) with items in more than one split.
        public var groupsAcrossSplits: Int
        /// Pairs with identical bytes (sha256) in different splits.
        public var exactDuplicatesAcrossSplits: Int
        /// Items without a readable pHash (not searched).
        public var itemsWithoutPHash: Int
        /// Item ids listed in more than one split, or twice in one.
        public var repeatedIds: Int
    }

    public struct LeakPair: Codable, Sendable, Equatable {
        public var a: String
        public var splitA: String
        public var b: String
        public var splitB: String
        public var distance: Int
    }

    public struct ArticleLeak: Codable, Sendable, Equatable {
        public var article: String
        public var splits: [String]
    }

    // MARK: duplicates

    public struct Duplicates: Codable, Sendable, Equatable {
        public var clusters: Int
        public var singletons: Int
        public var exactClusters: Int
        public var nearClusters: Int
        public var crossArticleClusters: Int
        /// Members beyond the kept one, summed over clusters.
        public var dropped: Int
        public var largest: Int
        /// Cluster sizes: `1`, `2`, `3`, `4`, `5-9`, `10+`.
        public var sizeHistogram: [Bin]
    }

    // MARK: captions

    public struct Captions: Codable, Sendable, Equatable {
        /// Word-count bins shared by every class.
        public var classes: [ClassCaptions]
        public var glove: GloveCoverage?
        /// Split items whose caption was not found in figures.jsonl.
        public var missing: Int
    }

    public struct ClassCaptions: Codable, Sendable, Equatable {
        public var `class`: String
        public var items: Int
        public var meanWords: Double
        public var medianWords: Double
        public var lengthHistogram: [Bin]
        /// Terms most over-represented in this class against the others (smoothed log-odds), best first.
        public var distinctiveTerms: [Term]
    }

    public struct Term: Codable, Sendable, Equatable {
        public var term: String
        public var count: Int
        public var score: Double
    }

    public struct GloveCoverage: Codable, Sendable, Equatable {
        public var vocabulary: Int
        public var tokens: Int
        public var covered: Int
        public var share: Double
        /// The most frequent tokens the vocabulary lacks.
        public var topMissing: [Count]
    }

    // MARK: images

    public struct Images: Codable, Sendable, Equatable {
        public var classes: [ClassImages]
        /// Split items with no images.jsonl record.
        public var missing: Int
    }

    public struct ClassImages: Codable, Sendable, Equatable {
        public var `class`: String
        public var items: Int
        public var formats: [Count]
        /// Shorter side in pixels: `<64`, `64-127`, `128-255`, `256-511`, `512-1023`, `1024+`.
        public var shortSideHistogram: [Bin]
        public var meanWidth: Double
        public var meanHeight: Double
    }

    // MARK: labels and licences

    public struct LabelRules: Codable, Sendable, Equatable {
        /// Matches per rule (`class:term`), in recipe order.
        public var rules: [RuleMatches]
        public var labelled: Int
        public var ambiguous: Int
        public var unmatched: Int
        /// Every reason a figure got no class.
        public var reasons: [Count]
    }

    public struct RuleMatches: Codable, Sendable, Equatable {
        /// The class the rule belongs to; `*` for the recipe's `excludeAll` terms.
        public var `class`: String
        public var term: String
        /// `include`, `exclude`, or `context` (a negative context that cancelled a match; `term` is its name).
        public var kind: String
        public var matches: Int
    }

    public struct Licences: Codable, Sendable, Equatable {
        /// Split items per licence (the article's licence).
        public var items: [Count]
        /// Articles contributing at least one split item, per licence.
        public var articles: [Count]
    }

    // MARK: samples and gates

    public struct ClassSamples: Codable, Sendable, Equatable {
        public var `class`: String
        public var items: [Sample]
    }

    public struct Sample: Codable, Sendable, Equatable {
        public var id: String
        public var split: String
        public var sha256: String
        /// Caption text, cut to 240 characters; nil without `--data`.
        public var caption: String?
    }

    public struct GateResult: Codable, Sendable, Equatable {
        /// `max-imbalance`, `max-leakage`, `min-per-class`.
        public var rule: String
        public var limit: Double
        /// The value met; nil when unbounded (an empty class under `max-imbalance`).
        public var value: Double?
        public var passed: Bool
        public var detail: String
    }
}
