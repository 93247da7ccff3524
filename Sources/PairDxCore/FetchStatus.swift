/// What became of an article or a figure when it was fetched: `status` in `articles.jsonl`, `figures.jsonl` and the
/// manifest's `sources.csv`. A status is a reason (`ok`, `retracted`, `metadata-error`…) and, for some reasons, a
/// detail after ": " (`metadata-error: PMC1.1.json: unusable xml_url`, `http-error: timeout`).
///
/// Read from a file, any string is accepted: a reason this version does not know is kept as `.other` (as swift-nio's
/// `HTTPMethod.RAW`), and every string is written back exactly as it was read.
public struct FetchStatus: OpenVocabulary {
    public enum Reason: OpenEnum {
        case ok
        case retracted
        case notOpenAccess
        case noFigures
        case metadataError
        case xmlError
        case httpError
        /// The article's document or the source's listing answered 404.
        case notFound
        case mediaMissing
        case tooLarge
        case unsupportedFormat
        case notAnImage
        case unsafeName
        /// Never asked for (a caption-first scan asks only for the media of labelled captions).
        case notFetched
        /// A reason written by another version, kept as read.
        case other(String)

        public static let known: [Reason] = [
            .ok, .retracted, .notOpenAccess, .noFigures, .metadataError, .xmlError, .httpError,
            .notFound, .mediaMissing, .tooLarge, .unsupportedFormat, .notAnImage, .unsafeName,
            .notFetched
        ]

        public var rawValue: String {
            switch self {
            case .ok: "ok"
            case .retracted: "retracted"
            case .notOpenAccess: "not-open-access"
            case .noFigures: "no-figures"
            case .metadataError: "metadata-error"
            case .xmlError: "xml-error"
            case .httpError: "http-error"
            case .notFound: "not found"
            case .mediaMissing: "media-missing"
            case .tooLarge: "too-large"
            case .unsupportedFormat: "unsupported-format"
            case .notAnImage: "not-an-image"
            case .unsafeName: "unsafe-name"
            case .notFetched: "not-fetched"
            case .other(let s): s
            }
        }
    }

    public var reason: Reason
    public var detail: String?

    public init(_ reason: Reason, _ detail: String? = nil) { self.reason = reason; self.detail = detail }

    /// Splits at the first ": " (reason, then detail); the result's `rawValue` is `rawValue` again.
    public init(rawValue: String) {
        if let r = rawValue.range(of: ": ") {
            self.init(Reason(rawValue: String(rawValue[..<r.lowerBound])), String(rawValue[r.upperBound...]))
        } else {
            self.init(Reason(rawValue: rawValue))
        }
    }

    public var rawValue: String { detail.map { "\(reason.rawValue): \($0)" } ?? reason.rawValue }
    public var isOK: Bool { self == .ok }

    public static let ok = FetchStatus(.ok)
    /// A figure whose caption received no class in a caption-first scan: its media were never asked for.
    public static let captionUnlabelled = FetchStatus(.notFetched, "caption has no class")
    /// A figure whose caption received a class in a caption-first scan, left out by the per-class media cap: the
    /// figures of its class earlier in the scan order already cover the recipe's target.
    public static let classCovered = FetchStatus(.notFetched, "class already covered")
}
