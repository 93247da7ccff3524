import Foundation
import PairDxCore

/// One hand-labelled caption of a gold set (docs/labelling-guidelines.md). The caption itself is not stored:
/// `source` names the file it is read from, relative to a data directory, and `id` the item inside it.
public struct GoldItem: Codable, Sendable, Equatable {
    /// ROCO id (`ROCO_81827`) or, for JATS, `<file stem>#<fig id>`.
    public var id: String
    /// `roco-captions/<subset>/<kind>` (its captions.txt) or `jats/<file>.nxml`.
    public var source: String
    /// The selection stratum the item came from (see the guidelines' "Selection").
    public var stratum: String
    /// The class of the pictured image, or `none`.
    public var label: String
    /// `dev` (rules were developed looking at these) or `holdout` (never looked at while writing rules).
    public var half: GoldHalf
    /// The guidelines version the label follows (`pairdx-labelling/1`).
    public var guidelines: String
    public var note: String?

    public init(
        id: String, source: String, stratum: String, label: String, half: GoldHalf, guidelines: String,
        note: String? = nil
    ) {
        self.id = id; self.source = source; self.stratum = stratum; self.label = label; self.half = half
        self.guidelines = guidelines; self.note = note
    }
}

public enum GoldHalf: String, Codable, Sendable, CaseIterable {
    case dev, holdout
}

/// A gold item with its caption, as read from the data directory.
public struct GoldCaption: Sendable {
    public var item: GoldItem
    public var caption: String
    public init(item: GoldItem, caption: String) { self.item = item; self.caption = caption }
}

/// Measured label quality of a recipe's caption rules on a gold set: per-class precision and recall with
/// 95% Wilson intervals and the confusion matrix, over all items and over each half.
public enum LabelQuality {
    public static let schema = "pairdx-label-quality/1"
    /// The label of a figure the rules leave out, or the guidelines put in no class.
    public static let none = "none"

    public struct ClassScore: Codable, Sendable, Equatable {
        public var `class`: String
        /// Gold items of this class.
        public var gold: Int
        /// Items the rules put in this class.
        public var predicted: Int
        public var truePositives: Int
        /// nil when the rules labelled nothing with this class (precision is then not measured).
        public var precision: Double?
        public var precisionInterval: [Double]?
        public var recall: Double?
        public var recallInterval: [Double]?
    }

    public struct Scores: Codable, Sendable, Equatable {
        public var items: Int
        /// Share of items whose predicted label (a class or none) equals the gold label.
        public var accuracy: Double
        public var perClass: [ClassScore]
        /// rows = gold label, columns = predicted label, both in `Report.labels` order.
        public var confusion: [[Int]]
    }

    public struct Disagreement: Codable, Sendable, Equatable {
        public var id: String
        public var half: GoldHalf
        public var gold: String
        public var predicted: String
        /// The rules' reason when they gave no class (`no-rule-matched`, `ambiguous`, …).
        public var reason: String?
        public var matched: [String]
    }

    public struct Unresolved: Codable, Sendable, Equatable {
        public var id: String
        public var source: String
        public var reason: String
        public init(id: String, source: String, reason: String) {
            self.id = id; self.source = source; self.reason = reason
        }
    }

    public struct Report: Codable, Sendable, Equatable {
        public var schema: String
        public var recipe: String
        /// sha256 of the recipe evaluated (`Recipe.digest()`): a report is stale once the rules change.
        public var recipeSHA256: String
        public var gold: String
        public var guidelines: [String]
        /// The recipe's classes in order, then `none`.
        public var labels: [String]
        public var items: Int
        public var unresolved: [Unresolved]
        public var overall: Scores
        public var halves: [String: Scores]
        public var disagreements: [Disagreement]
        /// 95% two-sided Wilson score intervals.
        public var interval: String

        /// Classes whose precision is below `minimum` or not measured (nothing predicted), in class order.
        public func classes(belowPrecision minimum: Double) -> [String] {
            overall.perClass.filter { ($0.precision ?? -1) < minimum }.map(\.class)
        }
    }

    /// Reads a gold file and checks every label against the recipe's classes; errors name the line.
    public static func readGold(_ path: String, classes: [String]) throws -> [GoldItem] {
        let items = try JSONL.read(GoldItem.self, from: path)
        let allowed = Set(classes + [none])
        var seen = Set<String>()
        for (n, g) in items.enumerated() {
            guard allowed.contains(g.label) else {
                throw PairDxError.badInput(
                    "\(path): item \(n + 1) (\(g.id)): label '\(g.label)' is not a class of the recipe or '\(none)'")
            }
            guard seen.insert(g.id).inserted else {
                throw PairDxError.badInput("\(path): item \(n + 1): id \(g.id) repeats")
            }
        }
        return items
    }

