/// The records stages exchange through the work directory. Every file is JSONL, sorted by the
/// record's `sortKey`, written canonically (see `JSONL`).
///
///     candidates.jsonl → articles.jsonl + figures.jsonl (+ blobs/) → images.jsonl
///       → clusters.jsonl → labels.jsonl → Splits/<name>/ + Manifests/<name>/ → report/

/// An article a source offers, before anything is fetched (`work/candidates.jsonl`).
public struct Candidate: Codable, Sendable, Hashable {
    /// `PMC123` without version.
    public var pmcid: String
    /// A specific version when the id list or listing named one; `nil` means "newest".
    public var version: Int?
    /// Where it was found.
    public var via: Via

    public init(pmcid: String, version: Int? = nil, via: Via) {
        self.pmcid = pmcid; self.version = version; self.via = via
    }
    public var sortKey: String { PMCID.sortKey(pmcid) }

    /// Where a candidate was found: `ids` (an id file), `list` (a bucket's ListObjectsV2), `mirror` (a mirror
    /// directory's listing) or `esearch` (an NCBI esearch query). Read from a file, a word this version does not know
    /// is kept as `.other` and written back as read.
    public enum Via: OpenEnum {
        case ids, list, mirror, esearch
        case other(String)

        public static let known: [Via] = [.ids, .list, .mirror, .esearch]

        public var rawValue: String {
            switch self {
            case .ids: "ids"
            case .list: "list"
            case .mirror: "mirror"
            case .esearch: "esearch"
            case .other(let s): s
            }
        }
    }
}

/// What became of one candidate article (`work/articles.jsonl`).
public struct ArticleRecord: Codable, Sendable, Hashable {
    public var pmcid: String
    public var version: Int?
    /// `ok`, or why the article yielded nothing: `retracted`, `not-open-access`, `no-figures`,
    /// `metadata-error: …`, `xml-error: …`, `http-error: …`.
    public var status: FetchStatus
    public var license: String?
    public var pmid: String?
    public var doi: String?
    public var title: String?
    /// Figures found in the JATS (graphics inside figures; tables and formulas excluded).
    public var figures: Int

    public init(
        pmcid: String, version: Int?, status: FetchStatus, license: String? = nil, pmid: String? = nil,
        doi: String? = nil, title: String? = nil, figures: Int = 0
    ) {
        self.pmcid = pmcid; self.version = version; self.status = status; self.license = license
        self.pmid = pmid; self.doi = doi; self.title = title; self.figures = figures
    }
    public var sortKey: String { PMCID.sortKey(pmcid) }
}

/// One figure graphic of one article (`work/figures.jsonl`): the item every later stage counts.
public struct FigureRecord: Codable, Sendable, Hashable {
    /// Stable item id: `PMC123/fig-id`, with `/N` (1-based) appended when a figure holds several graphics.
    public var id: String
    public var pmcid: String
    public var version: Int?
    /// The `<fig id>` (or a positional id `fig-N` when the attribute is missing).
    public var figure: String
    public var label: String?
    public var caption: String
    /// `fig` or `fig-group`.
    public var context: String
    /// `graphic/@xlink:href` as written in the JATS.
    public var href: String
    /// The media file it resolved to, when it did.
    public var media: String?
    public var license: String?
    /// sha256 of the media bytes = the blob's name in `blobs/sha256/`.
    public var sha256: String?
    public var bytes: Int?
    public var url: String?
    /// `ok`, or `media-missing`, `unsupported-format: tif`, `not-an-image: …`, `unsafe-name: …`, `http-error: …`.
    public var status: FetchStatus

    public init(
        id: String, pmcid: String, version: Int?, figure: String, label: String?, caption: String,
        context: String, href: String, media: String?, license: String?, sha256: String?,
        bytes: Int?, url: String?, status: FetchStatus
    ) {
        self.id = id; self.pmcid = pmcid; self.version = version; self.figure = figure; self.label = label
        self.caption = caption; self.context = context; self.href = href; self.media = media
        self.license = license; self.sha256 = sha256; self.bytes = bytes; self.url = url; self.status = status
    }
    public var sortKey: String { ItemID.sortKey(id) }
}

