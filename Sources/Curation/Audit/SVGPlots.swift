import Foundation
import PairDxCore

/// Line charts and heatmaps in the style of ``SVGChart``'s bars (same fonts classes, escaping and `mark` class
/// on every drawn data mark): the validation page's learning curves and confusion matrices.
extension SVGChart {
    /// The style rules of the charts' text (title, axes, values, "no data"), for the page that holds them.
    public static let css =
        ".chart .ct{font-size:14px;font-weight:bold;fill:#222}.chart .ax{font-size:11px;fill:#444}.chart .empty{font-size:13px;fill:#999}.chart .val{font-size:10px;fill:#333}"

    /// One line of a line chart: points in data units, drawn as a polyline with a dot per point when
    /// `dots` (few points, e.g. one per epoch).
    public struct Line: Sendable {
        public var name: String
        public var color: String
        public var points: [(x: Double, y: Double)]
        public var dots: Bool
        public init(name: String, color: String, points: [(x: Double, y: Double)], dots: Bool) {
            self.name = name; self.color = color; self.points = points; self.dots = dots
        }
    }

    /// Lines over a shared x axis (`xMin`…`xMax`, integer ticks), with a left axis for `left` (values) and a right axis for `right`
    /// (fractions, drawn as percentages). `marker` draws a dashed vertical line at an x with its label (the
    /// kept epoch). The legend names each line with its axis title (none when the title is empty). O(points).
    public static func lines(
        title: String, xTitle: String, xMin: Double = 1, xMax: Double, left: [Line], leftTitle: String, right: [Line],
        rightTitle: String, marker: (x: Double, label: String)? = nil, width: Int = 460, height: Int = 260
    ) -> String {
        let l = 52.0, r = right.isEmpty ? 14.0 : 52.0, top = 34.0, bottom = 62.0
        let w = Double(width), h = Double(height), plotW = w - l - r, plotH = h - top - bottom
        let leftMax = niceScale((left.flatMap { $0.points.map(\.y) }.max() ?? 0) * 1.05)
        let rightAxisMax = 1.0, rightStep = 0.25
        let xm = max(xMax, xMin)
        func px(_ x: Double) -> Double { l + (xm <= xMin ? plotW / 2 : (x - xMin) / (xm - xMin) * plotW) }
        func pyL(_ y: Double) -> Double { top + plotH - y / leftMax.max * plotH }
        func pyR(_ y: Double) -> Double { top + plotH - y / rightAxisMax * plotH }
        var s =
            "<svg class=\"chart\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" role=\"img\">"
        s += "<title>\(HTMLEscape.text(title))</title>"
        s += "<rect x=\"0\" y=\"0\" width=\"\(width)\" height=\"\(height)\" fill=\"#ffffff\"/>"
        s += "<text x=\"\(num(l))\" y=\"18\" class=\"ct\">\(HTMLEscape.text(title))</text>"
        var v = 0.0
        while v <= leftMax.max + leftMax.step / 2 {
            let y = pyL(v)
            s += "<line x1=\"\(num(l))\" y1=\"\(num(y))\" x2=\"\(num(w - r))\" y2=\"\(num(y))\" stroke=\"#e3e3e3\"/>"
            s +=
                "<text x=\"\(num(l - 6))\" y=\"\(num(y + 4))\" text-anchor=\"end\" class=\"ax\">\(label(v, percent: false))</text>"
            v += leftMax.step
        }
        if !right.isEmpty {
            var p = 0.0
            while p <= rightAxisMax + rightStep / 2 {
                s +=
                    "<text x=\"\(num(w - r + 6))\" y=\"\(num(pyR(p) + 4))\" class=\"ax\">\(label(p, percent: true))</text>"
                p += rightStep
            }
        }
        // x ticks: at most ~10 labels.
        let step = max(1, Int(((xm - xMin) / 10).rounded(.up)))
        for t in stride(from: Int(xMin.rounded(.up)), through: Int(xm), by: step) {
            s +=
                "<text x=\"\(num(px(Double(t))))\" y=\"\(num(top + plotH + 14))\" text-anchor=\"middle\" class=\"ax\">\(t)</text>"
        }
        s +=
            "<text x=\"\(num(l + plotW / 2))\" y=\"\(num(top + plotH + 30))\" text-anchor=\"middle\" class=\"ax\">\(HTMLEscape.text(xTitle))</text>"
        if let m = marker {
            let x = px(m.x)
            s +=
                "<line class=\"mark\" x1=\"\(num(x))\" y1=\"\(num(top))\" x2=\"\(num(x))\" y2=\"\(num(top + plotH))\" stroke=\"#222\" stroke-dasharray=\"4 3\"/>"
            // The label sits right of the line, or left of it near the right edge.
            let anchorEnd = x > l + plotW * 0.7
            s +=
                "<text x=\"\(num(anchorEnd ? x - 4 : x + 4))\" y=\"\(num(top + 10))\"\(anchorEnd ? " text-anchor=\"end\"" : "") class=\"ax\">\(HTMLEscape.text(m.label))</text>"
        }
        func draw(_ line: Line, _ py: (Double) -> Double) {
            guard !line.points.isEmpty else { return }
            let pts = line.points.map { "\(num(px($0.x))),\(num(py($0.y)))" }.joined(separator: " ")
            s +=
                "<polyline class=\"mark\" points=\"\(pts)\" fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"2\"><title>\(HTMLEscape.text(line.name))</title></polyline>"
            if line.dots || line.points.count == 1 {
                for p in line.points {
                    s +=
                        "<circle class=\"mark\" cx=\"\(num(px(p.x)))\" cy=\"\(num(py(p.y)))\" r=\"3.5\" fill=\"\(line.color)\"/>"
                }
            }
        }
        for line in left { draw(line, pyL) }
        for line in right { draw(line, pyR) }
        s +=
            "<line x1=\"\(num(l))\" y1=\"\(num(top + plotH))\" x2=\"\(num(w - r))\" y2=\"\(num(top + plotH))\" stroke=\"#888\"/>"
        if (left + right).allSatisfy(\.points.isEmpty) {
            s +=
                "<text x=\"\(num(l + plotW / 2))\" y=\"\(num(top + plotH / 2))\" text-anchor=\"middle\" class=\"empty\">no data</text>"
        }
        // legend: left-axis lines, then right-axis lines, with the axis they read on
        var lx = 8.0
        for (line, axis) in left.map({ ($0, leftTitle) }) + right.map({ ($0, rightTitle) }) {
            let text = axis.isEmpty ? line.name : "\(line.name) (\(axis))"
            s += "<rect x=\"\(num(lx))\" y=\"\(num(h - 16))\" width=\"10\" height=\"10\" fill=\"\(line.color)\"/>"
            s += "<text x=\"\(num(lx + 14))\" y=\"\(num(h - 7))\" class=\"ax\">\(HTMLEscape.text(text))</text>"
            lx += 24 + Double(text.count) * 6.2
        }
        return s + "</svg>"
    }

    /// A confusion matrix as a heatmap: `counts[row][column]`, each cell shaded by its share of its row and
    /// labelled with its count; rows are true classes, columns predictions. O(rows × columns).
    public static func heatmap(
        title: String, rows: [String], columns: [String], counts: [[Int]],
        rowTitle: String = "true", columnTitle: String = "predicted", cell: Int = 42
    ) -> String {
        let labelW = 8.0 + 6.5 * Double(max(rows.map(\.count).max() ?? 0, 4)) + 16, top = 52.0, c = Double(cell)
        let width = Int(labelW + c * Double(columns.count) + 12), height = Int(top + c * Double(rows.count) + 30)
        var s =
            "<svg class=\"chart\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" role=\"img\">"
        s += "<title>\(HTMLEscape.text(title))</title>"
        s += "<rect x=\"0\" y=\"0\" width=\"\(width)\" height=\"\(height)\" fill=\"#ffffff\"/>"
        s += "<text x=\"8\" y=\"18\" class=\"ct\">\(HTMLEscape.text(title))</text>"
        s +=
            "<text x=\"\(num(labelW + c * Double(columns.count) / 2))\" y=\"34\" text-anchor=\"middle\" class=\"ax\">\(HTMLEscape.text(columnTitle)) →</text>"
        for (j, name) in columns.enumerated() {
            s +=
                "<text x=\"\(num(labelW + (Double(j) + 0.5) * c))\" y=\"\(num(top - 4))\" text-anchor=\"middle\" class=\"ax\">\(HTMLEscape.text(short(name, c)))</text>"
        }
        for (i, name) in rows.enumerated() {
            let y = top + Double(i) * c
            s +=
                "<text x=\"\(num(labelW - 6))\" y=\"\(num(y + c / 2 + 4))\" text-anchor=\"end\" class=\"ax\">\(HTMLEscape.text(name))</text>"
            let row = i < counts.count ? counts[i] : []
            let total = row.reduce(0, +)
            for j in columns.indices {
                let n = j < row.count ? row[j] : 0
                let share = total == 0 ? 0 : Double(n) / Double(total)
                let x = labelW + Double(j) * c
                // white → blue on the diagonal, white → red elsewhere
                let (r, g, b) = i == j ? (59, 111, 182) : (196, 69, 60)
                let mix = { (v: Int) in Int((255 - Double(255 - v) * share).rounded()) }
                let fill = String(format: "#%02x%02x%02x", mix(r), mix(g), mix(b))
                s +=
                    "<rect class=\"mark\" x=\"\(num(x + 1))\" y=\"\(num(y + 1))\" width=\"\(num(c - 2))\" height=\"\(num(c - 2))\" fill=\"\(fill)\">"
                s +=
                    "<title>\(HTMLEscape.text("\(rowTitle) \(name) · \(columnTitle) \(columns[j]): \(n)"))</title></rect>"
                s +=
                    "<text x=\"\(num(x + c / 2))\" y=\"\(num(y + c / 2 + 4))\" text-anchor=\"middle\" class=\"val\" style=\"fill:\(share > 0.55 ? "#ffffff" : "#222222")\">\(n)</text>"
            }
        }
        s +=
            "<text x=\"8\" y=\"\(num(top + c * Double(rows.count) + 20))\" class=\"ax\">rows: \(HTMLEscape.text(rowTitle)) class; shade: share of the row</text>"
        return s + "</svg>"
    }
}
