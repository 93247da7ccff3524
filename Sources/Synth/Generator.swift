import Foundation
import PairDxCore

/// What to generate and where.
public struct SynthOptions: Sendable {
    public var seed: UInt64
    /// The mirror directory; created when absent. Must be empty unless `force` is set.
    public var out: String
    public var figures: Int
    /// Truth file path; default `<out>.truth.json` beside the mirror.
    public var truth: String?
    public var threads: Int
    /// Replace `PMC*` folders already in `out` (nothing else there is touched).
    public var force: Bool
    /// The figure mix: the demo's six classes, or PubMed Central-like proportions.
    public var profile: SynthProfile

    public init(
        seed: UInt64, out: String, figures: Int = 600, truth: String? = nil, threads: Int = Platform.coreCount,
        force: Bool = false,
        profile: SynthProfile = .demo
    ) {
        self.seed = seed; self.out = out; self.figures = figures; self.truth = truth; self.threads = threads;
        self.force = force
        self.profile = profile
    }

    public var truthPath: String {
        if let truth { return truth }
        var o = out
        while o.count > 1 && o.hasSuffix("/") { o.removeLast() }
        return o + ".truth.json"
    }
}

/// What was generated (printed by `pairdx synth`).
public struct SynthSummary: Codable, Sendable {
    public var seed: UInt64
    public var out: String
    public var truth: String
    /// Distinct articles (pmcids), and version folders (one more per multi-version article).
    public var articles: Int
    public var versions: Int
    /// Figure items in the newest versions (what `--figures` asks for).
    public var figures: Int
    public var mediaFiles: Int
    /// Bytes written into the mirror (XML, JSON and media).
    public var bytes: Int
    public var seconds: Double
}

/// Generates the embedded demo corpus: a PMC Cloud-layout mirror plus its truth file.
///
/// Work is planned sequentially (O(figures)), then figures are drawn, encoded and written in parallel, one
/// job per drawn image together with its duplicates; XML and JSON follow. Each job's bytes depend only on
/// (seed, item id), so the mirror is byte-identical for a seed whatever the thread count.
public enum SynthGenerator {
    public static func run(_ options: SynthOptions) throws -> SynthSummary {
        let start = Date()
        guard options.figures >= CorpusPlan.minimumFigures else {
            throw PairDxError.usage(
                "--figures must be at least \(CorpusPlan.minimumFigures) so that every planted hazard fits (got \(options.figures))"
            )
        }
        guard options.threads >= 1 else { throw PairDxError.usage("--threads must be at least 1") }
        try prepare(options)
        var planned = CorpusPlan.make(seed: options.seed, figureCount: options.figures)
        if options.profile == .pmc { PMCProfile.apply(&planned) }
        let plan = planned
        let out = options.out
        for a in plan.articles {
            try FileSystem.makeDirectory(folder(out, a, a.version))
            if plan.multiVersion.contains(a.index) { try FileSystem.makeDirectory(folder(out, a, 1)) }
        }

        // Media, in parallel.
        var derived: [Int: [Int]] = [:]
        for f in plan.figures {
            switch f.source {
            case .own: break
            case .exactCopy(let root), .near(let root, _): derived[root, default: []].append(f.index)
            }
        }
        var jobs: [Job] = []
        for f in plan.figures where f.source == .own && f.hazard != .missing {
            jobs.append(.figure(f.index, derived[f.index] ?? []))
        }
        for a in plan.articles {
            if a.table { jobs.append(.table(a.index)) }
            if a.formula { jobs.append(.formula(a.index)) }
        }
        let allJobs = jobs
        let tally = Tally()
        let progress = Progress("synth: media", total: jobs.count)
        let threads = min(options.threads, max(1, jobs.count))
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            while let j = tally.take(allJobs.count) {
                do {
                    let written = try run(allJobs[j], plan: plan, out: out)
                    tally.add(bytes: written.bytes, files: written.files)
                } catch { tally.fail(error) }
                progress.advance()
            }
        }
        progress.finish()
        if let error = tally.error { throw error }

