import Curation
import Foundation
import PairDxCore
import Training

/// Writes `validation.json` (canonical JSON), `validation.md` (tables) and `validation.html` (self-contained, no
/// scripts: tables and inline SVG charts: per model the learning curves, the confusion matrix as a heatmap and
/// per-class F1 bars). The page fits a 1280-pixel-wide window without horizontal scrolling.
public enum ReportWriter {
    public static func write(_ r: ValidationReport, to dir: String) throws {
        try FileSystem.makeDirectory(dir)
        try AtomicFile.write(try CanonicalJSON.encode(r, pretty: true), to: dir + "/validation.json")
        try AtomicFile.write(markdown(r), to: dir + "/validation.md")
        try AtomicFile.write(html(r), to: dir + "/validation.html")
    }

    static func pct(_ x: Double) -> String { String(format: "%.2f%%", 100 * x) }

    static func modelRows(_ r: ValidationReport) -> [[String]] {
        r.models.map { m in
            [
                m.model.rawValue, pct(m.metrics.accuracy), String(format: "%.4f", m.metrics.macroF1),
                Trainer.duration(m.trainSeconds),
                String(format: "%.2f ms", 1000 * m.testSecondsPerImage), "\(m.parameters)", m.embeddings ?? "–",
                m.oovShare.map(pct) ?? "–"
            ]
        }
    }
    static let modelHeader = [
        "model", "test accuracy", "macro-F1", "training time", "test time / image", "parameters", "embeddings",
        "test OOV"
    ]
    static let rowHeader = ["published figure", "quantity", "published", "reproduced", "verdict", "note"]

    /// Why a reproduced accuracy is only as good as the labels it is scored against.
    static let labelNote =
        "Accuracy is scored against the recipe's caption-rule labels: a wrongly labelled test item counts against a model that is right, so published-vs-reproduced accuracy depends on the recipe's label precision (measured on a hand-labelled gold set by `pairdx label-eval`, stated in the audit and the datasheet)."

    public static func markdown(_ r: ValidationReport) -> String {
        func table(_ head: [String], _ rows: [[String]]) -> String {
            let esc = { (s: String) in s.replacingOccurrences(of: "|", with: "\\|") }
            return "| " + head.joined(separator: " | ") + " |\n|" + head.map { _ in "---" }.joined(separator: "|")
                + "|\n"
                + rows.map { "| " + $0.map(esc).joined(separator: " | ") + " |" }.joined(separator: "\n") + "\n"
        }
        var s = "# Validation: split `\(r.split)` (recipe `\(r.recipe)`)\n\n"
        s +=
            "Published figures: DOI 10.3390/s25247596. Comparable with the paper: **\(r.comparable ? "yes" : "no")** — \(r.comparabilityNote).\n"
        s +=
            "Our timings: \(r.hardware), \(r.threads) threads. Tolerance for “reproduced”: ±\(r.tolerancePoints) points.\n\n"
        s += labelNote + "\n\n"
        s += "## Gate: \(r.gate.passed ? "PASSED" : "FAILED")\n\n\(r.gate.claim): \(r.gate.detail).\n\n"
        s +=
            "## Published vs reproduced\n\n"
            + table(
                rowHeader,
                r.rows.map {
                    [$0.subject, $0.quantity, $0.published, $0.reproduced ?? "–", $0.verdict.rawValue, $0.note]
                })
        s += "\n## Our models on the test split\n\n" + table(modelHeader, modelRows(r))
        for m in r.models {
            s +=
                "\n### \(m.model.rawValue)\n\n```\n" + m.metrics.table()
                + "```\n\nhyper-parameters: `\(m.hyperparameters)`\n"
        }
        return s
    }

    static func esc(_ s: String) -> String { HTMLEscape.text(s) }

