import Foundation
import PairDxCore

/// `Manifests/published-results.json`: every figure the paper publishes, as data (schema `pairdx-published/1`).
public struct PublishedResults: Codable, Sendable {
    public struct Source: Codable, Sendable {
        public var doi: String; public var citation: String; public var scope: String
    }

    /// A number or a yes/no claim.
    public enum Value: Codable, Sendable, Equatable {
        case number(Double), claim(Bool)
        public init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) { self = .claim(b) } else { self = .number(try c.decode(Double.self)) }
        }
        public func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .number(let d): try c.encode(d);
            case .claim(let b): try c.encode(b)
            }
        }
    }

    public struct Figure: Codable, Sendable {
        public var id: String
        public var subject: String
        public var quantity: String
        public var value: Value
        /// `percent`, `seconds`, `count` or `claim`.
        public var unit: String
        public var as_published: String?
        /// Which of our results it is set beside: `dataset`, `fusion`, `clip`, `clip-zero-shot`, `biomedclip`.
        public var ours: String
    }

    public var schema: String
    public var source: Source
    public var figures: [Figure]

    public static func load(_ path: String) throws -> PublishedResults {
        guard FileSystem.exists(path) else {
            throw PairDxError.io(
                "\(path): published results not found; run from the repository root or pass the file explicitly")
        }
        let p = try CanonicalJSON.decode(PublishedResults.self, from: FileSystem.read(path), source: path)
        guard p.schema == "pairdx-published/1" else {
            throw PairDxError.badInput("\(path): schema '\(p.schema)', expected pairdx-published/1")
        }
        return p
    }
}
