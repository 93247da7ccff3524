import Foundation
import PairDxCore

/// Renders `report.html`: one self-contained page (inline CSS and SVG, thumbnails as data URIs, no script,
/// no external request; a Content-Security-Policy forbids any). All text from the data is escaped and
/// captions are isolated for bidirectional text.
public enum HTMLRenderer {
    /// - Parameter thumbnails: data URIs by blob sha256 (`data:image/png;base64,…`).
    public static func render(_ r: AuditReport, thumbnails: [String: String] = [:]) -> String {
        var h = ""
        let e = HTMLEscape.text
        h += """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Audit — \(e(r.name))</title>
            <style>\(css)</style></head><body>

            """
        h += "<header><h1>Audit of split set <code>\(e(r.name))</code></h1>"
        h += "<p>Recipe <code>\(e(r.recipe.name))</code>"
        if let sha = r.recipe.sha256 { h += " (sha256 <code>\(e(String(sha.prefix(16))))…</code>)" }
        h +=
            ", seed \(r.recipe.seed), split mode <code>\(e(r.recipe.mode))</code>, balance policy <code>\(e(r.recipe.balancePolicy))</code>, "
        h += "\(r.balance.overall.count) items in \(r.classes.count) classes.</p>"
        let verdict = r.gates.isEmpty ? "no gates checked" : (r.passed ? "all gates passed" : "a gate FAILED")
        h += "<p class=\"verdict \(r.passed ? "ok" : "bad")\">\(e(verdict))</p></header>\n"

        h +=
            "<nav>"
            + [
                "findings", "balance", "funnel", "leakage", "duplicates", "captions", "images", "samples", "labels",
                "suspects", "licences", "provenance"
            ]
            .map { "<a href=\"#\($0)\">\($0)</a>" }.joined(separator: " · ") + "</nav>\n"

        // Findings and gates
        h += section("findings", "Findings")
        if r.findings.isEmpty {
            h += "<p>Nothing to flag.</p>"
        } else {
            h += "<ul class=\"findings\">" + r.findings.map { "<li>\(e($0))</li>" }.joined() + "</ul>"
        }
        if !r.gates.isEmpty {
            h += table(
                ["gate", "limit", "value", "result", "detail"],
                r.gates.map {
                    [$0.rule, fmt($0.limit), $0.value.map(fmt) ?? "unbounded", $0.passed ? "pass" : "FAIL", $0.detail]
                })
        }
        if let skipped = r.skippedChecks, !skipped.isEmpty {
            h += "<h3>Skipped checks</h3>" + table(["check", "why"], skipped.map { [$0.check, $0.reason] })
        }
        h += "</section>\n"

        h += balance(r)
        h += funnel(r)
        h += leakage(r)
        h += duplicates(r)
        h += captions(r)
        h += images(r)
        h += samples(r, thumbnails: thumbnails)
        h += labels(r)
        h += SuspectSection.html(r, thumbnails: thumbnails)
        h += licences(r)

        h += section("provenance", "Where the facts come from")
        h += table(["fact", "source"], r.recipe.provenance.sorted { $0.key < $1.key }.map { [$0.key, $0.value] })
        if !r.inputProblems.isEmpty {
            h += "<h3>Problems reading the inputs (\(r.inputProblems.count))</h3><ul class=\"problems\">"
            h += r.inputProblems.prefix(200).map { "<li><code>\(e($0))</code></li>" }.joined() + "</ul>"
        }
        h +=
            "</section>\n<footer>Schema <code>\(AuditReport.schemaID)</code>. The same figures are in report.json.</footer>\n</body></html>\n"
        return h
    }

    // MARK: sections

