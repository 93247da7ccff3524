import Foundation
import PairDxCore
import Synchronization

/// `pairdx fetch`: candidates → `articles.jsonl`, `figures.jsonl`, blobs and `fetch-report.json`.
///
/// Resolves versions first, then runs `FetchPipeline` (metadata → JATS → media per article, all
/// articles interleaved in one transfer loop). Resumable: every completed download is stored (metadata and JATS in
/// `work/cache/`, images in `work/blobs/`) before its journal line is written, and a rerun reuses
/// every journalled URL whose bytes are still stored. Outputs are written atomically at the end,
/// sorted and canonical, with source-independent contents (URLs as `s3://…` locations), so a
/// directory and an HTTP server with the same files give identical files.
public final class Fetcher: Sendable {
    public let source: Source
    public let work: WorkDirectory
    public let client: HTTPClient
    let journal: FetchJournal
    let cache: BlobStore
    /// Ask again for URLs an earlier run found missing (404); by default they stay missing.
    public let retryMissing: Bool
    /// Caption-first order: media are fetched only for figures this accepts (nil: every figure's).
    public let wantsMedia: (@Sendable (FigureRecord) -> Bool)?
    /// Versions and listed keys already resolved by this fetcher, by PMCID: a scan that runs it over growing prefixes
    /// lists each unversioned article once, not once per prefix.
    private let resolved = Mutex<(versions: [String: Int], listed: [String: ListedObject])>(([:], [:]))

    public init(
        source: Source, work: WorkDirectory, client: HTTPClient, retryMissing: Bool = false,
        wantsMedia: (@Sendable (FigureRecord) -> Bool)? = nil
    ) throws {
        self.source = source; self.work = work; self.client = client; self.retryMissing = retryMissing
        self.wantsMedia = wantsMedia
        try FileSystem.makeDirectory(work.root)
        journal = try FetchJournal(path: work.path("fetch-journal.jsonl"), base: source.base)
        cache = BlobStore(root: work.path("cache"))
    }

    /// Newest version per candidate without one: a directory listing, or ListObjectsV2 of the keys under `PMCn.`
    /// (paged; one request for almost every article). The listed Size and ETag of every key come back too, and the
    /// article's media downloads are checked against them (`ListedObject`). Each page read is stored and journalled
    /// like a document (once it parses), so a later run in the same work directory reads it from there: an article is
    /// listed once per work directory, not once per run.
    func resolveVersions(_ cs: [Candidate]) async -> (versions: [String: Int], listed: [String: ListedObject]) {
        var out: [String: Int] = [:]
        var listed: [String: ListedObject] = [:]
        var pending: [(pmcid: String, token: String?, guard: PageGuard)] = []
        let known = resolved.withLock { $0 }
        for c in cs {
            if let v = c.version { out[c.pmcid] = v; continue }
            if let v = known.versions[c.pmcid] { out[c.pmcid] = v; continue }
            if let dir = source.directory {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
                let vs = names.compactMap { n -> Int? in
                    guard n.hasPrefix(c.pmcid + "."), let p = PMCID.parse(n), p.id == c.pmcid else { return nil }
                    return p.version
                }
                if let m = vs.max() { out[c.pmcid] = m }
            } else {
                var pages = PageGuard("listing of \(c.pmcid).", maxPages: client.options.maxPages)
                try? pages.next(nil)
                pending.append((c.pmcid, nil, pages))
            }
        }
        while !pending.isEmpty {
            var urls: [String] = []
            for i in pending.indices {
                var url = source.base + "?list-type=2&prefix=\(pending[i].pmcid).&max-keys=1000"
                if let t = pending[i].token {
                    url +=
                        "&continuation-token=" + (t.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? t)
                }
                urls.append(url)
            }
            // A page an earlier run of this work directory read (the plan, a run stopped by a budget) comes from the
            // journal and the cache: no article is listed twice, and a resumed scan resolves the same versions.
            var bodies: [Data?] = urls.map { u in journal.lookup(u).flatMap { FetchPipeline.stored($0, in: cache) } }
            let ask = bodies.indices.filter { bodies[$0] == nil }
            let results = await client.run(ask.map { DownloadRequest(url: urls[$0], kind: .listing) })
            for (i, r) in zip(ask, results) where r.ok { bodies[i] = r.data }
            var next: [(pmcid: String, token: String?, guard: PageGuard)] = []
            let fresh = Set(ask)
            for (i, (url, body)) in zip(urls, bodies).enumerated() {
                let pmcid = pending[i].pmcid
                guard let d = body, let page = try? S3Listing.parse(d, source: url) else { continue }
                if fresh.contains(i), let sha = try? QuickFiles.put(d, into: cache) {
                    journal.record(.init(url: url, sha256: sha, bytes: d.count))
                }
                let vs = page.keys.compactMap { k -> Int? in
                    guard let slash = k.firstIndex(of: "/"), let p = PMCID.parse(String(k[..<slash])), p.id == pmcid
                    else { return nil }
                    return p.version
                }
                if let m = vs.max() { out[pmcid] = max(out[pmcid] ?? 0, m) }
                listed.merge(ListedObject.all(in: page)) { a, _ in a }
                if let token = page.nextToken {
                    var g = pending[i].guard
                    if (try? g.next(token)) != nil {
                        next.append((pmcid, token, g))
                    } else {
                        Log.warning(
                            "fetch: the listing of \(pmcid). did not end (repeated continuation or --max-pages): versions from the pages read"
                        )
                    }
                }
            }
            pending = next
        }
        resolved.withLock { r in
            for c in cs where c.version == nil { if let v = out[c.pmcid] { r.versions[c.pmcid] = v } }
            r.listed.merge(listed) { a, _ in a }
            listed = r.listed
        }
        return (out, listed)
    }

