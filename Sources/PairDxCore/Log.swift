import Foundation
import Synchronization
#if canImport(Glibc)
    import Glibc
#endif

/// Logs and progress go to stderr; stdout is kept for machine-readable results.
public enum Log {
    public enum Level: Int, Sendable, Comparable, CaseIterable {
        case debug = 0, info, warning, error, quiet
        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
        public init?(name: String) {
            switch name.lowercased() {
            case "debug": self = .debug
            case "info": self = .info
            case "warning", "warn": self = .warning
            case "error": self = .error
            case "quiet": self = .quiet
            default: return nil
            }
        }
    }

    private static let levelValue = Atomic<Int>(Level.info.rawValue)
    /// The threshold: set once at start-up, read from any thread.
    public static var level: Level {
        get { Level(rawValue: levelValue.load(ordering: .relaxed)) ?? .info }
        set { levelValue.store(newValue.rawValue, ordering: .relaxed) }
    }
    private static let lock = NSLock()

    public static func write(_ s: String) {
        lock.lock(); defer { lock.unlock() }
        FileHandle.standardError.write(Data((s + "\n").utf8))
    }

    public static func debug(_ s: @autoclosure () -> String) { if level <= .debug { write(s()) } }
    public static func info(_ s: @autoclosure () -> String) { if level <= .info { write(s()) } }
    public static func warning(_ s: @autoclosure () -> String) { if level <= .warning { write("warning: " + s()) } }
    public static func error(_ s: @autoclosure () -> String) { if level <= .error { write("error: " + s()) } }

    /// True when stderr is a terminal (progress lines are drawn only then, so CI logs stay quiet).
    public static var isTerminal: Bool { isatty(2) == 1 }
}

extension Log {
    /// The wall time of consecutive phases of one stage, for `--log-level debug`: each `mark` logs
    /// "<stage>: <phase> in <time since the previous mark>" to stderr and starts the next phase. The message is
    /// built only when debug logging is on.
    public struct Phases {
        let stage: String
        var start = ContinuousClock.now
        public init(_ stage: String) { self.stage = stage }
        public mutating func mark(_ phase: @autoclosure () -> String) {
            let now = ContinuousClock.now
            Log.debug("\(stage): \(phase()) in \(now - start)")
            start = now
        }
        /// Starts the next phase now (time since the last mark is not any phase's).
        public mutating func restart() { start = ContinuousClock.now }
    }
}
