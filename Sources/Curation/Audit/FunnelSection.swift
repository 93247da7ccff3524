import PairDxCore

/// The funnel candidates → articles → figures → decoded → unique → labelled → balanced → split, each stage
/// counted from its own file, with what was lost there and the reasons the earlier stages recorded.
/// Stages whose file was not given have a nil count. O(records).
///
/// A caption-first rebuild (some figures `not-fetched: caption has no class`) counts in its own order:
/// candidates → articles → captions labelled (the recipe's rules on every figure's caption) → media fetched (of the
/// captions labelled) → decoded → unique → labelled (usable: size checks and the class after dedupe) → balanced → split.
enum FunnelSection {
    typealias Stage = AuditReport.FunnelStage

    static func counts(_ xs: [String]) -> [AuditReport.Count] {
        var m: [String: Int] = [:]
        for x in xs { m[x, default: 0] += 1 }
        return sortedCounts(m)
    }

    static func sortedCounts(_ m: [String: Int]) -> [AuditReport.Count] {
        m.filter { $0.value > 0 }.map { AuditReport.Count(name: $0.key, count: $0.value) }
            .sorted { ($0.count, $1.name) > ($1.count, $0.name) }
    }

    static func build(_ inputs: AuditInputs, classes: [String]) -> AuditReport.Funnel {
        let w = inputs.work
        var stages: [Stage] = []
        let splitTotal = inputs.allItems.count

        stages.append(
            Stage(stage: "candidates", count: w?.candidates?.count ?? inputs.sources?.count, lost: nil, reasons: []))

        if let articles = w?.articles {
            let bad = articles.filter { !$0.status.isOK }
            let candidates = w?.candidates?.count ?? articles.count
            let missing = max(0, candidates - articles.count)
            var reasons = counts(bad.map(\.status.rawValue))
            if missing > 0 { reasons.append(.init(name: "no article record", count: missing)) }
            stages.append(
                Stage(stage: "articles", count: articles.count - bad.count, lost: bad.count + missing, reasons: reasons)
            )
        } else if let sources = inputs.sources {
            let bad = sources.filter { !$0.status.isOK }
            stages.append(
                Stage(
                    stage: "articles", count: sources.count - bad.count, lost: bad.count,
                    reasons: counts(bad.map(\.status.rawValue))))
        } else {
            stages.append(Stage(stage: "articles", count: nil, lost: nil, reasons: []))
        }

        var okFigures = w?.figures?.filter { $0.status.isOK }
        if let figures = w?.figures, figures.contains(where: { $0.status == FetchStatus.captionUnlabelled }) {
            // Caption-first: captions were judged before any media request.
            let labeler = Labeler(recipe: inputs.recipe)
            var captionReasons: [String] = []
            var labelled: [FigureRecord] = []
            for f in figures {
                let v = labeler.label(caption: f.caption)
                if v.class != nil { labelled.append(f) } else { captionReasons.append(v.reason ?? "no-rule-matched") }
            }
            stages.append(
                Stage(
                    stage: "captions labelled", count: labelled.count, lost: captionReasons.count,
                    reasons: counts(captionReasons)))
            let fetched = labelled.filter { $0.status.isOK }
            let notFetched = labelled.filter { !$0.status.isOK }
            stages.append(
                Stage(
                    stage: "media fetched", count: fetched.count, lost: notFetched.count,
                    reasons: counts(notFetched.map(\.status.rawValue))))
            okFigures = fetched
        } else if let figures = w?.figures, let ok = okFigures {
            let bad = figures.filter { !$0.status.isOK }
            stages.append(
                Stage(stage: "figures", count: ok.count, lost: bad.count, reasons: counts(bad.map(\.status.rawValue))))
        } else {
            stages.append(Stage(stage: "figures", count: nil, lost: nil, reasons: []))
        }

        var decodedCount: Int? = nil
        if let ok = okFigures, let images = w?.images {
            var bySHA: [String: ImageRecord] = [:]
            for r in images { bySHA[r.sha256] = r }
            var reasons: [String] = []
            for f in ok {
                guard let s = f.sha256, let r = bySHA[s] else { reasons.append("no image record"); continue }
                if let rej = r.reject { reasons.append(rej) }
            }
            decodedCount = ok.count - reasons.count
            stages.append(Stage(stage: "decoded", count: decodedCount, lost: reasons.count, reasons: counts(reasons)))
        } else {
            stages.append(Stage(stage: "decoded", count: nil, lost: nil, reasons: []))
        }

        var keeps: Set<String>? = nil
        if let clusters = w?.clusters {
            keeps = Set(clusters.map(\.keep))
            var m: [String: Int] = [:]
            for c in clusters where c.members.count > 1 {
                m["\(c.kind) duplicate\(c.crossArticle ? " (across articles)" : "")", default: 0] += c.members.count - 1
            }
            let lost = clusters.reduce(0) { $0 + $1.members.count - 1 }
            var reasons = sortedCounts(m)
            let members = clusters.reduce(0) { $0 + $1.members.count }
            if let d = decodedCount, d > members {
                reasons.append(.init(name: "decoded but in no cluster", count: d - members))
            }
            stages.append(
                Stage(
                    stage: "unique", count: clusters.count, lost: lost + max(0, (decodedCount ?? members) - members),
                    reasons: reasons))
        } else {
            stages.append(Stage(stage: "unique", count: nil, lost: nil, reasons: []))
        }

        var labelledPerClass: [String: Int] = [:]
        var labelledCount: Int? = nil
        if let labels = w?.labels {
            let considered = keeps.map { k in labels.filter { k.contains($0.id) } } ?? labels
            let labelled = considered.filter { $0.class != nil }
            for l in labelled { labelledPerClass[l.class!, default: 0] += 1 }
            labelledCount = labelled.count
            let missing = keeps.map { max(0, $0.count - considered.count) } ?? 0
            var reasons = counts(considered.filter { $0.class == nil }.map { $0.reason ?? "no reason recorded" })
            if missing > 0 { reasons.append(.init(name: "no label record", count: missing)) }
            stages.append(
                Stage(
                    stage: "labelled", count: labelled.count,
                    lost: considered.count - labelled.count + missing, reasons: reasons))
        } else {
            stages.append(Stage(stage: "labelled", count: nil, lost: nil, reasons: []))
        }

        var splitPerClass: [String: Int] = [:]
        for it in inputs.allItems { splitPerClass[it.class, default: 0] += 1 }
        let balanced = w?.balancedCount ?? (labelledCount == nil ? nil : splitTotal)
        if let balanced, let labelledCount {
            var m: [String: Int] = [:]
            if w?.balancedCount == nil {
                for c in classes {
                    m["balance cut: \(c)"] = max(0, (labelledPerClass[c] ?? 0) - (splitPerClass[c] ?? 0))
                }
            } else {
                m["balance cut"] = max(0, labelledCount - balanced)
            }
            stages.append(
                Stage(
                    stage: "balanced", count: balanced, lost: max(0, labelledCount - balanced), reasons: sortedCounts(m)
                ))
        } else {
            stages.append(Stage(stage: "balanced", count: balanced, lost: nil, reasons: []))
        }
        let lostAtSplit = balanced.map { max(0, $0 - splitTotal) }
        stages.append(
            Stage(
                stage: "split", count: splitTotal, lost: lostAtSplit,
                reasons: (lostAtSplit ?? 0) > 0 ? [.init(name: "not assigned to a split", count: lostAtSplit!)] : []))
        return .init(stages: stages, plan: planVsActual(w?.plan, w?.scan))
    }

