import Foundation
import Synchronization
import Testing
@testable import PairDxCore

/// A clock the test moves by hand, and the text a progress wrote.
private final class Recorder: Sendable {
    let now = Mutex(0.0)
    private let written = Written()
    /// The test's own line: a progress another test claims on stderr's line meanwhile never takes this one's text.
    let line: PairDxCore.Progress.Line
    var clock: @Sendable () -> Double { { self.now.withLock { $0 } } }
    func advance(_ seconds: Double) { now.withLock { $0 += seconds } }
    var text: [String] { written.lines.withLock { $0 } }

    init() { line = .init { [written] s in written.lines.withLock { $0.append(s) } } }

    private final class Written: Sendable { let lines = Mutex<[String]>([]) }
}

@Suite(.serialized) struct ProgressTests {
    @Test func quietOffATerminalSummaryEveryIntervalAndAtTheEnd() {
        let r = Recorder()
        let p = Progress("fetch", total: 1_000, terminal: false, interval: 30, clock: r.clock, line: r.line)
        for _ in 0..<100 { r.advance(0.5); p.advance(by: 5) }  // 50 s, 500 done
        #expect(r.text.count == 1)  // one summary at 30 s, none before or since
        #expect(r.text.first?.hasPrefix("fetch: 300/1000 (10.0/s, ETA 1:10)") == true, "\(r.text)")
        #expect(r.text.allSatisfy { $0.hasSuffix("\n") && !$0.contains("\r") && !$0.contains("\u{1B}") })
        r.advance(15); p.advance(by: 500)  // done at 65 s: not due, the end says it
        p.finish()
        #expect(r.text.count == 3 && r.text.last == "fetch: 1000/1000 (15.4/s)\n", "\(r.text)")
        p.finish()
        #expect(r.text.count == 3)
    }

    @Test func onATerminalTheLineIsRedrawnInPlace() {
        let r = Recorder()
        let p = Progress("hash", total: 10, terminal: true, interval: 30, clock: r.clock, line: r.line)
        for _ in 0..<10 { r.advance(0.1); p.advance() }
        // Redrawn at most every 0.2 s, and when the count reaches the total.
        #expect((5...7).contains(r.text.count), "\(r.text)")
        #expect(r.text.allSatisfy { $0.hasPrefix("\r\u{1B}[K") && !$0.hasSuffix("\n") })
        p.finish()
        #expect(r.text.last?.hasSuffix("hash: 10/10 (10.0/s)\n") == true)
    }

    @Test func statusLineHoldsNestedProgressAsASuffix() {
        let r = Recorder()
        let scan = Progress("[scan]", total: nil, terminal: false, interval: 30, clock: r.clock, line: r.line)
        scan.claimLine()
        scan.status("ct 3/40; 200/750 articles")
        let fetch = Progress("fetch", total: 200, terminal: false, interval: 30, clock: r.clock, line: r.line)
        r.advance(31); fetch.advance(by: 120)
        #expect(r.text == ["[scan]: ct 3/40; 200/750 articles · fetch 120/200\n"], "\(r.text)")
        fetch.finish()  // a nested progress never writes a line of its own
        #expect(r.text.count == 1)
        scan.status("ct 40/40; 412/750 articles")
        scan.finish()
        #expect(r.text.last == "[scan]: ct 40/40; 412/750 articles\n")
        // The line is free again: a new progress writes its own.
        let after = Progress("hash", total: 1, terminal: false, interval: 30, clock: r.clock, line: r.line)
        after.advance(); after.finish()
        #expect(r.text.last?.hasPrefix("hash: 1/1") == true)
    }
}
