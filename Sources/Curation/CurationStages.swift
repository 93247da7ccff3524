import Foundation
import PairDxCore

/// The curation stages as library calls: each reads the previous stage's files and writes its own.
public enum CurationStages {
    /// `pairdx balance`: `labels.jsonl` → `balanced.jsonl`.
    ///
    /// A `target` policy the labels cannot fill fails (exit 1) naming each short class with have/need, unless
    /// `allowShort`: then every class is cut to the smallest class's count.
    ///
    /// `excludeSuspects` (a `suspects.json` path) drops its suspects from the labelled items first; they are written to
    /// `excluded.jsonl`, which `manifest` records as `excluded.csv`. Without it a stale `excluded.jsonl` is removed,
    /// so the default path writes exactly what it always wrote.
    @discardableResult
    public static func balance(
        work: WorkDirectory, recipe: Recipe, allowShort: Bool = false,
        excludeSuspects: String? = nil
    ) throws -> [BalancedItem] {
        var labels = try JSONL.read(LabelRecord.self, from: work.labels)
        if let excludeSuspects {
            let excluded = try exclusions(excludeSuspects, labels: labels, recipe: recipe)
            let ids = Set(excluded.map(\.id))
            labels = labels.filter { !ids.contains($0.id) }
            try JSONL.write(excluded, to: work.excluded, sortedBy: \.sortKey)
            Log.info("balance: \(excluded.count) suspect label(s) of \(excludeSuspects) left out before balancing")
        } else if FileSystem.exists(work.excluded) {
            try FileManager.default.removeItem(atPath: work.excluded)
        }
        if let short = Balancer.shortfall(labels, recipe: recipe) {
            if !allowShort {
                throw PairDxError.checkFailed(
                    "balance: recipe \(recipe.name) asks for \(short.need) per class and the source is short: "
                        + "\(short). Scan more of the source, or pass --allow-short to balance every class down to \(short.smallest) "
                        + "(not the published size)")
            }
            Log.warning("balance: short of the recipe (\(short)); --allow-short: every class cut to \(short.smallest)")
        }
        let selected = Balancer.select(labels, recipe: recipe, allowShort: allowShort)
        try JSONL.write(selected, to: work.balanced, sortedBy: \.sortKey)
        return selected
    }

    /// The suspects of `path` that are labelled items of this work directory, as exclusions. A suspect whose
    /// label differs from the current label (a suspects file of another labelling) is an error naming the item.
    static func exclusions(_ path: String, labels: [LabelRecord], recipe: Recipe) throws -> [ExcludedItem] {
        let suspects = try SuspectLabels.load(path)
        let digest = SHA256.hex(try FileSystem.read(path))
        let classes = Set(recipe.classes.map(\.name))
        let current = Dictionary(labels.compactMap { l in l.class.map { (l.id, $0) } }, uniquingKeysWith: { a, _ in a })
        var out: [ExcludedItem] = []
        for s in suspects.suspects {
            guard classes.contains(s.label) else {
                throw PairDxError.badInput(
                    "\(path): suspect \(s.id) has class '\(s.label)', not a class of recipe \(recipe.name)")
            }
            guard let now = current[s.id] else { continue }  // no longer labelled: nothing to leave out
            guard now == s.label else {
                throw PairDxError.badInput(
                    "\(path): suspect \(s.id) was labelled '\(s.label)' but labels.jsonl now says '\(now)'; rerun pairdx suspects"
                )
            }
            out.append(ExcludedItem(id: s.id, class: s.label, predicted: s.predicted, suspectsSHA256: digest))
        }
        return out
    }

    /// `pairdx split`: `balanced.jsonl` + figures/images/clusters → `Splits/<name>/`.
    @discardableResult
    public static func split(work: WorkDirectory, recipe: Recipe, name: String, splitDir: String) throws
        -> SplitsSummary
    {
        let selected = try JSONL.read(BalancedItem.self, from: work.balanced)
        let figureList = try JSONL.read(FigureRecord.self, from: work.figures)
        let figures = Dictionary(figureList.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let images =
            FileSystem.exists(work.images)
            ? Dictionary(
                try JSONL.read(ImageRecord.self, from: work.images).map { ($0.sha256, $0) },
                uniquingKeysWith: { a, _ in a })
            : [:]
        let clusters = FileSystem.exists(work.clusters) ? try JSONL.read(ClusterRecord.self, from: work.clusters) : []
        let items = Splitter.group(
            selected, figures: figures, images: images, clusters: clusters, grouping: recipe.split.grouping)
        let assignment = Splitter.assign(items, recipe: recipe, classes: recipe.classes.map(\.name))
        return try SplitFiles.write(
            assignment, to: splitDir, name: name, recipe: recipe,
            sourceSnapshot: SplitFiles.sourceSnapshot(figureList))
    }

    /// `pairdx manifest`: split files + work files → `Manifests/<name>/`.
    public static func manifest(
        work: WorkDirectory, recipe: Recipe, name: String, splitDir: String, manifestDir: String
    ) throws {
        var items: [SplitName: [Splitter.Item]] = [:]
        for s in SplitName.allCases {
            items[s] = try SplitFiles.readCSV(splitDir + "/\(s.rawValue).csv", classes: Set(recipe.classes.map(\.name)))
        }
        let summary = try CanonicalJSON.decode(
            SplitsSummary.self, from: FileSystem.read(splitDir + "/splits.json"),
            source: splitDir + "/splits.json")
        let figures = Dictionary(
            try JSONL.read(FigureRecord.self, from: work.figures).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let candidates = FileSystem.exists(work.candidates) ? try JSONL.read(Candidate.self, from: work.candidates) : []
        let articles = FileSystem.exists(work.articles) ? try JSONL.read(ArticleRecord.self, from: work.articles) : []
        var input = Manifest.Inputs(
            name: name, recipe: recipe,
            assignment: .init(items: items, groupCount: summary.groups.count, largestGroup: summary.groups.largest),
            candidates: candidates, articles: articles, figures: figures)
        if FileSystem.exists(work.excluded) { input.excluded = try JSONL.read(ExcludedItem.self, from: work.excluded) }
        try Manifest.write(input, to: manifestDir, splitFilesRelative: relativePath(from: manifestDir, to: splitDir))
    }

    /// A relative path from directory `from` to `to` (both relative to the same cwd or both absolute).
    static func relativePath(from: String, to: String) -> String {
        let a = URL(fileURLWithPath: from).standardizedFileURL.pathComponents
        let b = URL(fileURLWithPath: to).standardizedFileURL.pathComponents
        var i = 0
        while i < a.count, i < b.count, a[i] == b[i] { i += 1 }
        let ups = Array(repeating: "..", count: a.count - i)
        let rest = Array(b[i...])
        let parts = ups + rest
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }
}
