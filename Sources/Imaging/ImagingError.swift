/// Why an image could not be decoded or encoded: a stable reason code plus the library's own words.
///
/// `reason` is what stage outputs record (`images.jsonl` `reject`), e.g. `truncated: png`,
/// `unsupported-format: gif`, `not-an-image: html`, `too-large: 60000x60000 …`.
public struct ImagingError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case empty = "empty-file"
        case notAnImage = "not-an-image"
        case unsupportedFormat = "unsupported-format"
        case truncated
        case corrupt
        case tooLarge = "too-large"
        case tooSmall = "too-small"
        /// An interlaced PNG or multi-scan JPEG whose whole-image buffer exceeds the decode memory.
        case overBudget = "over-budget"
        /// A JPEG with more scans than the scan limit.
        case tooManyScans = "too-many-scans"
        case outOfMemory = "out-of-memory"
        case invalidArgument = "invalid-argument"
        case unreadable
    }

    public var kind: Kind
    public var detail: String

    public init(_ kind: Kind, _ detail: String = "") { self.kind = kind; self.detail = detail }

    /// `kind` alone, or `kind: detail`.
    public var reason: String { detail.isEmpty ? kind.rawValue : "\(kind.rawValue): \(detail)" }
    public var description: String { reason }
}
