import Foundation
import PairDxCore

/// Duplicates, licences and label-rule sections, each a pure function of the decoded records.
enum ContentSections {
    static func duplicates(_ clusters: [ClusterRecord]) -> AuditReport.Duplicates {
        let bins = ["1", "2", "3", "4", "5-9", "10+"]
        var h = [Int](repeating: 0, count: bins.count)
        for c in clusters {
            let n = c.members.count
            h[n <= 4 ? max(0, n - 1) : (n < 10 ? 4 : 5)] += 1
        }
        return .init(
            clusters: clusters.count,
            singletons: clusters.filter { $0.members.count <= 1 }.count,
            exactClusters: clusters.filter { $0.kind == .exact }.count,
            nearClusters: clusters.filter { $0.kind == .near }.count,
            crossArticleClusters: clusters.filter(\.crossArticle).count,
            dropped: clusters.reduce(0) { $0 + max(0, $1.members.count - 1) },
            largest: clusters.map(\.members.count).max() ?? 0,
            sizeHistogram: zip(bins, h).map { .init(label: $0, count: $1) })
    }

    /// Licence of each article: sources.csv first, then articles.jsonl, then the figure record.
    static func licences(_ inputs: AuditInputs) -> AuditReport.Licences? {
        var byArticle: [String: String] = [:]
        for f in inputs.work?.figures ?? [] { if let l = f.license { byArticle[f.pmcid] = l } }
        for a in inputs.work?.articles ?? [] { if let l = a.license { byArticle[a.pmcid] = l } }
        for s in inputs.sources ?? [] { if let l = s.license { byArticle[s.pmcid] = l } }
        guard !byArticle.isEmpty else { return nil }
        var items: [String: Int] = [:]
        var articles: [String: Set<String>] = [:]
        for it in inputs.allItems {
            let l = byArticle[it.article] ?? "unknown"
            items[l, default: 0] += 1
            articles[l, default: []].insert(it.article)
        }
        return .init(
            items: FunnelSection.sortedCounts(items),
            articles: FunnelSection.sortedCounts(articles.mapValues(\.count)))
    }

    static func labelRules(_ labels: [LabelRecord], recipe: Recipe) -> AuditReport.LabelRules {
        var matched: [String: Int] = [:]
        for l in labels { for m in l.matched { matched[m.lowercased(), default: 0] += 1 } }
        var rules: [AuditReport.RuleMatches] = []
        var seen = Set<String>()
        func add(_ cls: String, _ term: String, _ kind: String, key: String) {
            let k = key.lowercased()
            guard !seen.contains(k) else { return }
            seen.insert(k)
            rules.append(.init(class: cls, term: term, kind: kind, matches: matched[k] ?? 0))
        }
        for c in recipe.classes {
            for t in c.include + c.caseSensitive { add(c.name, t, "include", key: "\(c.name):\(t)") }
            for t in c.exclude { add(c.name, t, "exclude", key: "\(c.name):exclude:\(t)") }
            for x in c.contexts ?? [] { add(c.name, x.name, "context", key: "\(c.name):context:\(x.name)") }
        }
        for t in recipe.excludeAll { add("*", t, "exclude", key: "exclude:\(t)") }
        // Matches the recipe does not list (another recipe version, or a labeller's own terms).
        for key in matched.keys.sorted() where !seen.contains(key) {
            let parts = key.components(separatedBy: ":")
            if parts.count >= 3, parts[1] == "context" {
                add(parts[0], parts.dropFirst(2).joined(separator: ":"), "context", key: key)
            } else if parts.count == 3, parts[1] == "exclude" {
                add(parts[0], parts[2], "exclude", key: key)
            } else if parts.count == 2, parts[0] == "exclude" {
                add("*", parts[1], "exclude", key: key)
            } else if parts.count >= 2 {
                add(parts[0], parts.dropFirst().joined(separator: ":"), "include", key: key)
            } else {
                add("?", key, "include", key: key)
            }
        }
        let unlabelled = labels.filter { $0.class == nil }
        return .init(
            rules: rules, labelled: labels.count - unlabelled.count,
            ambiguous: unlabelled.filter { $0.reason == "ambiguous" }.count,
            unmatched: unlabelled.filter { $0.reason == "no-rule-matched" }.count,
            reasons: FunnelSection.counts(unlabelled.map { $0.reason ?? "no reason recorded" }))
    }

    static func images(_ inputs: AuditInputs, classes: [String], images: [ImageRecord]) -> AuditReport.Images {
        var bySHA: [String: ImageRecord] = [:]
        for r in images { bySHA[r.sha256] = r }
        let bins = ["<64", "64-127", "128-255", "256-511", "512-1023", "1024+"]
        var missing = 0
        var out: [AuditReport.ClassImages] = []
        var perClass: [String: [ImageRecord]] = [:]
        for it in inputs.allItems {
            guard let r = bySHA[it.sha256] else { missing += 1; continue }
            perClass[it.class, default: []].append(r)
        }
        for c in classes {
            let rs = perClass[c] ?? []
            var h = [Int](repeating: 0, count: bins.count)
            var w = 0.0, ht = 0.0, sized = 0
            var formats: [String] = []
            for r in rs {
                formats.append(r.format ?? "unknown")
                guard let x = r.width, let y = r.height else { continue }
                sized += 1; w += Double(x); ht += Double(y)
                let s = min(x, y)
                h[s < 64 ? 0 : s < 128 ? 1 : s < 256 ? 2 : s < 512 ? 3 : s < 1024 ? 4 : 5] += 1
            }
            out.append(
                .init(
                    class: c, items: rs.count, formats: FunnelSection.counts(formats),
                    shortSideHistogram: zip(bins, h).map { .init(label: $0, count: $1) },
                    meanWidth: AuditStatistics.fixed(sized == 0 ? 0 : w / Double(sized)),
                    meanHeight: AuditStatistics.fixed(sized == 0 ? 0 : ht / Double(sized))))
        }
        return .init(classes: out, missing: missing)
    }

    /// Up to `perClass` items per class, chosen by the keyed hash of (seed, id) so the choice is stable.
    static func samples(_ inputs: AuditInputs, classes: [String], captions: [String: String], perClass: Int)
        -> [AuditReport.ClassSamples]
    {
        var byClass: [String: [(UInt64, SplitItem)]] = [:]
        for it in inputs.allItems {
            byClass[it.class, default: []].append(
                (KeyedHash.value(seed: inputs.recipe.seed, domain: "audit-sample", id: it.id), it))
        }
        return classes.map { c in
            let chosen = (byClass[c] ?? []).sorted { ($0.0, $0.1.id) < ($1.0, $1.1.id) }.prefix(perClass)
            return .init(
                class: c,
                items: chosen.map { (_, it) in
                    .init(id: it.id, split: it.split, sha256: it.sha256, caption: captions[it.id].map { cut($0, 240) })
                })
        }
    }

    static func cut(_ s: String, _ n: Int) -> String {
        s.count <= n ? s : String(s.prefix(n - 1)) + "…"
    }
}