        // Older versions, then XML and JSON of every version folder.
        var bytes = tally.bytes, files = tally.files
        for i in plan.multiVersion.sorted() {
            let a = plan.articles[i]
            let (elements, override) = olderVersion(a, plan: plan)
            for name in mediaNames(a, elements: elements, figures: plan.figures) {
                let src = folder(out, a, a.version) + "/" + name
                guard FileSystem.exists(src) else { continue }
                let d = try FileSystem.read(src)
                try write(d, to: folder(out, a, 1) + "/" + name)
                bytes += d.count; files += 1
            }
            bytes += try writeArticle(a, version: 1, elements: elements, override: override, plan: plan, out: out)
        }
        for a in plan.articles {
            bytes += try writeArticle(a, version: a.version, elements: a.elements, override: [:], plan: plan, out: out)
        }
        var truth = SynthTruth.make(plan)
        if options.profile == .pmc { PMCProfile.annotate(&truth, plan: plan) }
        try AtomicFile.write(try CanonicalJSON.encode(truth, pretty: true), to: options.truthPath)
        return SynthSummary(
            seed: options.seed, out: out, truth: options.truthPath, articles: plan.articles.count,
            versions: plan.articles.count + plan.multiVersion.count, figures: plan.figures.count,
            mediaFiles: files, bytes: bytes, seconds: Date().timeIntervalSince(start))
    }

    enum Job: Sendable {
        case figure(Int, [Int])
        case table(Int)
        case formula(Int)
    }

    /// Draws one image, writes it and its duplicates; returns bytes and files written.
    private static func run(_ job: Job, plan: CorpusPlan, out: String) throws -> (bytes: Int, files: Int) {
        let seed = plan.seed
        var bytes = 0, files = 0
        func put(_ d: Data, _ f: FigurePlan) throws {
            let a = plan.articles[f.article]
            try write(d, to: folder(out, a, a.version) + "/" + f.media)
            bytes += d.count; files += 1
        }
        switch job {
        case .table(let i):
            let a = plan.articles[i]
            let d = try MediaRenderer.tableImage(seed: seed, id: a.pmcid)
            try write(d, to: folder(out, a, a.version) + "/" + a.tableMedia)
            return (d.count, 1)
        case .formula(let i):
            let a = plan.articles[i]
            let d = try MediaRenderer.formulaImage(seed: seed, id: a.pmcid)
            try write(d, to: folder(out, a, a.version) + "/" + a.formulaMedia)
            return (d.count, 1)
        case .figure(let index, let derivedItems):
            let f = plan.figures[index]
            if f.hazard == .nonImage {
                try put(Hazards.html(title: f.id), f)
                return (bytes, files)
            }
            let pixels = MediaRenderer.draw(f, seed: seed)
            var data = try MediaRenderer.encode(pixels, as: f)
            switch f.hazard {
            case .corrupt: data = Hazards.corrupt(data, seed: seed, id: f.id)
            case .truncated: data = Hazards.truncate(data, seed: seed, id: f.id)
            default: break
            }
            try put(data, f)
            for d in derivedItems {
                let g = plan.figures[d]
                switch g.source {
                case .exactCopy: try put(data, g)
                case .near(_, let how):
                    try put(
                        try MediaRenderer.encode(MediaRenderer.derive(g, from: pixels, how: how, seed: seed), as: g), g)
                case .own: break
                }
            }
            return (bytes, files)
        }
    }

    /// Version 1 of a multi-version article: without its last element, and with a different first caption.
    private static func olderVersion(_ a: ArticlePlan, plan: CorpusPlan) -> ([FigureElement], [String: Caption]) {
        let elements = a.elements.count > 1 ? Array(a.elements.dropLast()) : a.elements
        var override: [String: Caption] = [:]
        if case .fig(_, _, let items, _)? = elements.first {
            let f = plan.figures[items[0]]
            var r = SynthRandom(seed: plan.seed, domain: "synth.caption.v1", id: f.id)
            override[f.id] = CaptionWriter.write(kind: f.kind, truth: f.cls, rng: &r)
        }
        return (elements, override)
    }

    private static func mediaNames(_ a: ArticlePlan, elements: [FigureElement], figures: [FigurePlan]) -> [String] {
        var names: [String] = []
        for e in elements {
            switch e {
            case .fig(_, _, let items, _): names += items.map { figures[$0].media }
            case .group(_, _, _, let children): names += children.map { figures[$0.item].media }
            }
        }
        if a.table { names.append(a.tableMedia) }
        if a.formula { names.append(a.formulaMedia) }
        return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    private static func writeArticle(
        _ a: ArticlePlan, version: Int, elements: [FigureElement], override: [String: Caption],
        plan: CorpusPlan, out: String
    ) throws -> Int {
        let key = "\(a.pmcid).\(version)"
        let dir = folder(out, a, version)
        let xml = Data(
            JATSWriter.xml(
                article: a, elements: elements, figures: plan.figures, version: version, captionOverride: override
            ).utf8)
        let meta = ArticleMetadata(
            pmcid: a.pmcid, version: version, licenseCode: a.license, isOpenAccess: a.openAccess,
            isRetracted: a.retracted,
            xmlURL: ArticleMetadata.bucket + "\(key)/\(key).xml",
            mediaURLs: mediaNames(a, elements: elements, figures: plan.figures).map {
                ArticleMetadata.bucket + "\(key)/\($0)"
            },
            pmid: a.pmid, doi: a.doi, title: a.title)
        let json = try CanonicalJSON.encode(meta, pretty: true)
        try write(xml, to: "\(dir)/\(key).xml")
        try write(json, to: "\(dir)/\(key).json")
        return xml.count + json.count
    }

    private static func folder(_ out: String, _ a: ArticlePlan, _ version: Int) -> String {
        "\(out)/\(a.pmcid).\(version)"
    }

    private static func write(_ d: Data, to path: String) throws {
        do { try d.write(to: URL(fileURLWithPath: path)) } catch {
            throw PairDxError.io("cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// Creates `out`, or checks it is empty; with `force`, removes `PMC*` folders left by an earlier run.
    private static func prepare(_ o: SynthOptions) throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: o.out, isDirectory: &isDir) {
            guard isDir.boolValue else { throw PairDxError.usage("--out \(o.out) exists and is not a directory") }
            let entries = (try? fm.contentsOfDirectory(atPath: o.out)) ?? []
            if !entries.isEmpty {
                guard o.force else {
                    throw PairDxError.usage(
                        "--out \(o.out) is not empty; choose a new directory, or pass --force to replace the PMC* folders in it"
                    )
                }
                for e in entries where e.hasPrefix("PMC") {
                    do { try fm.removeItem(atPath: o.out + "/" + e) } catch {
                        throw PairDxError.io("cannot remove \(o.out)/\(e): \(error.localizedDescription)")
                    }
                }
            }
        }
        try FileSystem.makeDirectory(o.out)
    }
}

/// Shared counters of the parallel media phase. Thread-safe.
private final class Tally: @unchecked Sendable {
    private let lock = NSLock()
    private var nextJob = 0
    private(set) var bytes = 0
    private(set) var files = 0
    private(set) var error: Error?

    /// The next job index, or nil when all are taken or one has failed.
    func take(_ count: Int) -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard error == nil, nextJob < count else { return nil }
        defer { nextJob += 1 }
        return nextJob
    }

    func add(bytes b: Int, files f: Int) { lock.lock(); bytes += b; files += f; lock.unlock() }
    func fail(_ e: Error) { lock.lock(); if error == nil { error = e }; lock.unlock() }
}