    static func balance(_ r: AuditReport) -> String {
        var h = section("balance", "Class balance")
        let splitsWithItems = r.balance.splits
        let series = splitsWithItems.map { s in
            SVGChart.Series(
                name: "\(s.split) (\(s.count))", color: SVGChart.splitColors[s.split] ?? "#777",
                values: s.classes.map { Double($0.count) })
        }
        h += chart(SVGChart.groupedBars(title: "Items per class per split", categories: r.classes, series: series))
        let pseries = splitsWithItems.map { s in
            SVGChart.Series(
                name: s.split, color: SVGChart.splitColors[s.split] ?? "#777", values: s.classes.map(\.proportion))
        }
        h += chart(
            SVGChart.groupedBars(
                title: "Share of each class within its split", categories: r.classes, series: pseries,
                percent: true, reference: r.balance.targetClassShare))
        var rows: [[String]] = []
        for (i, c) in r.classes.enumerated() {
            var row = [c]
            for s in r.balance.splits + [r.balance.overall] {
                let cell = s.classes[i]
                row.append(
                    s.count == 0
                        ? "—"
                        : "\(cell.count) (\(pct(cell.proportion))\(cell.deviation.map { ", \(signedPct($0))" } ?? ""))")
            }
            rows.append(row)
        }
        rows.append(
            ["total"]
                + (r.balance.splits + [r.balance.overall]).map { (s: AuditReport.SplitBalance) -> String in
                    guard let t = s.targetShare else { return "\(s.count)" }
                    return "\(s.count) (\(pct(s.share)) of all; target \(pct(t)))"
                })
        rows.append(
            ["imbalance (largest/smallest)"]
                + (r.balance.splits + [r.balance.overall]).map {
                    $0.count == 0
                        ? "empty split"
                        : ($0.imbalanceRatio.map(fmt) ?? "unbounded: empty \($0.emptyClasses.joined(separator: ", "))")
                })
        h +=
            "<p>Cells: count (share within the split, deviation from the target share\(r.balance.targetClassShare.map { " of \(pct($0))" } ?? "")).</p>"
        h += table(["class"] + r.balance.splits.map(\.split) + ["all"], rows)
        let chi = r.balance.chiSquare
        if let st = chi.statistic, let df = chi.degreesOfFreedom, let p = chi.pValue {
            h += "<p>Chi-square test of class-vs-split independence: χ² = \(fmt(st)), df = \(df), p = \(fmt(p)). "
            h +=
                p < 0.05
                ? "The class mix differs between splits.</p>"
                : "No evidence that the class mix differs between splits.</p>"
        } else {
            h += "<p>Chi-square test: \(HTMLEscape.text(chi.note ?? "not computed")).</p>"
        }
        return h + "</section>\n"
    }

    static func funnel(_ r: AuditReport) -> String {
        var h = section("funnel", "Funnel")
        h += chart(
            SVGChart.horizontalBars(
                title: "Items remaining at each stage",
                rows: r.funnel.stages.map { ($0.stage, $0.count.map(Double.init)) }))
        h += table(
            ["stage", "count", "lost", "why (top reasons)"],
            r.funnel.stages.map { s in
                [
                    s.stage, s.count.map(String.init) ?? "not given", s.lost.map(String.init) ?? "—",
                    s.reasons.prefix(8).map { "\($0.name): \($0.count)" }.joined(separator: "; ")
                        + (s.reasons.count > 8 ? "; …" : "")
                ]
            })
        if let p = r.funnel.plan {
            h +=
                "<h3>Plan against the scan</h3>\n"
                + table(["", "plan (95% interval)", "actual", "plan − actual"], PlanRows.rows(p))
        }
        return h + "</section>\n"
    }

    static func leakage(_ r: AuditReport) -> String {
        let l = r.leakage
        var h = section("leakage", "Leakage between splits")
        h += table(
            ["check", "count"],
            [
                ["near-duplicate pairs across splits (pHash ≤ \(l.radius) bits)", "\(l.nearDuplicatePairs)"],
                ["articles with figures in more than one split", "\(l.articlesAcrossSplits)"],
                ["groups spanning more than one split", "\(l.groupsAcrossSplits)"],
                ["identical files across splits", "\(l.exactDuplicatesAcrossSplits)"],
                ["item ids listed more than once", "\(l.repeatedIds)"],
                ["items without a pHash (not searched)", "\(l.itemsWithoutPHash)"]
            ])
        if !l.pairs.isEmpty {
            h +=
                "<h3>Closest pairs across splits</h3>"
                + table(
                    ["a", "split", "b", "split", "bits"],
                    l.pairs.map { [$0.a, $0.splitA, $0.b, $0.splitB, "\($0.distance)"] })
        }
        if !l.articles.isEmpty {
            h +=
                "<h3>Articles across splits</h3>"
                + table(["article", "splits"], l.articles.map { [$0.article, $0.splits.joined(separator: ", ")] })
        }
        return h + "</section>\n"
    }