    public static func evaluate(_ gold: [GoldCaption], recipe: Recipe, goldName: String, unresolved: [Unresolved])
        -> Report
    {
        let labeler = Labeler(recipe: recipe)
        let labels = recipe.classes.map(\.name) + [none]
        var rows: [(item: GoldItem, predicted: String, verdict: Labeler.Verdict)] = []
        for g in gold.sorted(by: { $0.item.id < $1.item.id }) {
            let v = labeler.label(caption: g.caption)
            rows.append((g.item, v.class ?? none, v))
        }
        func scores(_ subset: [(item: GoldItem, predicted: String, verdict: Labeler.Verdict)]) -> Scores {
            let index = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
            var m = Array(repeating: Array(repeating: 0, count: labels.count), count: labels.count)
            for r in subset { m[index[r.item.label]!][index[r.predicted]!] += 1 }
            let per = recipe.classes.map(\.name).map { c -> ClassScore in
                let i = index[c]!
                let tp = m[i][i], goldN = m[i].reduce(0, +), pred = m.map { $0[i] }.reduce(0, +)
                return ClassScore(
                    class: c, gold: goldN, predicted: pred, truePositives: tp,
                    precision: pred > 0 ? round4(Double(tp) / Double(pred)) : nil,
                    precisionInterval: wilson(tp, pred), recall: goldN > 0 ? round4(Double(tp) / Double(goldN)) : nil,
                    recallInterval: wilson(tp, goldN))
            }
            let agree = subset.filter { $0.item.label == $0.predicted }.count
            return Scores(
                items: subset.count, accuracy: subset.isEmpty ? 0 : round4(Double(agree) / Double(subset.count)),
                perClass: per, confusion: m)
        }
        var halves: [String: Scores] = [:]
        for h in GoldHalf.allCases { halves[h.rawValue] = scores(rows.filter { $0.item.half == h }) }
        let disagreements = rows.filter { $0.item.label != $0.predicted }.map {
            Disagreement(
                id: $0.item.id, half: $0.item.half, gold: $0.item.label, predicted: $0.predicted,
                reason: $0.verdict.reason, matched: $0.verdict.matched)
        }
        return Report(
            schema: schema, recipe: recipe.name, recipeSHA256: (try? recipe.digest()) ?? "", gold: goldName,
            guidelines: Set(gold.map(\.item.guidelines)).sorted(),
            labels: labels, items: gold.count + unresolved.count, unresolved: unresolved.sorted { $0.id < $1.id },
            overall: scores(rows), halves: halves, disagreements: disagreements, interval: "wilson-95")
    }

    /// The 95% Wilson score interval of `k` successes in `n` trials, rounded to 4 places; nil when n = 0.
    public static func wilson(_ k: Int, _ n: Int) -> [Double]? {
        guard n > 0 else { return nil }
        let z = 1.959963984540054, nn = Double(n), p = Double(k) / nn
        let denom = 1 + z * z / nn
        let centre = (p + z * z / (2 * nn)) / denom
        let half = z * (p * (1 - p) / nn + z * z / (4 * nn * nn)).squareRoot() / denom
        return [round4(max(0, centre - half)), round4(min(1, centre + half))]
    }

    static func round4(_ x: Double) -> Double { (x * 10_000).rounded() / 10_000 }

    /// A table a person reads: per-class precision and recall with intervals (all items and each half), then
    /// the confusion matrix.
    public static func render(_ r: Report) -> String {
        func pct(_ x: Double?) -> String { x.map { String(format: "%5.1f%%", $0 * 100) } ?? "    –" }
        func ci(_ x: [Double]?) -> String { x.map { String(format: "[%.1f, %.1f]", $0[0] * 100, $0[1] * 100) } ?? "" }
        var out =
            "label-eval: recipe \(r.recipe), gold \(r.gold) (\(r.guidelines.joined(separator: ", "))): \(r.overall.items) items"
        if !r.unresolved.isEmpty { out += ", \(r.unresolved.count) unresolved" }
        out += "\n"
        for (title, s) in [("all", r.overall)]
            + GoldHalf.allCases.compactMap({ h in r.halves[h.rawValue].map { (h.rawValue, $0) } })
        {
            out += "\n\(title): \(s.items) items, accuracy \(pct(s.accuracy))\n"
            out +=
                "class".padding(toLength: 16, withPad: " ", startingAt: 0)
                + "  gold  pred    tp  precision [95% CI]       recall [95% CI]\n"
            for c in s.perClass {
                out += c.class.padding(toLength: 16, withPad: " ", startingAt: 0)
                out += String(format: " %5d %5d %5d  ", c.gold, c.predicted, c.truePositives)
                out += (pct(c.precision) + " " + ci(c.precisionInterval)).padding(
                    toLength: 23, withPad: " ", startingAt: 0)
                out += "  " + pct(c.recall) + " " + ci(c.recallInterval) + "\n"
            }
        }
        out += "\nconfusion (rows gold, columns predicted):\n" + "".padding(toLength: 16, withPad: " ", startingAt: 0)
        out += r.labels.map { String($0.prefix(6)).leftPadded(7) }.joined() + "\n"
        for (i, row) in r.overall.confusion.enumerated() {
            out +=
                r.labels[i].padding(toLength: 16, withPad: " ", startingAt: 0)
                + row.map { String($0).leftPadded(7) }.joined() + "\n"
        }
        for u in r.unresolved { out += "unresolved: \(u.id) (\(u.source)): \(u.reason)\n" }
        return out
    }
}

private extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
