import Foundation
import PairDxCore

/// Caption statistics per class: length distribution, distinctive terms (smoothed log-odds of a term's
/// rate in the class against its rate in the other classes), and GloVe vocabulary coverage.
/// O(total caption characters + vocabulary of the captions × classes).
enum CaptionSection {
    /// A term counts as distinctive when its smoothed rate in the class is at least e^0.2 ≈ 1.22 times its
    /// rate elsewhere.
    static let minScore = 0.2
    static let lengthBins = ["0-4", "5-9", "10-19", "20-39", "40-79", "80-159", "160+"]
    static let stopWords: Set<String> = [
        "the", "and", "for", "with", "from", "that", "this", "was", "were", "are", "its", "into", "after",
        "before", "which", "shows", "show", "showing", "shown", "figure", "fig", "image", "images", "panel",
        "left", "right", "arrow", "arrows", "arrowhead", "arrowheads", "patient", "case", "both", "between",
        "there", "than", "not", "has", "had", "have", "also", "other", "all", "one", "two", "three", "each",
        "see", "text", "view", "of", "in", "on", "at", "to", "by", "an", "as", "is", "or", "be", "we", "it", "no"
    ]

    /// Lowercased tokens: runs of letters, digits, inner hyphens and apostrophes.
    static func tokens(_ s: String) -> [String] {
        var out: [String] = []
        var cur = ""
        for ch in s.lowercased() {
            if ch.isLetter || ch.isNumber || ((ch == "-" || ch == "'") && !cur.isEmpty) {
                cur.append(ch)
            } else {
                flush(&cur, &out)
            }
        }
        flush(&cur, &out)
        return out
    }

    private static func flush(_ cur: inout String, _ out: inout [String]) {
        while let l = cur.last, l == "-" || l == "'" { cur.removeLast() }
        if !cur.isEmpty { out.append(cur) }
        cur = ""
    }

    static func wordCount(_ s: String) -> Int { s.split(whereSeparator: { $0.isWhitespace }).count }

    static func bin(_ n: Int) -> Int { n < 5 ? 0 : n < 10 ? 1 : n < 20 ? 2 : n < 40 ? 3 : n < 80 ? 4 : n < 160 ? 5 : 6 }

    static func build(_ inputs: AuditInputs, classes: [String], captions: [String: String]) -> AuditReport.Captions {
        var missing = 0
        var lengths: [String: [Int]] = [:]
        var termCounts: [String: [String: Int]] = [:]
        var totalTerms: [String: Int] = [:]
        var all: [String: Int] = [:]
        var gloveTokens = 0, gloveCovered = 0
        var gloveMissing: [String: Int] = [:]
        for it in inputs.allItems {
            guard let cap = captions[it.id] else { missing += 1; continue }
            lengths[it.class, default: []].append(wordCount(cap))
            for t in tokens(cap) {
                if let v = inputs.gloveVocabulary {
                    gloveTokens += 1
                    if v.contains(t) { gloveCovered += 1 } else { gloveMissing[t, default: 0] += 1 }
                }
                guard t.count >= 2, !stopWords.contains(t), !t.allSatisfy(\.isNumber) else { continue }
                termCounts[it.class, default: [:]][t, default: 0] += 1
                totalTerms[it.class, default: 0] += 1
                all[t, default: 0] += 1
            }
        }
        let vocab = Double(max(1, all.count))
        let totalAll = totalTerms.values.reduce(0, +)
        let alpha = 0.5
        let out = classes.map { c -> AuditReport.ClassCaptions in
            let ls = lengths[c] ?? []
            var h = [Int](repeating: 0, count: lengthBins.count)
            for l in ls { h[bin(l)] += 1 }
            let nc = Double(totalTerms[c] ?? 0), nr = Double(totalAll - (totalTerms[c] ?? 0))
            let terms = (termCounts[c] ?? [:]).filter { $0.value >= 2 }.map { (t, fc) -> AuditReport.Term in
                let fr = Double((all[t] ?? 0) - fc)
                let score = log((Double(fc) + alpha) / (nc + alpha * vocab)) - log((fr + alpha) / (nr + alpha * vocab))
                return .init(term: t, count: fc, score: AuditStatistics.fixed(score))
            }.filter { $0.score > minScore }.sorted { ($0.score, $1.term) > ($1.score, $0.term) }
            return .init(
                class: c, items: ls.count,
                meanWords: AuditStatistics.fixed(ls.isEmpty ? 0 : Double(ls.reduce(0, +)) / Double(ls.count)),
                medianWords: AuditStatistics.median(ls),
                lengthHistogram: zip(lengthBins, h).map { .init(label: $0, count: $1) },
                distinctiveTerms: Array(terms.prefix(10)))
        }
        var glove: AuditReport.GloveCoverage? = nil
        if let v = inputs.gloveVocabulary {
            glove = .init(
                vocabulary: v.count, tokens: gloveTokens, covered: gloveCovered,
                share: AuditStatistics.fixed(gloveTokens == 0 ? 0 : Double(gloveCovered) / Double(gloveTokens)),
                topMissing: Array(FunnelSection.sortedCounts(gloveMissing).prefix(15)))
        }
        return .init(classes: out, glove: glove, missing: missing)
    }
}
