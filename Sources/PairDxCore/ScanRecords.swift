import Foundation

// The two files a caption-first rebuild leaves beside its work files, read by the rebuild and by the audit.

/// `work/plan.json`: what a caption-first rebuild will cost, estimated from a seeded sample before it starts.
///
/// The sample is a prefix of the seeded scan order — a uniform sample of the candidates, and the very articles the
/// scan reads first, so planning wastes no request. Its length is set by the rarest class: the prefix grows (caption
/// phase only: metadata and JATS) until every class has `minimumCount` caption-labelled figures (97, or the recipe's
/// need when that is smaller), or until `maxSample` articles (`sampleStop` says which).
/// Then the media the cap selects are fetched, hashed, deduplicated and labelled as the scan does.
///
/// The estimate (see `RebuildPlan.make` in Pipeline for the method): a class's usable figures per article is its
/// labelled count over the sample times the share of its selected media that came out usable; the articles to scan is
/// the need over that yield, for the slowest class (`limitingClass`). The 95% interval is a Wilson score interval on
/// that class's labelled share of the sample's figures, so it narrows with that class's count and widens when
/// `maxSample` stopped the sample short of `minimumCount`.
public struct RebuildPlan: Codable, Sendable, Equatable {
    public var schema = "pairdx-plan/1"
    public var recipe: String
    public var candidateOrigin: String
    public var candidates: Int
    /// sha256 of what the discovery asked for (origin, source, query and endpoint, or the id file's bytes): a rebuild
    /// in the same work directory asking for the same takes the plan's list instead of discovering again.
    public var discovery: String?
    /// Articles sampled (a prefix of the seeded order).
    public var sample: Int
    /// The bound on `sample` (`--plan-sample`), and the labelled figures per class the sample grows to reach.
    public var maxSample: Int?
    public var minimumCount: Int?
    /// Why the sample ends where it does: `count` (every class reached its count), `bound` (`maxSample` stopped it
    /// first: the interval is wider), `candidates` (every candidate is in the sample).
    public var sampleStop: SampleStop?
    public var perClass: Int?
    /// Figures in the sample, and per class those whose caption the recipe's rules give the class (media not needed).
    public var sampleFigures: Int?
    public var labelled: [String: Int]?
    /// Usable figures per class in the sample (media fetched by the cap, decoded, unique, labelled).
    public var usable: [String: Int]
    /// Per class, the share of the media the cap selected that came out usable (1 when none were selected).
    public var survival: [String: Double]?
    public var figuresPerArticle: Double
    public var requestsPerArticle: Double
    public var bytesPerArticle: Double
    /// Mean bytes of a metadata or JATS document, and of a media file.
    public var bytesPerDocument: Double
    public var bytesPerFigure: Double
    /// The class that needs the most articles.
    public var limitingClass: String?
    public var estimate: Estimate?
    /// When the candidates cannot fill the target by this estimate: the per-class counts they would give.
    public var shortfall: [String: Int]?

    public init(
        recipe: String, candidateOrigin: String, candidates: Int, sample: Int, perClass: Int?, usable: [String: Int],
        figuresPerArticle: Double, requestsPerArticle: Double, bytesPerArticle: Double, bytesPerDocument: Double,
        bytesPerFigure: Double, limitingClass: String? = nil, estimate: Estimate? = nil, shortfall: [String: Int]? = nil
    ) {
        self.recipe = recipe; self.candidateOrigin = candidateOrigin; self.candidates = candidates; self.sample = sample
        self.perClass = perClass; self.usable = usable; self.figuresPerArticle = figuresPerArticle
        self.requestsPerArticle = requestsPerArticle; self.bytesPerArticle = bytesPerArticle
        self.bytesPerDocument = bytesPerDocument; self.bytesPerFigure = bytesPerFigure
        self.limitingClass = limitingClass; self.estimate = estimate; self.shortfall = shortfall
    }

    public struct Estimate: Codable, Sendable, Equatable {
        public var articles: Range3
        public var requests: Range3
        public var bytes: Range3
        /// Seconds at `rate` requests per second.
        public var seconds: Range3
        public var rate: Double
        public init(articles: Range3, requests: Range3, bytes: Range3, seconds: Range3, rate: Double) {
            self.articles = articles; self.requests = requests; self.bytes = bytes; self.seconds = seconds;
            self.rate = rate
        }
    }

    /// Why a plan's sample ends where it does (`sampleStop`).
    public enum SampleStop: OpenEnum {
        /// Every class reached the count the sample grows to.
        case count
        /// The bound (`maxSample`) stopped it first: the limiting class's count is smaller and its interval wider.
        case bound
        /// Every candidate is in the sample.
        case candidates
        /// A word written by another version, kept as read.
        case other(String)

        public static let known: [SampleStop] = [.count, .bound, .candidates]
        public var rawValue: String {
            switch self {
            case .count: "count"
            case .bound: "bound"
            case .candidates: "candidates"
            case .other(let s): s
            }
        }
    }