    /// The learning curves of a trained model: mean training loss per step (or per epoch when the steps are not
    /// recorded) on the left axis, validation accuracy per epoch on the right, the kept epoch marked. Nil for
    /// models without training (zero-shot).
    static func curves(_ m: ModelOutcome) -> String? {
        guard !m.epochs.isEmpty else { return nil }
        let epochs = Double(m.epochs.count)
        let loss: SVGChart.Line
        if let steps = m.stepLosses, !steps.isEmpty {
            // Step i of n ends at epoch (i + 1) / n × epochs; thinned to at most 400 points by averaging.
            let bucket = max(1, (steps.count + 399) / 400)
            var pts: [(x: Double, y: Double)] = []
            for start in stride(from: 0, to: steps.count, by: bucket) {
                let chunk = steps[start..<min(start + bucket, steps.count)]
                pts.append(
                    (
                        x: Double(start + chunk.count) / Double(steps.count) * epochs,
                        y: chunk.reduce(0, +) / Double(chunk.count)
                    ))
            }
            loss = SVGChart.Line(name: "train loss / step", color: "#3b6fb6", points: pts, dots: false)
        } else {
            loss = SVGChart.Line(
                name: "train loss / epoch", color: "#3b6fb6",
                points: m.epochs.map { (x: Double($0.epoch), y: $0.meanLoss) }, dots: true)
        }
        let epochLoss = SVGChart.Line(
            name: "train loss / epoch", color: "#1f3f73",
            points: m.epochs.map { (x: Double($0.epoch), y: $0.meanLoss) }, dots: true)
        let acc = SVGChart.Line(
            name: "val accuracy", color: "#e08a2c",
            points: m.epochs.compactMap { e in e.valAccuracy.map { (x: Double(e.epoch), y: $0) } }, dots: true)
        let marker = m.keptEpoch.map { (x: Double($0), label: "kept: epoch \($0)") }
        let perStep = m.stepLosses?.isEmpty == false
        return SVGChart.lines(
            title: "\(m.model.rawValue): learning curves", xTitle: "epoch", xMin: perStep ? 0 : 1, xMax: epochs,
            left: perStep ? [loss, epochLoss] : [loss], leftTitle: "",
            right: acc.points.isEmpty ? [] : [acc], rightTitle: "right axis", marker: marker)
    }

    static func heatmap(_ m: ModelOutcome) -> String {
        SVGChart.heatmap(
            title: "\(m.model.rawValue): confusion on test (\(m.metrics.count) items)", rows: m.metrics.classes,
            columns: m.metrics.classes, counts: m.metrics.confusion, cell: 38)
    }

    static func f1Bars(_ m: ModelOutcome) -> String {
        SVGChart.groupedBars(
            title: "\(m.model.rawValue): per-class F1 on test", categories: m.metrics.perClass.map(\.name),
            series: [SVGChart.Series(name: "F1", color: "#3f9e5a", values: m.metrics.perClass.map(\.f1))],
            percent: true, width: 300, height: 250)
    }

    static func perClassRows(_ m: Metrics) -> [[String]] {
        m.perClass.map {
            [
                $0.name, String(format: "%.4f", $0.precision), String(format: "%.4f", $0.recall),
                String(format: "%.4f", $0.f1), "\($0.support)"
            ]
        }
    }

