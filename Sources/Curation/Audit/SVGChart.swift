import Foundation
import PairDxCore

/// Inline SVG charts for the HTML report: no script, no external resources. Every drawn data mark
/// carries `class="mark"` (the render check hides them to measure what they drew).
public enum SVGChart {
    public struct Series: Sendable {
        public var name: String
        public var color: String
        public var values: [Double]
        public init(name: String, color: String, values: [Double]) {
            self.name = name; self.color = color; self.values = values
        }
    }

    static let splitColors = ["train": "#3b6fb6", "val": "#e08a2c", "test": "#3f9e5a"]
    /// Class colours: distinct from the split colours so the two never read as the same thing.
    public static let palette = [
        "#7b4fa6", "#c4453c", "#2a9fb0", "#8c5a48", "#d672b9", "#b5a52e", "#5b5b5b", "#1f5f8b", "#e36f5a", "#4f8f3a"
    ]

    static func num(_ x: Double) -> String { String(format: "%.1f", x) }

    /// A readable axis maximum and tick step for data up to `maxValue`.
    /// `integer`: counts, so the step is a whole number (no 2.5 ticks).
    static func niceScale(_ maxValue: Double, ticks: Int = 5, integer: Bool = false) -> (max: Double, step: Double) {
        guard maxValue > 0 else { return (integer ? 4 : 1, integer ? 1 : 0.25) }
        let raw = maxValue / Double(ticks)
        let mag = pow(10, floor(log10(raw)))
        let f = raw / mag
        var step = (f <= 1 ? 1 : f <= 2 ? 2 : (f <= 2.5 && !(integer && mag < 10)) ? 2.5 : f <= 5 ? 5 : 10) * mag
        if integer { step = max(1, step.rounded()) }
        return (ceil(maxValue / step) * step, step)
    }

    static func label(_ x: Double, percent: Bool) -> String {
        if percent { return "\(Int((x * 100).rounded()))%" }
        return x == x.rounded() ? "\(Int(x))" : String(format: "%.2g", x)
    }

    /// Vertical bars grouped by category, one bar per series; `reference` draws a dashed line at that value
    /// (a target). O(categories × series).
    public static func groupedBars(
        title: String, categories: [String], series: [Series], percent: Bool = false,
        reference: Double? = nil, width: Int = 900, height: Int = 280
    ) -> String {
        let left = 52.0, right = reference == nil ? 12.0 : 74.0, top = 34.0, bottom = 58.0
        let w = Double(width), h = Double(height)
        let plotW = w - left - right, plotH = h - top - bottom
        let maxV = max(series.flatMap(\.values).max() ?? 0, reference ?? 0)
        // 8% headroom keeps the value labels of the tallest bars below the title.
        let (axisMax, step) = niceScale(maxV * 1.08, integer: !percent)
        let labelBars = categories.count * series.count <= 24
        var s =
            "<svg class=\"chart\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" role=\"img\">"
        s += "<title>\(HTMLEscape.text(title))</title>"
        s += "<rect x=\"0\" y=\"0\" width=\"\(width)\" height=\"\(height)\" fill=\"#ffffff\"/>"
        s += "<text x=\"\(num(left))\" y=\"18\" class=\"ct\">\(HTMLEscape.text(title))</text>"
        // grid + y labels
        var v = 0.0
        while v <= axisMax + step / 2 {
            let y = top + plotH - v / axisMax * plotH
            s +=
                "<line x1=\"\(num(left))\" y1=\"\(num(y))\" x2=\"\(num(w - right))\" y2=\"\(num(y))\" stroke=\"#e3e3e3\"/>"
            s +=
                "<text x=\"\(num(left - 6))\" y=\"\(num(y + 4))\" text-anchor=\"end\" class=\"ax\">\(label(v, percent: percent))</text>"
            v += step
        }
        let n = max(1, categories.count)
        let groupW = plotW / Double(n)
        let barW = max(1.5, min(28, groupW * 0.8 / Double(max(1, series.count))))
        for (ci, cat) in categories.enumerated() {
            let gx = left + Double(ci) * groupW + (groupW - barW * Double(series.count)) / 2
            for (si, ser) in series.enumerated() {
                let value = ci < ser.values.count ? ser.values[ci] : 0
                let bh = value / axisMax * plotH
                let x = gx + Double(si) * barW
                if value > 0 {
                    s +=
                        "<rect class=\"mark\" x=\"\(num(x))\" y=\"\(num(top + plotH - bh))\" width=\"\(num(barW - 1))\" height=\"\(num(max(1, bh)))\" fill=\"\(ser.color)\">"
                    s +=
                        "<title>\(HTMLEscape.text("\(cat) · \(ser.name): \(label(value, percent: percent))"))</title></rect>"
                    if labelBars {
                        s +=
                            "<text x=\"\(num(x + (barW - 1) / 2))\" y=\"\(num(top + plotH - bh - 3))\" text-anchor=\"middle\" class=\"val\">\(label(value, percent: percent))</text>"
                    }
                }
            }
            let cx = left + (Double(ci) + 0.5) * groupW
            s +=
                "<text x=\"\(num(cx))\" y=\"\(num(top + plotH + 14))\" text-anchor=\"middle\" class=\"ax\">\(HTMLEscape.text(short(cat, groupW)))</text>"
        }
        if let r = reference {
            let y = top + plotH - r / axisMax * plotH
            s +=
                "<line class=\"mark\" x1=\"\(num(left))\" y1=\"\(num(y))\" x2=\"\(num(w - right))\" y2=\"\(num(y))\" stroke=\"#222\" stroke-dasharray=\"5 4\"/>"
            s +=
                "<text x=\"\(num(w - right + 4))\" y=\"\(num(y + 4))\" class=\"ax\">target \(label(r, percent: percent))</text>"
        }
        s +=
            "<line x1=\"\(num(left))\" y1=\"\(num(top + plotH))\" x2=\"\(num(w - right))\" y2=\"\(num(top + plotH))\" stroke=\"#888\"/>"
        if maxV == 0 {
            s +=
                "<text x=\"\(num(left + plotW / 2))\" y=\"\(num(top + plotH / 2))\" text-anchor=\"middle\" class=\"empty\">no data</text>"
        }
        // legend
        if series.count > 1 {
            var lx = left
            for ser in series {
                s += "<rect x=\"\(num(lx))\" y=\"\(num(h - 18))\" width=\"10\" height=\"10\" fill=\"\(ser.color)\"/>"
                s += "<text x=\"\(num(lx + 14))\" y=\"\(num(h - 9))\" class=\"ax\">\(HTMLEscape.text(ser.name))</text>"
                lx += 22 + Double(min(ser.name.count, 18)) * 7
            }
        }
        s += "</svg>"
        return s
    }