    static func duplicates(_ r: AuditReport) -> String {
        var h = section("duplicates", "Duplicates")
        guard let d = r.duplicates else { return h + notGiven("clusters.jsonl") + "</section>\n" }
        h += chart(
            SVGChart.groupedBars(
                title: "Cluster sizes (figures per duplicate cluster)", categories: d.sizeHistogram.map(\.label),
                series: [.init(name: "clusters", color: "#8161b3", values: d.sizeHistogram.map { Double($0.count) })]))
        h += table(
            ["clusters", "singletons", "exact", "near", "across articles", "dropped duplicates", "largest"],
            [
                [
                    "\(d.clusters)", "\(d.singletons)", "\(d.exactClusters)", "\(d.nearClusters)",
                    "\(d.crossArticleClusters)", "\(d.dropped)", "\(d.largest)"
                ]
            ])
        return h + "</section>\n"
    }

    static func captions(_ r: AuditReport) -> String {
        var h = section("captions", "Captions")
        guard let c = r.captions else { return h + notGiven("figures.jsonl") + "</section>\n" }
        h += perClassHistogram("Caption length in words, per class", c.classes.map { ($0.class, $0.lengthHistogram) })
        h += table(
            ["class", "items", "mean words", "median words", "most distinctive terms"],
            c.classes.map {
                [
                    $0.class, "\($0.items)", fmt($0.meanWords), fmt($0.medianWords),
                    $0.distinctiveTerms.map { "\($0.term) (\($0.count))" }.joined(separator: ", ")
                ]
            })
        if c.missing > 0 { h += "<p>\(c.missing) split item(s) have no caption in figures.jsonl.</p>" }
        if let g = c.glove {
            h +=
                "<p>GloVe vocabulary (\(g.vocabulary) words) covers \(g.covered) of \(g.tokens) caption tokens (\(pct(g.share))).</p>"
            if !g.topMissing.isEmpty {
                h +=
                    "<p>Most frequent tokens it lacks: "
                    + g.topMissing.map { "<code>\(HTMLEscape.text($0.name))</code> (\($0.count))" }.joined(
                        separator: ", ") + "</p>"
            }
        }
        return h + "</section>\n"
    }

    static func images(_ r: AuditReport) -> String {
        var h = section("images", "Images")
        guard let im = r.images else { return h + notGiven("images.jsonl") + "</section>\n" }
        h += perClassHistogram(
            "Shorter image side in pixels, per class", im.classes.map { ($0.class, $0.shortSideHistogram) })
        h += table(
            ["class", "items", "mean width", "mean height", "formats"],
            im.classes.map {
                [
                    $0.class, "\($0.items)", fmt($0.meanWidth), fmt($0.meanHeight),
                    $0.formats.map { "\($0.name): \($0.count)" }.joined(separator: ", ")
                ]
            })
        if im.missing > 0 { h += "<p>\(im.missing) split item(s) have no record in images.jsonl.</p>" }
        return h + "</section>\n"
    }

    static func samples(_ r: AuditReport, thumbnails: [String: String]) -> String {
        var h = section("samples", "Sample figures per class")
        for s in r.samples {
            h += "<h3>\(HTMLEscape.text(s.class))</h3>"
            if s.items.isEmpty { h += "<p class=\"empty\">No items in this class.</p>"; continue }
            h += "<div class=\"grid\">"
            for it in s.items {
                h += thumbnail(
                    thumbnails[it.sha256], id: it.id,
                    caption: "<code>\(HTMLEscape.text(it.id))</code> · \(HTMLEscape.text(it.split))"
                        + captionLine(it.caption, 160))
            }
            h += "</div>"
        }
        return h + "</section>\n"
    }