    /// An estimate with its 95% interval.
    public struct Range3: Codable, Sendable, Equatable {
        public var low: Double
        public var mid: Double
        public var high: Double
        public init(low: Double, mid: Double, high: Double) { self.low = low; self.mid = mid; self.high = high }
    }

    /// The plan in a few lines, for people.
    public var text: String {
        func n(_ x: Double) -> String { x.isFinite ? String(Int(x)) : "∞" }
        func mb(_ x: Double) -> String {
            x >= 1e9
                ? String(format: "%.1f GB", x / 1e9)
                : x >= 1e6 ? String(format: "%.1f MB", x / 1e6) : String(format: "%.1f KB", x / 1e3)
        }
        func h(_ s: Double) -> String { String(format: "%.1f h", s / 3600) }
        var s =
            "plan for recipe \(recipe): \(candidates) candidates (\(candidateOrigin)); sample of \(sample) articles in the seeded order\n"
        if let k = minimumCount, let stop = sampleStop {
            let why: String
            switch stop {
            case .count: why = "every class reached its count"
            case .bound:
                why =
                    "stopped by the bound of \(maxSample.map(String.init) ?? "?") articles (--plan-sample) before the rarest class did: "
                    + "the interval is wider"
            case .candidates: why = "every candidate is in the sample"
            case .other(let w): why = w
            }
            s += "  the sample grows until every class has \(k) caption-labelled figures (\(why))\n"
        }
        if let l = labelled {
            s +=
                "  caption-labelled figures in the sample: "
                + l.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + "\n"
        }
        s +=
            "  usable figures in the sample: "
            + usable.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + "\n"
        s += String(
            format: "  per article: %.2f figures, %.2f requests, %@; %@ per document, %@ per media file\n",
            figuresPerArticle, requestsPerArticle, mb(bytesPerArticle), mb(bytesPerDocument), mb(bytesPerFigure))
        if let e = estimate, let need = perClass {
            s += "  to reach \(need) per class (limiting class: \(limitingClass ?? "-")):\n"
            s += "    articles to scan: \(n(e.articles.mid)) (95%: \(n(e.articles.low))–\(n(e.articles.high)))\n"
            s += "    requests:         \(n(e.requests.mid)) (\(n(e.requests.low))–\(n(e.requests.high)))\n"
            s += "    download:         \(mb(e.bytes.mid)) (\(mb(e.bytes.low))–\(mb(e.bytes.high)))\n"
            s += String(
                format: "    wall time at %.1f requests/s: %@ (%@–%@)\n", e.rate, h(e.seconds.mid), h(e.seconds.low),
                h(e.seconds.high))
        } else if perClass == nil {
            s += "  the recipe's balance policy sets no per-class target: the scan reads every candidate\n"
        }
        if let short = shortfall {
            s +=
                "  the candidates look too few: by the sample's yield they give "
                + short.sorted { $0.key < $1.key }.map { "\($0.key) ~\($0.value)" }.joined(separator: ", ")
                + " — the rebuild will exit 1 naming the short classes, or balance down with --allow-short\n"
        }
        return s
    }
}

/// `work/scan-state.json`: how far the seeded order has been scanned, what it cost, and why it stopped.
public struct ScanState: Codable, Sendable, Equatable {
    public var schema = "pairdx-scan-state/1"
    /// sha256 of the seeded candidate order (recipe seed + candidate ids): a different order starts afresh.
    public var order: String
    public var candidates: Int
    /// Articles of the order scanned so far (metadata + JATS read, labelled media fetched).
    public var scanned: Int
    /// The prefix the split is built from (the shortest that meets the target), once found.
    public var kept: Int?
    public var batches: Int
    public var requests: Int
    public var bytes: Int
    public var seconds: Double
    /// `target`, `exhausted`, `all` (policy without a per-class target), or the budget that stopped it.
    public var stoppedBy: String?
    /// Usable figures per class in the scanned prefix.
    public var usable: [String: Int]
    /// `requests` by what was asked for (`listing`, `metadata`, `jats`, `media`), and how many of them were retries.
    public var requestsByKind: [String: Int]?
    public var retries: Int?
    /// Media allowance per class of the kept prefix (the caption-first media cap: media were asked for only for the
    /// first this-many caption-labelled figures of each class in scan order).
    public var mediaAllowance: [String: Int]?

    public init(
        order: String, candidates: Int, scanned: Int, kept: Int?, batches: Int, requests: Int, bytes: Int,
        seconds: Double, stoppedBy: String?, usable: [String: Int]
    ) {
        self.order = order; self.candidates = candidates; self.scanned = scanned; self.kept = kept;
        self.batches = batches
        self.requests = requests; self.bytes = bytes; self.seconds = seconds; self.stoppedBy = stoppedBy;
        self.usable = usable
    }
}