/// One decoded (or rejected) blob (`work/images.jsonl`), keyed by the sha256 of its bytes.
public struct ImageRecord: Codable, Sendable, Hashable {
    public var sha256: String
    /// `png`, `jpeg`, or what the magic bytes say it is.
    public var format: String?
    public var width: Int?
    public var height: Int?
    public var channels: Int?
    /// sha256 over the decoded 8-bit pixels (row-major, interleaved), catching re-encodes that keep pixels.
    public var pixelSHA256: String?
    /// 64-bit hashes as 16 lowercase hex digits (`pairdx-phash-v1`).
    public var phash: String?
    public var dhash: String?
    public var ahash: String?
    /// 256-bit pHash (64 hex digits, `pairdx-phash-v1` §4) that confirms near-duplicate candidates.
    public var phash256: String?
    /// Crop signature (`pairdx-phash-v2`): nine 256-bit window codes, 576 hex digits, that find cropped copies.
    public var crop256: String?
    /// 32×32 thumbnail of the crop-signature plane (`pairdx-phash-v2`), 2048 hex digits, that confirms candidates.
    public var thumb32: String?
    /// Why the image cannot be used, when it cannot.
    public var reject: String?

    public init(
        sha256: String, format: String? = nil, width: Int? = nil, height: Int? = nil, channels: Int? = nil,
        pixelSHA256: String? = nil, phash: String? = nil, dhash: String? = nil, ahash: String? = nil,
        reject: String? = nil, phash256: String? = nil, crop256: String? = nil, thumb32: String? = nil
    ) {
        self.sha256 = sha256; self.format = format; self.width = width; self.height = height
        self.channels = channels; self.pixelSHA256 = pixelSHA256; self.phash = phash; self.dhash = dhash
        self.ahash = ahash; self.reject = reject; self.phash256 = phash256; self.crop256 = crop256
        self.thumb32 = thumb32
    }
    public var sortKey: String { sha256 }
}

/// One duplicate cluster over figures (`work/clusters.jsonl`); singletons included so every usable
/// figure appears exactly once.
public struct ClusterRecord: Codable, Sendable, Hashable {
    /// The kept member's id; also the cluster's name.
    public var keep: String
    /// All member ids, sorted (includes `keep`).
    public var members: [String]
    /// Distinct articles among the members, sorted.
    public var articles: [String]
    /// `exact` (same bytes or same pixels), `near` (other members are near, crop or panel copies), or `single`.
    public var kind: DuplicateKind
    /// Largest pHash distance from the kept member.
    public var maxDistance: Int

    public init(keep: String, members: [String], articles: [String], kind: DuplicateKind, maxDistance: Int) {
        self.keep = keep; self.members = members; self.articles = articles; self.kind = kind;
        self.maxDistance = maxDistance
    }
    public var crossArticle: Bool { articles.count > 1 }
    public var sortKey: String { ItemID.sortKey(keep) }
}

/// The class given to one figure, or the reason it has none (`work/labels.jsonl`).
public struct LabelRecord: Codable, Sendable, Hashable {
    public var id: String
    public var `class`: String?
    /// `no-rule-matched`, `ambiguous`, `excluded`, `caption-too-short`, `image-rejected: …`,
    /// `image-too-small`, `duplicate-dropped`, `fetch: …`.
    public var reason: String?
    /// Terms that matched, as `class:term`, sorted.
    public var matched: [String]
    /// For `ambiguous`: the classes that matched, sorted.
    public var classes: [String]?

    public init(id: String, class c: String?, reason: String?, matched: [String], classes: [String]? = nil) {
        self.id = id; self.class = c; self.reason = reason; self.matched = matched; self.classes = classes
    }
    public var sortKey: String { ItemID.sortKey(id) }
}