    public func run(_ candidates: [Candidate]) async throws -> FetchReport {
        let started = monotonicSeconds()
        let cs = Discoverer.dedupe(candidates)
        var report = FetchReport()
        report.candidates = cs.count
        var articles: [ArticleRecord] = []
        let (versions, listed) = await resolveVersions(cs)
        var live: [(pmcid: String, version: Int)] = []
        for c in cs {
            if let v = versions[c.pmcid] {
                live.append((c.pmcid, v))
            } else {
                articles.append(
                    ArticleRecord(
                        pmcid: c.pmcid, version: c.version,
                        status: FetchStatus(.metadataError, "no version found at the source")))
            }
        }
        let progress = PairDxCore.Progress("fetch", total: live.count)
        let pipeline = try FetchPipeline(
            source: source, work: work, journal: journal, cache: cache, report: report, progress: progress,
            retryMissing: retryMissing, wantsMedia: wantsMedia, listed: listed)
        let client = self.client
        let items = live
        await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
            let thread = Thread {
                pipeline.run(items, client: client)
                cont.resume()
            }
            thread.stackSize = 4 << 20
            thread.start()
        }
        progress.finish()
        report = pipeline.report
        articles += pipeline.articles
        let figures = pipeline.figures
        for a in articles { report.articles[Fetcher.statusClass(a.status), default: 0] += 1 }
        for f in figures { report.figures[Fetcher.statusClass(f.status), default: 0] += 1 }
        let stats = client.stats
        report.requests = stats.requests; report.retries = stats.retries; report.bytes = stats.bytes
        report.seconds = (monotonicSeconds() - started).rounded(toPlaces: 3)
        report.requestsPerSecond =
            report.seconds > 0 ? (Double(stats.requests) / report.seconds).rounded(toPlaces: 2) : 0
        try journal.sync()
        try QuickFiles.syncFilesystem(work.root)  // every blob durable before the outputs name them
        try JSONL.write(articles, to: work.articles, sortedBy: \.sortKey)
        try JSONL.write(figures, to: work.figures, sortedBy: \.sortKey)
        try AtomicFile.write(try CanonicalJSON.encode(report, pretty: true), to: work.fetchReport)
        return report
    }

    /// The media phase of a caption-first scan: fetches the media of the `selected` figures among `figures` (records
    /// of a caption phase, `run` with a `wantsMedia` that refused them) and returns every record, the selected ones
    /// settled (`ok` with their blob, or why not). Journalled media cost no request; the checks against listed sizes
    /// and ETags apply to the articles this fetcher resolved. Writes no work file: the caller decides which records
    /// describe the prefix.
    public func fetchMedia(_ figures: [FigureRecord], selected: Set<String>) async throws -> [FigureRecord] {
        let progress = PairDxCore.Progress("media", total: nil)
        let pipeline = try FetchPipeline(
            source: source, work: work, journal: journal, cache: cache, report: FetchReport(), progress: progress,
            retryMissing: retryMissing, listed: resolved.withLock { $0.listed })
        let client = self.client
        await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
            let thread = Thread {
                pipeline.runMedia(figures, selected: selected, client: client)
                cont.resume()
            }
            thread.stackSize = 4 << 20
            thread.start()
        }
        progress.finish()
        try journal.sync()
        try QuickFiles.syncFilesystem(work.root)  // every blob durable before the outputs name them
        return pipeline.figures
    }

    /// The keys (size, single-part ETag) the listings this fetcher read gave: a sharded scan's tasks hand them to the
    /// process that runs the media phase (`remember`), so its media are checked as a one-process scan's are.
    public var listedObjects: [String: ListedObject] { resolved.withLock { $0.listed } }

    /// Adds listed keys read by another fetcher (see `listedObjects`).
    public func remember(listed: [String: ListedObject]) {
        resolved.withLock { $0.listed.merge(listed) { a, _ in a } }
    }

    /// A figure id usable inside an item id: `/` and whitespace replaced by `_`.
    static func safeFigureID(_ id: String) -> String {
        String(id.map { $0 == "/" || $0.isWhitespace ? "_" : $0 })
    }

    /// `http-error: network` → `http-error`; `ok` → `ok`.
    static func statusClass(_ s: FetchStatus) -> String { String(s.rawValue.prefix(while: { $0 != ":" })) }
}

extension Double {
    func rounded(toPlaces n: Int) -> Double {
        let m = pow(10, Double(n)); return (self * m).rounded() / m
    }
}
