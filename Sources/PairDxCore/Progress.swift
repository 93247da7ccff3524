import Foundation
import Synchronization

/// Progress of a long stage on one stderr line: a count with rate and ETA, or a status text the stage writes.
///
/// On a terminal the line is redrawn in place (at most ~5 times a second). When stderr is not a terminal (CI logs,
/// files, pipes) it stays quiet: one summary line every `interval` seconds (30 by default) and one at the end. Only at
/// info level. A progress that `claimLine()`s its line holds it until `finish()`: progresses created meanwhile on
/// that line (a fetch or hash inside a scan) draw nothing themselves and show as a suffix of it. Thread-safe.
public final class Progress: Sendable {
    /// Seconds between summary lines when stderr is not a terminal.
    public static let quietInterval: Double = 30

    private let label: String
    private let total: Int?
    private let terminal: Bool
    private let interval: Double
    private let enabled: Bool
    private let clock: @Sendable () -> Double
    private let output: Line
    /// The progress holding the line when this one was made: this one then reports into it.
    private let parent: Progress?
    private let start: Double

    private struct State {
        var done = 0
        var status: String?
        var child: String?
        var lastDraw = -Double.infinity
        var lastPrint: Double
        var finished = false
    }
    private let state: Mutex<State>

    /// Where progresses write, and which of them holds it (`claimLine()`): stderr's line, or a test's own.
    public final class Line: Sendable {
        let sink: @Sendable (String) -> Void
        let holder = Mutex<Progress?>(nil)

        public init(sink: @escaping @Sendable (String) -> Void) { self.sink = sink }

        public static let standardError = Line { FileHandle.standardError.write(Data($0.utf8)) }
    }

    /// `terminal`, `interval`, `clock` (seconds) and `line` (where the text goes) are for tests; by default whether
    /// stderr is a terminal, 30 s, the monotonic clock and stderr.
    public init(
        _ label: String, total: Int?, terminal: Bool = Log.isTerminal, interval: Double = Progress.quietInterval,
        clock: @escaping @Sendable () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 },
        line: Line = .standardError
    ) {
        self.label = label; self.total = total; self.terminal = terminal; self.interval = interval
        self.clock = clock; output = line
        enabled = Log.level <= .info
        parent = line.holder.withLock { $0 }
        start = clock()
        state = Mutex(State(lastPrint: start))
    }

    /// Makes this the line's owner until `finish()`: progresses created meanwhile show inside it.
    public func claimLine() { output.holder.withLock { if $0 == nil { $0 = self } } }

    public func advance(by n: Int = 1) {
        let done = state.withLock { s in
            s.done += n; return s.done
        }
        if let parent { parent.childUpdate("\(label) \(done)" + (total.map { "/\($0)" } ?? "")); return }
        emit(force: done == total)
    }

    /// Sets the count (for a progress whose count is not a sum of steps).
    public func set(done: Int) {
        state.withLock { $0.done = done }
        if parent == nil { emit(force: false) }
    }

    /// Replaces the text after the label (counts, rate and ETA are then the caller's to write).
    public func status(_ text: String) {
        state.withLock { $0.status = text }
        if let parent { parent.childUpdate("\(label): \(text)"); return }
        emit(force: false)
    }

    public func finish() {
        output.holder.withLock { if $0 === self { $0 = nil } }
        if let parent { parent.childUpdate(nil); return }
        guard enabled else { return }
        let text: String? = state.withLock { s in
            guard !s.finished else { return nil }
            s.finished = true; s.child = nil
            return line(s, now: clock())
        }
        if let text { output.sink(terminal ? "\r\u{1B}[K" + text + "\n" : text + "\n") }
    }

    private func childUpdate(_ text: String?) {
        state.withLock { $0.child = text }
        emit(force: false)
    }

    /// Draws (terminal) or prints (otherwise) the line when it is due.
    private func emit(force: Bool) {
        guard enabled else { return }
        let now = clock()
        let text: String? = state.withLock { s in
            guard !s.finished else { return nil }
            if terminal {
                if !force && now - s.lastDraw < 0.2 { return nil }
                s.lastDraw = now
                return "\r\u{1B}[K" + line(s, now: now)
            }
            if now - s.lastPrint < interval { return nil }
            s.lastPrint = now
            return line(s, now: now) + "\n"
        }
        if let text { output.sink(text) }
    }

    private func line(_ s: State, now: Double) -> String {
        var out = "\(label): "
        if let status = s.status {
            out += status
        } else {
            let dt = max(now - start, 1e-6)
            let rate = Double(s.done) / dt
            out += "\(s.done)"
            if let total { out += "/\(total)" }
            out += String(format: " (%.1f/s", rate)
            if let total, rate > 0, s.done < total {
                let eta = Double(total - s.done) / rate
                out += String(format: ", ETA %d:%02d", Int(eta) / 60, Int(eta) % 60)
            }
            out += ")"
        }
        if let child = s.child { out += " · " + child }
        return out
    }
}