    /// Horizontal bars, one per row (the funnel). O(rows).
    static func horizontalBars(
        title: String, rows: [(label: String, value: Double?)], color: String = "#3b6fb6",
        width: Int = 640
    ) -> String {
        let left = 110.0, right = 70.0, top = 30.0, rowH = 24.0
        let height = Int(top + rowH * Double(rows.count) + 10)
        let plotW = Double(width) - left - right
        let maxV = rows.compactMap(\.value).max() ?? 0
        var s =
            "<svg class=\"chart\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" role=\"img\">"
        s += "<title>\(HTMLEscape.text(title))</title>"
        s += "<rect x=\"0\" y=\"0\" width=\"\(width)\" height=\"\(height)\" fill=\"#ffffff\"/>"
        s += "<text x=\"8\" y=\"18\" class=\"ct\">\(HTMLEscape.text(title))</text>"
        for (i, r) in rows.enumerated() {
            let y = top + Double(i) * rowH
            s +=
                "<text x=\"\(num(left - 8))\" y=\"\(num(y + 16))\" text-anchor=\"end\" class=\"ax\">\(HTMLEscape.text(r.label))</text>"
            if let v = r.value {
                let bw = maxV > 0 ? v / maxV * plotW : 0
                if v > 0 {
                    s +=
                        "<rect class=\"mark\" x=\"\(num(left))\" y=\"\(num(y + 4))\" width=\"\(num(max(1, bw)))\" height=\"\(num(rowH - 8))\" fill=\"\(color)\"/>"
                }
                s += "<text x=\"\(num(left + bw + 6))\" y=\"\(num(y + 16))\" class=\"ax\">\(Int(v))</text>"
            } else {
                s += "<text x=\"\(num(left + 6))\" y=\"\(num(y + 16))\" class=\"empty\">not given</text>"
            }
        }
        s += "</svg>"
        return s
    }

    /// Cuts a category label to what fits under its group.
    static func short(_ s: String, _ room: Double) -> String {
        let n = max(3, Int(room / 6.5))
        return s.count <= n ? s : String(s.prefix(n - 1)) + "…"
    }
}
