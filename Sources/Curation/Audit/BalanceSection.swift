import PairDxCore

/// Class balance per split against the recipe's targets, and the chi-square test of class-vs-split
/// independence. O(items + classes × splits).
enum BalanceSection {
    static func build(_ inputs: AuditInputs, classes: [String]) -> AuditReport.Balance {
        let fixed = AuditStatistics.fixed
        let k = classes.count
        let policy = inputs.recipe.balance.policy
        let target: Double? = (policy == .none || k == 0) ? nil : 1.0 / Double(k)
        let ratios = [
            "train": inputs.recipe.split.train, "val": inputs.recipe.split.val, "test": inputs.recipe.split.test
        ]
        let total = inputs.allItems.count

        func balance(_ name: String, _ items: [SplitItem], targetShare: Double?) -> AuditReport.SplitBalance {
            var counts: [String: Int] = [:]
            for it in items { counts[it.class, default: 0] += 1 }
            let n = items.count
            let cells = classes.map { c -> AuditReport.ClassCount in
                let x = counts[c] ?? 0
                let p = n == 0 ? 0 : Double(x) / Double(n)
                return .init(
                    class: c, count: x, proportion: fixed(p), target: target.map(fixed),
                    deviation: (n == 0 ? nil : target.map { fixed(p - $0) }))
            }
            let empty = cells.filter { $0.count == 0 }.map(\.class)
            let maxC = cells.map(\.count).max() ?? 0
            let minC = cells.map(\.count).min() ?? 0
            return .init(
                split: name, count: n, share: fixed(total == 0 ? 0 : Double(n) / Double(total)),
                targetShare: targetShare.map(fixed), classes: cells,
                imbalanceRatio: (n == 0 || minC == 0) ? nil : fixed(Double(maxC) / Double(minC)),
                emptyClasses: empty)
        }

        let splits = AuditInputs.splitNames.map { balance($0, inputs.items[$0] ?? [], targetShare: ratios[$0]) }
        let overall = balance("all", inputs.allItems, targetShare: nil)

        let table = classes.map { c in
            AuditInputs.splitNames.map { s in (inputs.items[s] ?? []).reduce(0) { $0 + ($1.class == c ? 1 : 0) } }
        }
        let chi: AuditReport.ChiSquare
        if let r = AuditStatistics.chiSquareIndependence(table) {
            chi = .init(statistic: fixed(r.statistic), degreesOfFreedom: r.df, pValue: fixed(r.pValue), note: nil)
        } else {
            chi = .init(
                statistic: nil, degreesOfFreedom: nil, pValue: nil,
                note: "not testable: fewer than two non-empty classes or splits")
        }
        return .init(targetClassShare: target.map(fixed), splits: splits, overall: overall, chiSquare: chi)
    }
}
