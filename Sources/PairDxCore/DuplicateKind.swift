/// How figures are duplicates of each other: the kind of a cluster in `clusters.jsonl` (`single`, `exact`, `near`)
/// and of an edge that joined a figure to its cluster's representative (`exact`, `near`, `crop`, `panel`).
///
/// Read from a file, any string is accepted: a kind this version does not know is kept as `.other` and written
/// back exactly as it was read.
public enum DuplicateKind: OpenEnum, ExpressibleByStringLiteral {
    /// A cluster of one figure.
    case single
    /// The same bytes or the same decoded pixels.
    case exact
    /// The same picture at another size, quality or brightness (whole-image hashes agree).
    case near
    /// A trim of the other at the same pixel scale.
    case crop
    /// One half of the other (a panel cut from a two-panel figure), at the same pixel scale.
    case panel
    /// A kind written by another version, kept as read.
    case other(String)

    /// The known kinds; edges are preferred in this order when a figure has several to its representative.
    public static let known: [DuplicateKind] = [.single, .exact, .near, .crop, .panel]
    /// The kinds of edge between two figures, in order of preference.
    public static let edges: [DuplicateKind] = [.exact, .near, .crop, .panel]

    public init(stringLiteral value: String) { self.init(rawValue: value) }

    public var rawValue: String {
        switch self {
        case .single: "single"
        case .exact: "exact"
        case .near: "near"
        case .crop: "crop"
        case .panel: "panel"
        case .other(let s): s
        }
    }

    /// Position in `known` (unknown kinds last), the order of preference between edges.
    public var rank: Int { Self.known.firstIndex(of: self) ?? Self.known.count }
}
