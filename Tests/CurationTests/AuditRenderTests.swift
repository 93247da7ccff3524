import Foundation
import Imaging
import PairDxCore
import PairDxTestSupport
import Testing
@testable import Curation

/// Renders a report in headless Chromium (when installed) and checks every chart with data drew marks:
/// the script's check passes, and, counted here independently, the page rendered as is and with `.mark`
/// elements hidden differ in one band of rows per chart.
@Suite(.scratch) struct AuditRenderTests {
    static let packageRoot = Prerequisite.packageRoot

    static let chromium = Prerequisite.chromium

    static let pillowPython = Prerequisite.python(["PIL"])

    /// The script's own check needs Pillow; without it the check is not made, and that is no pass.
    @Test func checkWithoutPillowFailsInsteadOfPassing() throws {
        let root = try Scratch.directory("nopil")
        try AtomicFile.write(
            "<!doctype html><html><head></head><body><svg class=\"chart\"><rect class=\"mark\"/></svg></body></html>",
            to: root + "/r.html")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["\(Self.packageRoot)/scripts/render-report.sh", root + "/r.html", root + "/r.png", "--check"]
        var env = ProcessInfo.processInfo.environment
        env["PAIRDX_PYTHON"] = "/nonexistent-python"
        p.environment = env
        let err = Pipe()
        p.standardError = err
        try p.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 1)
        #expect(message.contains("CHECK NOT MADE"), "\(message)")
    }

    @Test(chromium.trait, pillowPython.trait)
    func chartsAreDrawnInChromium() throws {
        try Self.chromium.require()
        let python = try Self.pillowPython.require()
        let root = try AuditDiskFixture.write()
        let report = try Audit.run(splitDir: "\(root)/Splits/demo", data: "\(root)/work", out: "\(root)/out")
        let html = try FileSystem.readString("\(root)/out/report.html")
        let chartsWithData = html.components(separatedBy: "<svg class=\"chart\"").dropFirst()
            .filter { $0.components(separatedBy: "</svg>")[0].contains("class=\"mark\"") }.count
        #expect(chartsWithData >= 6)

        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [
            "\(Self.packageRoot)/scripts/render-report.sh", "\(root)/out/report.html", "\(root)/out/report.png",
            "--check"
        ]
        var env = ProcessInfo.processInfo.environment
        env["PAIRDX_PYTHON"] = python
        p.environment = env
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)

        let shown = try ImageDecoder.decode(try FileSystem.read("\(root)/out/report.png"))
        let hidden = try ImageDecoder.decode(try FileSystem.read("\(root)/out/report.marks-hidden.png"))
        #expect(shown.width == hidden.width && shown.height == hidden.height)
        let w = shown.width, ch = shown.channels
        var rowsDrawn = [Int](repeating: 0, count: shown.height)
        var coloured = 0
        for y in 0..<shown.height {
            for x in 0..<w {
                let i = (y * w + x) * ch
                var d = 0
                for c in 0..<ch { d = max(d, abs(Int(shown.pixels[i + c]) - Int(hidden.pixels[i + c]))) }
                if d > 16 { rowsDrawn[y] += 1 }
                if ch == 3 {
                    let r = Int(shown.pixels[i]), g = Int(shown.pixels[i + 1]), b = Int(shown.pixels[i + 2])
                    if max(r, g, b) - min(r, g, b) > 60 { coloured += 1 }
                }
            }
        }
        var bands = 0, gap = 100
        for r in rowsDrawn { if r > 0 { if gap > 12 { bands += 1 }; gap = 0 } else { gap += 1 } }
        let drawn = rowsDrawn.reduce(0, +)
        #expect(bands >= chartsWithData, "\(bands) chart bands drawn for \(chartsWithData) charts with data")
        #expect(drawn > chartsWithData * 500, "only \(drawn) chart pixels")
        #expect(coloured > 0)
        #expect(report.passed)
    }
}