    public static func html(_ r: ValidationReport) -> String {
        func table(_ head: [String], _ rows: [[String]], verdictColumn: Int? = nil) -> String {
            var t =
                "<div class=\"scroll\"><table><thead><tr>" + head.map { "<th>\(esc($0))</th>" }.joined()
                + "</tr></thead><tbody>"
            for row in rows {
                t +=
                    "<tr>"
                    + row.enumerated().map { i, c in
                        i == verdictColumn
                            ? "<td class=\"v-\(c.replacingOccurrences(of: " ", with: "-"))\">\(esc(c))</td>"
                            : "<td>\(esc(c))</td>"
                    }.joined() + "</tr>"
            }
            return t + "</tbody></table></div>"
        }
        var s = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>pairdx validation: \(esc(r.split))</title>
            <style>html{background:#fff}body{font:14px/1.45 "DejaVu Sans",system-ui,sans-serif;margin:0 auto;padding:16px 24px;max-width:1200px;box-sizing:border-box}
            table{border-collapse:collapse;margin:1em 0}.scroll{max-width:100%;overflow-x:auto}
            td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top;overflow-wrap:break-word}th{background:#f3f3f3}
            code{overflow-wrap:anywhere;word-break:break-word}
            .v-reproduced{background:#d9f2d9}.v-below,.v-above{background:#f9dcdc}.v-not-comparable{background:#fff3cd}.v-not-run{background:#eee;color:#555}
            .pass{color:#186a18}.fail{color:#a11}.charts{display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start;margin:8px 0}
            .charts svg{display:block;max-width:100%;height:auto}\(SVGChart.css)
            details{margin:6px 0}summary{cursor:pointer;color:#3b6fb6}</style></head><body>
            <h1>Validation: split <code>\(esc(r.split))</code> (recipe <code>\(esc(r.recipe))</code>)</h1>
            <p>Published figures: DOI 10.3390/s25247596. Comparable with the paper: <b>\(r.comparable ? "yes" : "no")</b> — \(esc(r.comparabilityNote)).<br>
            Our timings: \(esc(r.hardware)), \(r.threads) threads. Tolerance for “reproduced”: ±\(r.tolerancePoints) points.</p>
            <p>\(esc(labelNote).replacingOccurrences(of: "`pairdx label-eval`", with: "<code>pairdx label-eval</code>"))</p>
            <h2 class="\(r.gate.passed ? "pass" : "fail")">Gate: \(r.gate.passed ? "passed" : "FAILED")</h2><p>\(esc(r.gate.claim)): \(esc(r.gate.detail)).</p>
            <h2>Published vs reproduced</h2>
            """
        s += table(
            rowHeader,
            r.rows.map { [$0.subject, $0.quantity, $0.published, $0.reproduced ?? "–", $0.verdict.rawValue, $0.note] },
            verdictColumn: 4)
        s += "<h2>Our models on the test split</h2>" + table(modelHeader, modelRows(r))
        for m in r.models {
            s += "<h3>\(esc(m.model.rawValue))</h3><div class=\"charts\">"
            if let c = curves(m) { s += c }
            s += heatmap(m) + f1Bars(m) + "</div>"
            s +=
                "<details><summary>per-class precision, recall, F1</summary>"
                + table(["class", "precision", "recall", "F1", "support"], perClassRows(m.metrics)) + "</details>"
            s += "<p>hyper-parameters: <code>\(esc(m.hyperparameters))</code></p>"
        }
        return s + "</body></html>\n"
    }

    /// The published-vs-reproduced table as plain text for the terminal.
    public static func summary(_ r: ValidationReport) -> String {
        var s = "\(r.comparable ? "" : "not comparable with the paper: \(r.comparabilityNote)\n")"
        for row in r.rows {
            s +=
                "\(row.subject) — \(row.quantity): published \(row.published), reproduced \(row.reproduced ?? "–") → "
                + (row.verdict != .notRun
                    ? row.verdict.rawValue : row.note.hasPrefix("not run") ? row.note : "not run (\(row.note))") + "\n"
        }
        for m in r.models {
            s += String(
                format: "%@: test accuracy %.2f%%, macro-F1 %.4f, %@, %.2f ms/image\n", m.model.rawValue,
                100 * m.metrics.accuracy, m.metrics.macroF1,
                m.model == .clipZeroShot || m.model == .biomedclip
                    ? "no training" : "trained in " + Trainer.duration(m.trainSeconds), 1000 * m.testSecondsPerImage)
        }
        return s + "gate (\(r.gate.claim)): \(r.gate.passed ? "passed" : "FAILED") — \(r.gate.detail)"
    }
}
