import Foundation
import PairDxCore

/// Writes `validation.json` (canonical JSON), `validation.md` and `validation.html` (self-contained, no scripts).
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
            [m.model.rawValue, pct(m.metrics.accuracy), String(format: "%.4f", m.metrics.macroF1), Trainer.duration(m.trainSeconds),
             String(format: "%.2f ms", 1000 * m.testSecondsPerImage), "\(m.parameters)", m.embeddings ?? "–",
             m.oovShare.map(pct) ?? "–"]
        }
    }
    static let modelHeader = ["model", "test accuracy", "macro-F1", "training time", "test time / image", "parameters", "embeddings", "test OOV"]
    static let rowHeader = ["published figure", "quantity", "published", "reproduced", "verdict", "note"]

    /// Why a reproduced accuracy is only as good as the labels it is scored against.
    static let labelNote = "Accuracy is scored against the recipe's caption-rule labels: a wrongly labelled test item counts against a model that is right, so published-vs-reproduced accuracy depends on the recipe's label precision (measured on a hand-labelled gold set by `pairdx label-eval`, stated in the audit and the datasheet)."

    public static func markdown(_ r: ValidationReport) -> String {
        func table(_ head: [String], _ rows: [[String]]) -> String {
            let esc = { (s: String) in s.replacingOccurrences(of: "|", with: "\\|") }
            return "| " + head.joined(separator: " | ") + " |\n|" + head.map { _ in "---" }.joined(separator: "|") + "|\n"
                + rows.map { "| " + $0.map(esc).joined(separator: " | ") + " |" }.joined(separator: "\n") + "\n"
        }
        var s = "# Validation: split `\(r.split)` (recipe `\(r.recipe)`)\n\n"
        s += "Published figures: DOI 10.3390/s25247596. Comparable with the paper: **\(r.comparable ? "yes" : "no")** — \(r.comparabilityNote).\n"
        s += "Our timings: \(r.hardware), \(r.threads) threads. Tolerance for “reproduced”: ±\(r.tolerancePoints) points.\n\n"
        s += labelNote + "\n\n"
        s += "## Gate: \(r.gate.passed ? "PASSED" : "FAILED")\n\n\(r.gate.claim): \(r.gate.detail).\n\n"
        s += "## Published vs reproduced\n\n" + table(rowHeader, r.rows.map { [$0.subject, $0.quantity, $0.published, $0.reproduced ?? "–", $0.verdict.rawValue, $0.note] })
        s += "\n## Our models on the test split\n\n" + table(modelHeader, modelRows(r))
        for m in r.models {
            s += "\n### \(m.model.rawValue)\n\n```\n" + m.metrics.table() + "```\n\nhyper-parameters: `\(m.hyperparameters)`\n"
        }
        return s
    }

    static func esc(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }

    public static func html(_ r: ValidationReport) -> String {
        func table(_ head: [String], _ rows: [[String]], verdictColumn: Int? = nil) -> String {
            var t = "<table><thead><tr>" + head.map { "<th>\(esc($0))</th>" }.joined() + "</tr></thead><tbody>"
            for row in rows {
                t += "<tr>" + row.enumerated().map { i, c in
                    i == verdictColumn ? "<td class=\"v-\(c.replacingOccurrences(of: " ", with: "-"))\">\(esc(c))</td>" : "<td>\(esc(c))</td>"
                }.joined() + "</tr>"
            }
            return t + "</tbody></table>"
        }
        var s = """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><title>pairdx validation: \(esc(r.split))</title>
        <style>body{font:14px/1.45 system-ui,sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;margin:1em 0}
        td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f3f3f3}
        .v-reproduced{background:#d9f2d9}.v-below,.v-above{background:#f9dcdc}.v-not-comparable{background:#fff3cd}.v-not-run{background:#eee;color:#555}
        .pass{color:#186a18}.fail{color:#a11}pre{background:#f7f7f7;padding:8px}</style></head><body>
        <h1>Validation: split <code>\(esc(r.split))</code> (recipe <code>\(esc(r.recipe))</code>)</h1>
        <p>Published figures: DOI 10.3390/s25247596. Comparable with the paper: <b>\(r.comparable ? "yes" : "no")</b> — \(esc(r.comparabilityNote)).<br>
        Our timings: \(esc(r.hardware)), \(r.threads) threads. Tolerance for “reproduced”: ±\(r.tolerancePoints) points.</p>
        <p>\(esc(labelNote).replacingOccurrences(of: "`pairdx label-eval`", with: "<code>pairdx label-eval</code>"))</p>
        <h2 class="\(r.gate.passed ? "pass" : "fail")">Gate: \(r.gate.passed ? "passed" : "FAILED")</h2><p>\(esc(r.gate.claim)): \(esc(r.gate.detail)).</p>
        <h2>Published vs reproduced</h2>
        """
        s += table(rowHeader, r.rows.map { [$0.subject, $0.quantity, $0.published, $0.reproduced ?? "–", $0.verdict.rawValue, $0.note] }, verdictColumn: 4)
        s += "<h2>Our models on the test split</h2>" + table(modelHeader, modelRows(r))
        for m in r.models {
            s += "<h3>\(esc(m.model.rawValue))</h3><pre>\(esc(m.metrics.table()))</pre><p>hyper-parameters: <code>\(esc(m.hyperparameters))</code></p>"
        }
        return s + "</body></html>\n"
    }
}
