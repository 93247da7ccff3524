import PairDxCore

/// The limits CI gates on, and presentation choices. A nil limit means that gate is not checked.
public struct AuditOptions: Sendable, Equatable {
    /// Fail when any non-empty split's (or the whole set's) largest/smallest class ratio exceeds this.
    public var maxImbalance: Double?
    /// Fail when near-duplicate pairs across splits plus articles across splits exceed this (default 0).
    public var maxLeakage: Int?
    /// Fail when a class has fewer items than this in any split the recipe gives a positive ratio.
    public var minPerClass: Int?
    /// Gate on the recipe's own balance policy (`recipe-balance`): `equalize` and `target` ask for the same count
    /// in every class, `target` for exactly `perClass` (or, for a set balanced down with `--allow-short`, the same
    /// smaller count in every class, reported as short). On by default, so an unbalanced split never passes.
    public var recipeBalance: Bool
    /// Thumbnails shown per class in the HTML report.
    public var samplesPerClass: Int
    /// Longest side of an embedded thumbnail in pixels.
    public var thumbnailSide: Int

    public init(
        maxImbalance: Double? = nil, maxLeakage: Int? = 0, minPerClass: Int? = nil,
        samplesPerClass: Int = 8, thumbnailSide: Int = 96, recipeBalance: Bool = true
    ) {
        self.maxImbalance = maxImbalance; self.maxLeakage = maxLeakage; self.minPerClass = minPerClass
        self.recipeBalance = recipeBalance
        self.samplesPerClass = samplesPerClass; self.thumbnailSide = thumbnailSide
    }
}

/// Builds the report from decoded inputs: a pure function (no files, no clock), so tests can feed it
/// hand-made records. O(items + records), plus the near-duplicate search (see `LeakageSection`).
public enum AuditBuilder {
    public static func build(_ inputs: AuditInputs, options: AuditOptions = .init()) -> AuditReport {
        let classes = inputs.classes
        let r = inputs.recipe
        let recipeInfo = AuditReport.RecipeInfo(
            name: r.name, sha256: inputs.recipeSHA256, seed: r.seed, mode: r.split.mode.rawValue,
            ratios: ["train": r.split.train, "val": r.split.val, "test": r.split.test].mapValues(AuditStatistics.fixed),
            balancePolicy: r.balance.policy.rawValue, dedupeRadius: r.dedupe.radius,
            dedupeCrops: r.dedupe.cropSearch, provenance: r.provenance)

        var captions: [String: String] = [:]
        for f in inputs.work?.figures ?? [] { captions[f.id] = f.caption }

        let w = inputs.work
        var report = AuditReport(
            name: inputs.name, recipe: recipeInfo, classes: classes, splits: AuditInputs.splitNames,
            balance: BalanceSection.build(inputs, classes: classes),
            funnel: FunnelSection.build(inputs, classes: classes),
            leakage: LeakageSection.build(inputs),
            duplicates: w?.clusters.map(ContentSections.duplicates),
            captions: w?.figures == nil ? nil : CaptionSection.build(inputs, classes: classes, captions: captions),
            images: w?.images.map { ContentSections.images(inputs, classes: classes, images: $0) },
            labels: w?.labels.map { ContentSections.labelRules($0, recipe: r) },
            licences: ContentSections.licences(inputs),
            samples: ContentSections.samples(
                inputs, classes: classes, captions: captions, perClass: options.samplesPerClass),
            gates: [], findings: [], inputProblems: inputs.problems)
        report.labelQuality = inputs.labelQuality.map {
            .init(
                gold: $0.gold, guidelines: $0.guidelines, items: $0.overall.items, accuracy: $0.overall.accuracy,
                perClass: $0.overall.perClass)
        }
        report.suspectLabels = inputs.suspects.map { SuspectSection.build($0, inputs: inputs, captions: captions) }
        report.skippedChecks = skippedChecks(inputs)
        report.gates = Gates.evaluate(report, options: options, recipe: r)
        report.findings = findings(report, inputs: inputs)
        return report
    }

