import Foundation

/// Classification metrics from predictions and true labels over `classes`.
///
/// Accuracy = correct / n; per class precision = TP/(TP+FP), recall = TP/(TP+FN), F1 their harmonic mean
/// (0 when undefined); macro-F1 = the unweighted mean of per-class F1. `confusion[t][p]` counts items of
/// true class t predicted as p. O(n + classes²).
public struct Metrics: Codable, Sendable, Equatable {
    public struct PerClass: Codable, Sendable, Equatable {
        public var name: String
        public var precision: Double
        public var recall: Double
        public var f1: Double
        public var support: Int
    }

    public var classes: [String]
    public var count: Int
    public var accuracy: Double
    public var macroF1: Double
    public var perClass: [PerClass]
    public var confusion: [[Int]]

    public init(predictions: [Int], labels: [Int], classes: [String]) {
        precondition(predictions.count == labels.count)
        let k = classes.count
        var m = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
        for (p, t) in zip(predictions, labels) { m[t][p] += 1 }
        var per: [PerClass] = []
        for c in 0..<k {
            let tp = m[c][c]
            let fp = (0..<k).reduce(0) { $0 + ($1 == c ? 0 : m[$1][c]) }
            let fn = (0..<k).reduce(0) { $0 + ($1 == c ? 0 : m[c][$1]) }
            let p = tp + fp == 0 ? 0 : Double(tp) / Double(tp + fp)
            let r = tp + fn == 0 ? 0 : Double(tp) / Double(tp + fn)
            per.append(
                PerClass(
                    name: classes[c], precision: p, recall: r, f1: p + r == 0 ? 0 : 2 * p * r / (p + r),
                    support: tp + fn))
        }
        self.classes = classes
        count = labels.count
        accuracy =
            labels.isEmpty ? 0 : Double(zip(predictions, labels).filter { $0 == $1 }.count) / Double(labels.count)
        macroF1 = k == 0 ? 0 : per.map(\.f1).reduce(0, +) / Double(k)
        perClass = per
        confusion = m
    }

    /// A fixed-width text table: per-class P/R/F1 and the confusion matrix (rows true, columns predicted).
    public func table() -> String {
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
        let w = max(8, (classes.map(\.count).max() ?? 0) + 1)
        var out =
            "accuracy \(String(format: "%.4f", accuracy))  macro-F1 \(String(format: "%.4f", macroF1))  (\(count) items)\n\n"
        out += pad("class", w) + pad("precision", 10) + pad("recall", 8) + pad("F1", 8) + pad("support", 9) + "\n"
        for p in perClass {
            out +=
                pad(p.name, w) + pad(String(format: "%.4f", p.precision), 10) + pad(String(format: "%.4f", p.recall), 8)
                + pad(String(format: "%.4f", p.f1), 8) + pad("\(p.support)", 9) + "\n"
        }
        out +=
            "\nconfusion (rows: true class, columns: predicted)\n" + pad("", w) + classes.map { pad($0, w) }.joined()
            + "\n"
        for (i, row) in confusion.enumerated() {
            out += pad(classes[i], w) + row.map { pad("\($0)", w) }.joined() + "\n"
        }
        return out
    }
}
