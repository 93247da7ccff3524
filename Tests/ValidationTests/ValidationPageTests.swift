import Curation
import Foundation
import PairDxCore
import PairDxTestSupport
import Testing
import Training
import TrainingTestSupport
@testable import Validation

/// The validation page as pictures: learning curves, confusion heatmaps and F1 bars in inline SVG, checked
/// as markup and, with Chromium and Pillow present, rendered at 1280 px by `scripts/render-report.sh --check`.
@Suite(.scratch) struct ValidationPageTests {
    static let packageRoot = Prerequisite.packageRoot

    static let chromium = Prerequisite.chromium
    static let pillowPython = Prerequisite.python(["PIL"])

    @discardableResult
    static func run(_ exe: String, _ args: [String], env: [String: String] = [:]) throws -> (
        status: Int32, output: String
    ) {
        try Subprocess.run(exe, args, env: env)
    }

    static let classes = ["ct", "mri", "xray", "ultrasound", "histopathology", "endoscopy"]

    /// Three trained models (epochs, step losses, kept epoch), one zero-shot model, on six classes.
    static func report() throws -> ValidationReport {
        func metrics(_ quality: Int) -> Metrics {
            var p: [Int] = [], t: [Int] = []
            for i in 0..<300 { let c = i % 6; t.append(c); p.append(i % quality == 0 ? (c + 1 + i % 4) % 6 : c) }
            return Metrics(predictions: p, labels: t, classes: classes)
        }
        func outcome(_ k: ValidatedModel, quality: Int, epochs: Int) -> ModelOutcome {
            let logs = (0..<epochs).map { e in
                let acc: Double = 0.5 + 0.4 * Double(e) / Double(max(epochs - 1, 1))
                return EpochLog(
                    epoch: e + 1, meanLoss: 1.8 / Double(e + 1), valAccuracy: acc, seconds: 3, imagesPerSecond: 50)
            }
            let steps: [Double] = (0..<(epochs * 25)).map { (i: Int) -> Double in
                let decay: Double = 1.9 * exp(-Double(i) / 40)
                return decay + 0.05 * Double(i % 3)
            }
            return ModelOutcome(
                model: k, metrics: metrics(quality), trainSeconds: 60, testSecondsPerImage: 0.01, parameters: 1000,
                epochs: logs,
                keptEpoch: epochs == 0 ? nil : epochs - 1, stepLosses: epochs == 0 ? nil : steps, embeddings: nil,
                oovShare: nil,
                hyperparameters: String(repeating: "{\"batchSize\":32,\"epochs\":\(epochs),\"lr\":0.001}", count: 8),
                skipped: 0)
        }
        let rows = try splitRows(count: 600, classes: classes)
        let split = SplitSet(
            directory: "x", classes: classes, name: "demo", recipe: "r",
            train: Array(rows[0..<420]), val: Array(rows[420..<480]), test: Array(rows[480...]))
        return Validation.compare(
            published: try PublishedResults.load(publishedPath()),
            outcomes: [
                outcome(.image, quality: 4, epochs: 8), outcome(.text, quality: 6, epochs: 8),
                outcome(.fusion, quality: 12, epochs: 8), outcome(.clipZeroShot, quality: 3, epochs: 0)
            ],
            split: split, recipe: try toyRecipe(), threads: 2, seconds: 1)
    }

    static func charts(_ html: String) -> [String] {
        html.components(separatedBy: "<svg class=\"chart\"").dropFirst().map { $0.components(separatedBy: "</svg>")[0] }
    }

    @Test func pageDrawsCurvesHeatmapsAndF1BarsWithoutScript() throws {
        let r = try Self.report()
        let html = ReportWriter.html(r)
        #expect(!html.contains("<script"))
        #expect(!html.contains("<pre>"), "the confusion matrices are heatmaps, not preformatted text")
        let charts = Self.charts(html)
        #expect(
            charts.count == 3 * 3 + 2, "curves + heatmap + F1 per trained model, heatmap + F1 for the zero-shot one")
        #expect(charts.allSatisfy { $0.contains("class=\"mark\"") })
        let curves = charts.filter { $0.contains("learning curves") }
        #expect(curves.count == 3)
        #expect(
            curves.allSatisfy {
                $0.contains("kept: epoch 7") && $0.contains("<polyline class=\"mark\"") && $0.contains("val accuracy")
            })
        let heatmaps = charts.filter { $0.contains("confusion on test") }
        #expect(heatmaps.count == 4)
        // Every count of the fusion matrix is printed in its cell.
        let fusion = r.models.first { $0.model == .fusion }!
        let fusionMap = heatmaps.first { $0.contains("fusion") }!
        #expect(fusionMap.components(separatedBy: "<rect class=\"mark\"").count - 1 == 36)
        for row in fusion.metrics.confusion { for n in row { #expect(fusionMap.contains(">\(n)</text>")) } }
        #expect(html.contains("class=\"v-"), "the verdict column keeps its colours")
        let md = ReportWriter.markdown(r)
        #expect(md.contains("| published figure |") && md.contains("confusion (rows: true class"))
    }

    @Test(chromium.trait, pillowPython.trait)
    func renderCheckPassesAt1280AndCatchesABlankChartAndAWidePage() throws {
        let dir = try Scratch.directory("valpage")
        try ReportWriter.write(try Self.report(), to: dir)
        let script = Self.packageRoot + "/scripts/render-report.sh"
        try Self.chromium.require()
        let env = ["PAIRDX_PYTHON": try Self.pillowPython.require(), "WIDTH": "1280"]
        let ok = try Self.run(
            "/bin/bash", [script, dir + "/validation.html", dir + "/validation.png", "--check"], env: env)
        #expect(ok.status == 0, "\(ok.output)")
        #expect(ok.output.contains("11 charts, 11 with data"), "\(ok.output)")

        // One heatmap whose cells are hidden on the page itself: the check names it.
        let html = try FileSystem.readString(dir + "/validation.html")
        let target = "text: confusion on test"
        var parts = html.components(separatedBy: "<svg class=\"chart\"")
        let i = parts.firstIndex { $0.contains("<title>text: confusion on test") }!
        parts[i] = parts[i].replacingOccurrences(
            of: "<rect class=\"mark\"", with: "<rect class=\"mark\" visibility=\"hidden\"")
        try AtomicFile.write(parts.joined(separator: "<svg class=\"chart\""), to: dir + "/blank.html")
        let blank = try Self.run("/bin/bash", [script, dir + "/blank.html", dir + "/blank.png", "--check"], env: env)
        #expect(blank.status == 1)
        #expect(blank.output.contains("CHECK FAILED") && blank.output.contains(target), "\(blank.output)")

        // A page wider than 1280 px.
        try AtomicFile.write(
            html.replacingOccurrences(
                of: "</h1>", with: "</h1><div style=\"width:1500px;height:20px;background:#333\"></div>"),
            to: dir + "/wide.html")
        let wide = try Self.run("/bin/bash", [script, dir + "/wide.html", dir + "/wide.png", "--check"], env: env)
        #expect(wide.status == 1)
        #expect(wide.output.contains("wider than 1280 px"), "\(wide.output)")
    }
}
