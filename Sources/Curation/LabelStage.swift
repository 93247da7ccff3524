import Foundation
import PairDxCore

/// `pairdx label`: joins fetch statuses, image checks, duplicate clusters and the caption rules into one
/// verdict per figure (`labels.jsonl`). Reasons are checked in pipeline order, so each figure carries the
/// first thing that excluded it: fetch status → image rejected → image too small → duplicate dropped →
/// caption rules (too short, excluded, no rule matched, ambiguous).
public enum LabelStage {
    public struct Summary: Codable, Sendable, Equatable {
        public var figures: Int
        public var labelled: Int
        public var perClass: [String: Int]
        public var reasons: [String: Int]
    }

    /// Labels every figure. `shard`, when given, restricts the work to that shard's items (the per-item part).
    public static func run(work: WorkDirectory, recipe: Recipe, shard: Shard? = nil) throws -> Summary {
        let figures = try JSONL.read(FigureRecord.self, from: work.figures)
        let images =
            try FileSystem.exists(work.images)
            ? Dictionary(
                JSONL.read(ImageRecord.self, from: work.images).map { ($0.sha256, $0) }, uniquingKeysWith: { a, _ in a }
            )
            : [:]
        var dropped = Set<String>()
        if FileSystem.exists(work.clusters) {
            for c in try JSONL.read(ClusterRecord.self, from: work.clusters) {
                for m in c.members where m != c.keep { dropped.insert(m) }
            }
        }
        let labeler = Labeler(recipe: recipe)
        var out: [LabelRecord] = []
        out.reserveCapacity(figures.count)
        for f in figures where shard?.contains(f.id) ?? true {
            out.append(
                label(
                    f, image: f.sha256.flatMap { images[$0] }, dropped: dropped.contains(f.id),
                    labeler: labeler, minSide: recipe.minImageSide, imagesKnown: !images.isEmpty))
        }
        try JSONL.write(out, to: work.path(work.sharded("labels.jsonl", shard: shard)), sortedBy: \.sortKey)
        return summarize(out)
    }

    static func label(
        _ f: FigureRecord, image: ImageRecord?, dropped: Bool, labeler: Labeler, minSide: Int,
        imagesKnown: Bool
    ) -> LabelRecord {
        let verdict = labeler.label(caption: f.caption)
        func reject(_ reason: String) -> LabelRecord {
            LabelRecord(id: f.id, class: nil, reason: reason, matched: verdict.matched, classes: verdict.classes)
        }
        // Caption-first: the caption was judged before any media request; its own reason is the verdict.
        if f.status == FetchStatus.captionUnlabelled { return reject(verdict.reason ?? "no-rule-matched") }
        if !f.status.isOK { return reject("fetch: \(f.status)") }
        if imagesKnown {
            guard let image else { return reject("image-rejected: not hashed") }
            if let r = image.reject { return reject("image-rejected: \(r)") }
            if min(image.width ?? 0, image.height ?? 0) < minSide { return reject("image-too-small") }
        }
        if dropped { return reject("duplicate-dropped") }
        return LabelRecord(
            id: f.id, class: verdict.class, reason: verdict.reason, matched: verdict.matched,
            classes: verdict.classes)
    }

    public static func summarize(_ labels: [LabelRecord]) -> Summary {
        var perClass: [String: Int] = [:], reasons: [String: Int] = [:]
        for l in labels {
            if let c = l.class { perClass[c, default: 0] += 1 }
            if let r = l.reason {
                reasons[
                    r.hasPrefix("image-rejected") || r.hasPrefix("fetch:") ? String(r.prefix(while: { $0 != ":" })) : r,
                    default: 0] += 1
            }
        }
        return Summary(
            figures: labels.count, labelled: perClass.values.reduce(0, +), perClass: perClass, reasons: reasons)
    }
}