    /// The plan's estimate against the scan, when both files are there and the plan made an estimate.
    static func planVsActual(_ plan: RebuildPlan?, _ scan: ScanState?) -> AuditReport.PlanVsActual? {
        guard let plan, let scan, let e = plan.estimate else { return nil }
        // The plan's sample was downloaded by `pairdx plan`; the scan reused it without asking again.
        let sampleRequests = Int((plan.requestsPerArticle * Double(plan.sample)).rounded())
        let sampleBytes = Int((plan.bytesPerArticle * Double(plan.sample)).rounded())
        let requests = scan.requests + sampleRequests, bytes = scan.bytes + sampleBytes
        func dev(_ est: Double, _ actual: Int) -> Double? {
            actual > 0 ? AuditStatistics.fixed((est - Double(actual)) / Double(actual)) : nil
        }
        return .init(
            sample: plan.sample, limitingClass: plan.limitingClass, articles: e.articles, requests: e.requests,
            bytes: e.bytes,
            keptArticles: scan.kept, scannedArticles: scan.scanned, actualRequests: requests, actualBytes: bytes,
            articlesDeviation: scan.kept.flatMap { dev(e.articles.mid, $0) },
            requestsDeviation: dev(e.requests.mid, requests),
            bytesDeviation: dev(e.bytes.mid, bytes),
            articlesInInterval: scan.kept.map { Double($0) >= e.articles.low && Double($0) <= e.articles.high },
            requestsInInterval: Double(requests) >= e.requests.low && Double(requests) <= e.requests.high)
    }
}

/// The rows of the plan-against-scan table, shared by the HTML and Markdown reports.
enum PlanRows {
    static func rows(_ p: AuditReport.PlanVsActual) -> [[String]] {
        func n(_ x: Double) -> String { x.isFinite ? String(Int(x)) : "∞" }
        func mb(_ x: Double) -> String { x.isFinite ? String(format: "%.1f MB", x / 1e6) : "∞" }
        func r(_ e: RebuildPlan.Range3, _ f: (Double) -> String) -> String { "\(f(e.mid)) (\(f(e.low))–\(f(e.high)))" }
        func d(_ x: Double?) -> String { x.map { String(format: "%+.0f%%", $0 * 100) } ?? "—" }
        return [
            [
                "articles (kept / scanned)", r(p.articles, n),
                "\(p.keptArticles.map(String.init) ?? "—") / \(p.scannedArticles)", d(p.articlesDeviation)
            ],
            ["requests (sample + scan)", r(p.requests, n), "\(p.actualRequests)", d(p.requestsDeviation)],
            ["download (sample + scan)", r(p.bytes, mb), mb(Double(p.actualBytes)), d(p.bytesDeviation)]
        ]
    }
}