    /// What the audit could not check, and why: without a work directory (`--data`) everything that needs the stage
    /// records or the images; with one, every record file it lacks; near-duplicate pairs left unconfirmed for want of a
    /// 256-bit pHash. The leakage figures themselves need only the split files.
    static func skippedChecks(_ inputs: AuditInputs) -> [AuditReport.SkippedCheck] {
        var out: [AuditReport.SkippedCheck] = []
        let needs: [(String, String, (WorkRecords) -> Bool)] = [
            (
                "funnel", "candidates.jsonl, articles.jsonl, figures.jsonl and labels.jsonl",
                { $0.figures != nil && $0.labels != nil }
            ),
            ("duplicates", "clusters.jsonl", { $0.clusters != nil }),
            ("captions", "figures.jsonl (the captions)", { $0.figures != nil }),
            ("images", "images.jsonl (decoded sizes and formats)", { $0.images != nil }),
            ("label-rules", "labels.jsonl", { $0.labels != nil })
        ]
        for (check, files, present) in needs {
            if let w = inputs.work {
                if !present(w) { out.append(.init(check: check, reason: "the work directory lacks \(files)")) }
            } else {
                out.append(.init(check: check, reason: "needs the work directory's \(files): pass --data WORKDIR"))
            }
        }
        if inputs.work == nil {
            out.append(
                .init(
                    check: "thumbnails",
                    reason: "needs the images in the work directory's blob store: pass --data WORKDIR"))
        }
        let wide = Set((inputs.work?.images ?? []).filter { $0.phash256 != nil }.map(\.sha256))
        let unconfirmed = inputs.allItems.filter { $0.phash != nil && $0.phash256 == nil && !wide.contains($0.sha256) }
            .count
        if unconfirmed > 0 {
            out.append(
                .init(
                    check: "near-duplicate-confirmation",
                    reason:
                        "\(unconfirmed) item(s) have no 256-bit pHash (split column phash256 empty): their pairs within the 64-bit radius count unconfirmed"
                ))
        }
        return out
    }

    static func findings(_ rep: AuditReport, inputs: AuditInputs) -> [String] {
        var out: [String] = []
        let total = rep.balance.overall.count
        if total == 0 { out.append("The split set has no items at all.") }
        for c in rep.balance.overall.emptyClasses { out.append("Class '\(c)' has no items in any split.") }
        let ratios = rep.recipe.ratios
        for s in rep.balance.splits {
            if s.count == 0 {
                out.append(
                    "Split '\(s.split)' has no items\((ratios[s.split] ?? 0) > 0 ? " although the recipe gives it \(percent(ratios[s.split]!))" : "")."
                )
            } else {
                let missing = s.emptyClasses.filter { !rep.balance.overall.emptyClasses.contains($0) }
                if !missing.isEmpty {
                    out.append(
                        "Split '\(s.split)' has no items of class \(missing.map { "'\($0)'" }.joined(separator: ", "))."
                    )
                }
            }
        }
        let extra = rep.classes.filter { c in !inputs.recipe.classes.contains { $0.name == c } }
        if !extra.isEmpty {
            out.append("Split files use classes the recipe does not define: \(extra.joined(separator: ", ")).")
        }
        let l = rep.leakage
        if l.nearDuplicatePairs > 0 {
            out.append(
                "\(l.nearDuplicatePairs) near-duplicate pair(s) straddle two splits (pHash within \(l.radius) bits).")
        }
        if l.articlesAcrossSplits > 0 {
            out.append("\(l.articlesAcrossSplits) article(s) have figures in more than one split.")
        }
        if l.groupsAcrossSplits > 0 { out.append("\(l.groupsAcrossSplits) group(s) span more than one split.") }
        if l.repeatedIds > 0 { out.append("\(l.repeatedIds) item id(s) appear more than once across the split files.") }
        if l.itemsWithoutPHash > 0 {
            out.append(
                "\(l.itemsWithoutPHash) item(s) have no readable pHash and were not searched for near duplicates.")
        }
        if let p = rep.balance.chiSquare.pValue, p < 0.05 {
            out.append("The class mix differs between splits (chi-square p = \(p)).")
        }
        if let summary = inputs.summary?.splits {
            for s in AuditInputs.splitNames {
                if let want = summary[s]?.count, want != (inputs.items[s]?.count ?? 0) {
                    out.append(
                        "splits.json says '\(s)' has \(want) items but \(s).csv lists \(inputs.items[s]?.count ?? 0).")
                }
            }
        }
        let perClass = inputs.recipe.classes.map { c in
            rep.balance.overall.classes.first { $0.class == c.name }?.count ?? 0
        }
        if Set(perClass).count == 1, let n = perClass.first, let notice = inputs.recipe.shortNotice(perClass: n) {
            out.append(notice)
        }
        if let s = rep.suspectLabels, s.suspects > 0 {
            out.append("Suspect labels: \(s.summary) (out-of-fold image model; see the suspects section).")
        }
        if !rep.inputProblems.isEmpty {
            out.append("\(rep.inputProblems.count) problem(s) reading the inputs (listed at the end).")
        }
        for g in rep.gates where !g.passed { out.append("Gate \(g.rule) failed: \(g.detail)") }
        return out
    }