    static func labels(_ r: AuditReport) -> String {
        var h = section("labels", "Label rules") + labelPrecision(r)
        guard let l = r.labels else { return h + notGiven("labels.jsonl") + "</section>\n" }
        h += "<p>\(l.labelled) labelled, \(l.ambiguous) ambiguous, \(l.unmatched) matched no rule.</p>"
        let used = l.rules.filter { $0.matches > 0 }.sorted { $0.matches > $1.matches }.prefix(20)
        if !used.isEmpty {
            h += chart(
                SVGChart.horizontalBars(
                    title: "Matches per rule (top 20)",
                    rows: used.map {
                        ("\($0.class): \($0.kind == "include" ? "" : "not ")\($0.term)", Double($0.matches))
                    }, color: "#3f9e5a", width: 720))
        }
        var order: [String] = []
        var byClass: [String: [AuditReport.RuleMatches]] = [:]
        for rule in l.rules {
            if byClass[rule.class] == nil { order.append(rule.class) }
            byClass[rule.class, default: []].append(rule)
        }
        h += table(
            ["class", "include terms (matches)", "exclude terms (matches)", "contexts that cancelled a match"],
            order.map { c in
                let rs = byClass[c] ?? []
                func list(_ kind: String) -> String {
                    rs.filter { $0.kind == kind }.map { "\($0.term) (\($0.matches))" }.joined(separator: ", ")
                }
                return [c == "*" ? "every class" : c, list("include"), list("exclude"), list("context")]
            })
        if !l.reasons.isEmpty {
            h +=
                "<h3>Why figures got no class</h3>"
                + table(["reason", "figures"], l.reasons.map { [$0.name, "\($0.count)"] })
        }
        return h + "</section>\n"
    }

    /// The recipe's measured label precision (gold set), or a plain statement that it was not measured.
    static func labelPrecision(_ r: AuditReport) -> String {
        guard let q = r.labelQuality else {
            return
                "<p>Label precision: not measured for this recipe (no <code>label-quality.json</code> beside it; <code>pairdx label-eval</code> measures it).</p>"
        }
        var h =
            "<h3>Label precision (gold set)</h3><p>Caption rules against \(q.items) hand-labelled real captions (<code>\(HTMLEscape.text(q.gold))</code>, guidelines \(HTMLEscape.text(q.guidelines.joined(separator: ", ")))); 95% Wilson intervals.</p>"
        func range(_ x: [Double]?) -> String { x.map { "\(pct($0[0]))–\(pct($0[1]))" } ?? "–" }
        h += table(
            ["class", "precision", "95% interval", "recall", "95% interval", "gold", "predicted"],
            q.perClass.map {
                [
                    $0.class, $0.precision.map(pct) ?? "not measured", range($0.precisionInterval),
                    $0.recall.map(pct) ?? "–", range($0.recallInterval), "\($0.gold)", "\($0.predicted)"
                ]
            })
        return h
    }

    static func licences(_ r: AuditReport) -> String {
        var h = section("licences", "Licences")
        guard let l = r.licences else { return h + notGiven("sources.csv or articles.jsonl") + "</section>\n" }
        h += chart(
            SVGChart.horizontalBars(
                title: "Split items per licence", rows: l.items.map { ($0.name, Double($0.count)) }, color: "#e08a2c"))
        let arts = Dictionary(uniqueKeysWithValues: l.articles.map { ($0.name, $0.count) })
        h += table(["licence", "items", "articles"], l.items.map { [$0.name, "\($0.count)", "\(arts[$0.name] ?? 0)"] })
        return h + "</section>\n"
    }

    // MARK: helpers

