/// A word read from and written to files, stored as its string: decoding accepts any string and encoding writes
/// `rawValue`, so a value written by another version survives a read and a write unchanged.
/// The rule for every status, reason and kind the pipeline records (`FetchStatus`, `DuplicateKind`,
/// `Candidate.Via`).
public protocol OpenVocabulary: Hashable, Sendable, Codable, CustomStringConvertible {
    init(rawValue: String)
    var rawValue: String { get }
}

extension OpenVocabulary {
    public var description: String { rawValue }

    public init(from decoder: Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}

/// An `OpenVocabulary` that is a fixed set of words plus `.other` for a word this version does not know (as swift-nio's
/// `HTTPMethod.RAW`). `init(rawValue:)` is the lookup in `known`, O(`known.count`).
public protocol OpenEnum: OpenVocabulary {
    /// Every known word, in the type's order of preference where it has one.
    static var known: [Self] { get }
    /// A word this version does not know, kept as read.
    static func other(_ word: String) -> Self
}

extension OpenEnum {
    public init(rawValue: String) { self = Self.known.first { $0.rawValue == rawValue } ?? .other(rawValue) }
}
