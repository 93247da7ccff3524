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

/// Progress for long stages: count, rate and ETA on one redrawn stderr line, only on a terminal
/// and only at info level; at most ~5 redraws per second. Thread-safe.
public final class Progress: Sendable {
    private let label: String
    private let total: Int?
    private let start = Date()
    private struct Counts { var done = 0; var lastDraw = Date.distantPast }
    private let counts = Mutex(Counts())
    private let enabled: Bool

    public init(_ label: String, total: Int?) {
        self.label = label
        self.total = total
        self.enabled = Log.isTerminal && Log.level <= .info
    }

    public func advance(by n: Int = 1) {
        counts.withLock { c in
            c.done += n
            guard enabled else { return }
            let now = Date()
            if now.timeIntervalSince(c.lastDraw) < 0.2 && c.done != total { return }
            c.lastDraw = now
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line(done: c.done, now: now)).utf8))
        }
    }

    public func finish() {
        guard enabled else { return }
        counts.withLock { c in
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line(done: c.done, now: Date()) + "\n").utf8))
        }
    }

    private func line(done: Int, now: Date) -> String {
        let dt = max(now.timeIntervalSince(start), 1e-6)
        let rate = Double(done) / dt
        var s = "\(label): \(done)"
        if let total { s += "/\(total)" }
        s += String(format: " (%.1f/s", rate)
        if let total, rate > 0, done < total {
            let eta = Double(total - done) / rate
            s += String(format: ", ETA %d:%02d", Int(eta) / 60, Int(eta) % 60)
        }
        return s + ")"
    }
}