    static func section(_ id: String, _ title: String) -> String {
        "<section id=\"\(id)\"><h2>\(HTMLEscape.text(title))</h2>"
    }
    static func chart(_ svg: String) -> String { "<div class=\"chart-box\">\(svg)</div>" }

    /// Grouped bars of one histogram per class (the bins of the first class name the categories).
    static func perClassHistogram(_ title: String, _ classes: [(name: String, bins: [AuditReport.Bin])]) -> String {
        let series = classes.enumerated().map { (i, k) in
            SVGChart.Series(
                name: k.name, color: SVGChart.palette[i % SVGChart.palette.count],
                values: k.bins.map { Double($0.count) })
        }
        let categories = classes.first?.bins.map(\.label) ?? []
        return chart(SVGChart.groupedBars(title: title, categories: categories, series: series))
    }

    /// One thumbnail of a grid: the image (or "no image") and `caption`, HTML already escaped.
    static func thumbnail(_ uri: String?, id: String, caption: String) -> String {
        let image =
            uri.map { "<img src=\"\(HTMLEscape.text($0))\" alt=\"\(HTMLEscape.text(id))\">" }
            ?? "<div class=\"noimg\">no image</div>"
        return "<figure class=\"thumb\">\(image)<figcaption>\(caption)</figcaption></figure>"
    }

    /// A thumbnail's caption line (the first `limit` characters, isolated for bidirectional text), or nothing.
    static func captionLine(_ caption: String?, _ limit: Int) -> String {
        caption.map { "<br><bdi dir=\"auto\">\(HTMLEscape.text(ContentSections.cut($0, limit)))</bdi>" } ?? ""
    }
    static func notGiven(_ file: String) -> String {
        "<p class=\"empty\">Not available: needs \(HTMLEscape.text(file)) (run with <code>--data WORKDIR</code>).</p>"
    }

    static func table(_ head: [String], _ rows: [[String]]) -> String {
        var t = "<table><thead><tr>" + head.map { "<th>\(HTMLEscape.text($0))</th>" }.joined() + "</tr></thead><tbody>"
        for r in rows {
            t += "<tr>" + r.map { "<td><bdi dir=\"auto\">\(HTMLEscape.text($0))</bdi></td>" }.joined() + "</tr>"
        }
        return t + "</tbody></table>"
    }

    static func fmt(_ x: Double) -> String {
        if x == x.rounded() && abs(x) < 1e15 { return "\(Int(x))" }
        return String(format: abs(x) < 1e-3 ? "%.3g" : "%.4g", x)
    }
    static func pct(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }
    static func signedPct(_ x: Double) -> String { String(format: "%+.1f pt", x * 100) }

    static let css = """
        body{font:14px/1.45 "DejaVu Sans",Helvetica,Arial,sans-serif;color:#1d1d1d;margin:0 auto;max-width:1000px;padding:16px 24px;background:#fff}
        h1{font-size:22px;margin:4px 0}h2{font-size:18px;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:28px}h3{font-size:15px}
        code{font-family:"DejaVu Sans Mono",monospace;font-size:12px;background:#f4f4f4;padding:0 3px}
        nav{margin:8px 0;font-size:13px}nav a{color:#3b6fb6}
        .verdict{font-weight:bold;padding:4px 8px;display:inline-block}.verdict.ok{background:#e4f3e7;color:#1f6b34}.verdict.bad{background:#fbe3e1;color:#9b231a}
        table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}th{background:#f4f4f4}
        .chart-box{margin:10px 0}\(SVGChart.css)
        .empty{color:#888;font-style:italic}
        .grid{display:flex;flex-wrap:wrap;gap:10px}.thumb{width:150px;margin:0;font-size:11px;overflow-wrap:anywhere}
        .thumb img{display:block;max-width:150px;max-height:120px;border:1px solid #ccc;background:#fafafa}
        .noimg{width:120px;height:90px;border:1px dashed #bbb;color:#999;display:flex;align-items:center;justify-content:center}
        ul.findings li{margin:2px 0}footer{margin-top:32px;color:#777;font-size:12px}
        """
}
