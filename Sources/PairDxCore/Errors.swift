/// The error every stage throws when it must stop, carrying the process exit code the CLI uses.
///
/// Exit codes (documented in the README): 0 success; 1 a check or gate failed; 64 usage error;
/// 65 bad input data that stopped the command; 74 I/O error.
public struct PairDxError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Int32, Sendable {
        case checkFailed = 1
        case usage = 64
        case badInput = 65
        case io = 74
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var exitCode: Int32 { kind.rawValue }
    public var description: String { message }

    public static func usage(_ m: String) -> PairDxError { .init(.usage, m) }
    public static func badInput(_ m: String) -> PairDxError { .init(.badInput, m) }
    public static func io(_ m: String) -> PairDxError { .init(.io, m) }
    public static func checkFailed(_ m: String) -> PairDxError { .init(.checkFailed, m) }
}