    static func percent(_ x: Double) -> String {
        let p = (x * 1000).rounded() / 10
        return p == p.rounded() ? "\(Int(p))%" : "\(p)%"
    }
}

/// The CI gates: each names its rule, its limit and the value met.
enum Gates {
    static func evaluate(_ rep: AuditReport, options: AuditOptions, recipe: Recipe) -> [AuditReport.GateResult] {
        var out: [AuditReport.GateResult] = []
        let f = HTMLRenderer.fmt
        if let x = options.maxImbalance {
            let parts = [rep.balance.overall] + rep.balance.splits.filter { $0.count > 0 }
            // An empty class makes the ratio unbounded.
            let worst = parts.map { ($0.split, $0.imbalanceRatio ?? .infinity) }.max { $0.1 < $1.1 } ?? ("all", 1)
            out.append(
                .init(
                    rule: "max-imbalance", limit: x, value: worst.1.isFinite ? worst.1 : nil, passed: worst.1 <= x,
                    detail: worst.1.isFinite
                        ? "largest/smallest class in '\(worst.0)' is \(f(worst.1)) (limit \(f(x)))"
                        : "'\(worst.0)' has an empty class, so its imbalance is unbounded (limit \(f(x)))"))
        }
        if let n = options.maxLeakage {
            let v = rep.leakage.nearDuplicatePairs + rep.leakage.articlesAcrossSplits
            out.append(
                .init(
                    rule: "max-leakage", limit: Double(n), value: Double(v), passed: v <= n,
                    detail:
                        "\(rep.leakage.nearDuplicatePairs) near-duplicate pair(s) and \(rep.leakage.articlesAcrossSplits) article(s) across splits (limit \(n))"
                ))
        }
        if options.recipeBalance, let g = recipeBalance(rep, recipe: recipe) { out.append(g) }
        if let n = options.minPerClass {
            let ratios = ["train": recipe.split.train, "val": recipe.split.val, "test": recipe.split.test]
            var worst: (String, String, Int)? = nil
            for s in rep.balance.splits where (ratios[s.split] ?? 0) > 0 {
                for c in s.classes where worst == nil || c.count < worst!.2 { worst = (s.split, c.class, c.count) }
            }
            let v = worst?.2 ?? 0
            out.append(
                .init(
                    rule: "min-per-class", limit: Double(n), value: Double(v), passed: v >= n,
                    detail: worst.map { "smallest class is '\($0.1)' in '\($0.0)' with \($0.2) item(s) (limit \(n))" }
                        ?? "no classes"))
        }
        return out
    }

    /// The recipe's balance policy as a gate; nil for policy `none`.
    static func recipeBalance(_ rep: AuditReport, recipe: Recipe) -> AuditReport.GateResult? {
        let policy = recipe.balance.policy
        guard policy != .none else { return nil }
        let counts = recipe.classes.map { c in
            (c.name, rep.balance.overall.classes.first { $0.class == c.name }?.count ?? 0)
        }
        let lo = counts.map(\.1).min() ?? 0, hi = counts.map(\.1).max() ?? 0
        let listing = counts.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
        let need = policy == .target ? recipe.balance.perClass : nil
        let value = lo > 0 ? Double(hi) / Double(lo) : nil
        if lo == 0 || lo != hi {
            return .init(
                rule: "recipe-balance", limit: 1, value: value, passed: false,
                detail:
                    "recipe \(recipe.name) (policy \(policy.rawValue)\(need.map { ", \($0) per class" } ?? "")) asks for equal classes; the split set has \(listing)"
            )
        }
        if let need, lo != need {
            let short = lo < need
            return .init(
                rule: "recipe-balance", limit: 1, value: 1, passed: short,
                detail: short
                    ? "every class has \(lo), short of the recipe's \(need) per class (balanced down with --allow-short; not the published size)"
                    : "every class has \(lo), more than the recipe's \(need) per class")
        }
        return .init(
            rule: "recipe-balance", limit: 1, value: 1, passed: true,
            detail: "every class has \(lo)\(need != nil ? ", the recipe's target" : "") (policy \(policy.rawValue))")
    }
}
