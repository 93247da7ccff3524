import Foundation

/// Renders `report.md`: the headline tables for a pull request (balance, leakage, funnel, gates, findings).
public enum MarkdownRenderer {
    /// Text safe inside a Markdown table cell: `& < >` as entities (no raw HTML reaches the page), pipes and
    /// backticks escaped, newlines flattened, control characters dropped.
    static func cell(_ s: String) -> String {
        var t = ""
        for u in s.unicodeScalars {
            switch u {
            case "&": t += "&amp;"
            case "<": t += "&lt;"
            case ">": t += "&gt;"
            default: if u.value >= 0x20 || u == "\n" { t.unicodeScalars.append(u) }
            }
        }
        return t.replacingOccurrences(of: "|", with: "\\|")
            .replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "`", with: "\\`")
    }

    static func table(_ head: [String], _ rows: [[String]]) -> String {
        var t = "| " + head.map(cell).joined(separator: " | ") + " |\n"
        t += "|" + head.map { _ in "---|" }.joined() + "\n"
        for r in rows { t += "| " + r.map(cell).joined(separator: " | ") + " |\n" }
        return t
    }

    public static func render(_ r: AuditReport) -> String {
        let f = HTMLRenderer.fmt, pct = HTMLRenderer.pct
        var m = "# Audit of `\(cell(r.name))`\n\n"
        m += "Recipe `\(cell(r.recipe.name))`, seed \(r.recipe.seed), split mode `\(cell(r.recipe.mode))`, "
        m += "\(r.balance.overall.count) items in \(r.classes.count) classes. "
        m +=
            r.gates.isEmpty
            ? "No gates checked.\n\n" : (r.passed ? "**All gates passed.**\n\n" : "**A gate failed.**\n\n")
        if !r.findings.isEmpty { m += "## Findings\n\n" + r.findings.map { "- \(cell($0))\n" }.joined() + "\n" }
        if !r.gates.isEmpty {
            m +=
                "## Gates\n\n"
                + table(
                    ["gate", "limit", "value", "result"],
                    r.gates.map {
                        [$0.rule, f($0.limit), $0.value.map(f) ?? "unbounded", $0.passed ? "pass" : "**FAIL**"]
                    }) + "\n"
        }
        m += "## Balance\n\n"
        var rows: [[String]] = []
        for (i, c) in r.classes.enumerated() {
            rows.append(
                [c]
                    + (r.balance.splits + [r.balance.overall]).map { s in
                        s.count == 0 ? "—" : "\(s.classes[i].count) (\(pct(s.classes[i].proportion)))"
                    })
        }
        rows.append(["**total**"] + (r.balance.splits + [r.balance.overall]).map { "\($0.count)" })
        rows.append(
            ["imbalance"]
                + (r.balance.splits + [r.balance.overall]).map {
                    $0.count == 0 ? "empty" : ($0.imbalanceRatio.map(f) ?? "unbounded")
                })
        m += table(["class"] + r.balance.splits.map(\.split) + ["all"], rows) + "\n"
        if let p = r.balance.chiSquare.pValue, let s = r.balance.chiSquare.statistic,
            let df = r.balance.chiSquare.degreesOfFreedom
        {
            m += "Chi-square (class vs split): χ² = \(f(s)), df = \(df), p = \(f(p)).\n\n"
        } else {
            m += "Chi-square: \(r.balance.chiSquare.note ?? "not computed").\n\n"
        }
        let l = r.leakage
        m +=
            "## Leakage\n\n"
            + table(
                ["check", "count"],
                [
                    ["near-duplicate pairs across splits (≤ \(l.radius) bits)", "\(l.nearDuplicatePairs)"],
                    ["articles across splits", "\(l.articlesAcrossSplits)"],
                    ["groups across splits", "\(l.groupsAcrossSplits)"],
                    ["identical files across splits", "\(l.exactDuplicatesAcrossSplits)"]
                ]) + "\n"
        m +=
            "## Funnel\n\n"
            + table(
                ["stage", "count", "lost", "top reasons"],
                r.funnel.stages.map { s in
                    [
                        s.stage, s.count.map(String.init) ?? "not given", s.lost.map(String.init) ?? "—",
                        s.reasons.prefix(3).map { "\($0.name): \($0.count)" }.joined(separator: "; ")
                    ]
                }) + "\n"
        if let p = r.funnel.plan {
            m +=
                "## Plan against the scan\n\n"
                + table(["", "plan (95% interval)", "actual", "plan − actual"], PlanRows.rows(p)) + "\n"
        }
        if let q = r.labelQuality {
            m +=
                "## Label precision\n\nMeasured on the hand-labelled gold set `\(cell(q.gold))` (\(q.items) real captions), 95% Wilson intervals: \(cell(q.summary)).\n\n"
        }
        m += SuspectSection.markdown(r)
        if let skipped = r.skippedChecks, !skipped.isEmpty {
            m += "## Skipped checks\n\n" + table(["check", "why"], skipped.map { [$0.check, $0.reason] }) + "\n"
        }
        if let lic = r.licences {
            m += "## Licences\n\n" + table(["licence", "items"], lic.items.map { [$0.name, "\($0.count)"] }) + "\n"
        }
        return m
    }
}
