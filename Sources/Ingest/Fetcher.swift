import Foundation
import PairDxCore

/// `pairdx fetch`: candidates → `articles.jsonl`, `figures.jsonl`, blobs and `fetch-report.json`.
///
/// Works in waves over all candidates (resolve versions → metadata → JATS → media) so every wave
/// runs at full concurrency. Resumable: every completed download is stored (metadata and JATS in
/// `work/cache/`, images in `work/blobs/`) before its journal line is written, and a rerun reuses
/// every journalled URL whose bytes are still stored. Outputs are written atomically at the end,
/// sorted and canonical, with source-independent contents (URLs as `s3://…` locations), so a
/// directory and an HTTP server with the same files give identical files.
public final class Fetcher: @unchecked Sendable {
    public let source: Source
    public let work: WorkDirectory
    public let client: HTTPClient
    let journal: FetchJournal
    let cache: BlobStore
    var report = FetchReport()
    private let lock = NSLock()

    public init(source: Source, work: WorkDirectory, client: HTTPClient) throws {
        self.source = source; self.work = work; self.client = client
        try FileSystem.makeDirectory(work.root)
        journal = try FetchJournal(path: work.path("fetch-journal.jsonl"))
        cache = BlobStore(root: work.path("cache"))
    }

    struct Doc { var data: Data?; var failure: String?; var missing = false }

    /// In-memory documents by URL, through the journal and cache.
    func documents(_ urls: [String]) async -> [Doc] {
        var out = [Doc?](repeating: nil, count: urls.count)
        var todo: [Int] = []
        for (i, u) in urls.enumerated() {
            if let e = journal.lookup(u), QuickFiles.size(cache.path(for: e.sha256)) == e.bytes,
               let d = try? cache.read(e.sha256), SHA256.hex(d) == e.sha256 { out[i] = Doc(data: d); report.reused += 1 }
            else { todo.append(i) }
        }
        let results = await client.run(todo.map { DownloadRequest(url: urls[$0]) }) { [journal, cache] _, r in
            guard r.ok, let d = r.data, let sha = try? QuickFiles.put(d, into: cache) else { return }
            journal.record(.init(url: r.url, sha256: sha, bytes: d.count))
        }
        for (k, i) in todo.enumerated() {
            let r = results[k]
            if r.ok { out[i] = Doc(data: r.data) }
            else {
                let missing = r.errorClass == "not-found" || r.status == 404
                if !missing { count(\.httpErrors, r.errorClass) }
                out[i] = Doc(data: nil, failure: missing ? "not found" : r.errorClass, missing: missing)
            }
        }
        return out.map { $0! }
    }

    func count(_ kp: WritableKeyPath<FetchReport, [String: Int]>, _ key: String) {
        lock.lock(); report[keyPath: kp][key, default: 0] += 1; lock.unlock()
    }

    /// Newest version per candidate without one: a directory listing or ListObjectsV2 by prefix.
    func resolveVersions(_ cs: [Candidate]) async -> [String: Int] {
        var out: [String: Int] = [:]
        var listURLs: [(String, String)] = []
        for c in cs {
            if let v = c.version { out[c.pmcid] = v; continue }
            if let dir = source.directory {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
                let vs = names.compactMap { n -> Int? in
                    guard n.hasPrefix(c.pmcid + "."), let p = PMCID.parse(n), p.id == c.pmcid else { return nil }
                    return p.version
                }
                if let m = vs.max() { out[c.pmcid] = m }
            } else {
                listURLs.append((c.pmcid, source.base + "?list-type=2&delimiter=%2F&prefix=\(c.pmcid).&max-keys=1000"))
            }
        }
        let results = await client.run(listURLs.map { DownloadRequest(url: $0.1) })
        for ((pmcid, url), r) in zip(listURLs, results) {
            guard r.ok, let d = r.data, let page = try? S3Listing.parse(d, source: url) else { continue }
            let vs = page.prefixes.compactMap { PMCID.parse(String($0.dropLast())) }.filter { $0.id == pmcid }.compactMap(\.version)
            if let m = vs.max() { out[pmcid] = m }
        }
        return out
    }

    struct Pending {
        var article: ArticleRecord
        var meta: ArticleMetadata
        var jats: JATSArticle
    }

    struct MediaJob { var figureIndex: Int; var url: String }

    public func run(_ candidates: [Candidate]) async throws -> FetchReport {
        let started = monotonicSeconds()
        let cs = Discoverer.dedupe(candidates)
        report.candidates = cs.count
        var articles: [ArticleRecord] = []
        var figures: [FigureRecord] = []

        let versions = await resolveVersions(cs)
        Log.debug(String(format: "fetch: versions resolved at %.2f s", monotonicSeconds() - started))
        var live: [(pmcid: String, version: Int)] = []
        for c in cs {
            if let v = versions[c.pmcid] { live.append((c.pmcid, v)) }
            else { articles.append(ArticleRecord(pmcid: c.pmcid, version: c.version, status: "metadata-error: no version found at the source")) }
        }
        // Metadata.
        let metaDocs = await documents(live.map { source.url(for: Source.metadataKey($0.pmcid, $0.version))! })
        Log.debug(String(format: "fetch: metadata at %.2f s", monotonicSeconds() - started))
        var withMeta: [(key: String, record: ArticleRecord, meta: ArticleMetadata)] = []
        for (a, doc) in zip(live, metaDocs) {
            let key = "\(a.pmcid).\(a.version)"
            var rec = ArticleRecord(pmcid: a.pmcid, version: a.version, status: "ok")
            guard let data = doc.data else {
                rec.status = doc.missing ? "metadata-error: \(key).json not found" : "http-error: \(doc.failure ?? "")"
                articles.append(rec); continue
            }
            let meta: ArticleMetadata
            do { meta = try JSONDecoder().decode(ArticleMetadata.self, from: data) } catch {
                rec.status = "metadata-error: \(key).json: \(CanonicalJSON.describe(error))"; articles.append(rec); continue
            }
            rec.license = meta.licenseCode; rec.pmid = meta.pmid; rec.doi = meta.doi; rec.title = meta.title
            if meta.pmcid != a.pmcid { rec.status = "metadata-error: \(key).json names \(meta.pmcid)" }
            else if meta.isRetracted == true { rec.status = "retracted" }
            else if meta.isOpenAccess == false { rec.status = "not-open-access" }
            if rec.status != "ok" { articles.append(rec); continue }
            withMeta.append((key, rec, meta))
        }
        // JATS.
        let xmlURLs = withMeta.map { m in source.url(for: m.meta.xmlURL ?? "\(m.key)/\(m.key).xml") ?? "invalid:" }
        let xmlDocs = await documents(xmlURLs)
        Log.debug(String(format: "fetch: JATS at %.2f s", monotonicSeconds() - started))
        var pending: [Pending] = []
        for (m, doc) in zip(withMeta, xmlDocs) {
            var rec = m.record
            guard let data = doc.data else {
                rec.status = doc.missing ? "xml-error: \(m.key).xml not found" : "http-error: \(doc.failure ?? "")"
                articles.append(rec); continue
            }
            do {
                let jats = try JATSParser.parse(data, source: "\(m.key).xml")
                rec.figures = jats.figures.reduce(0) { $0 + $1.graphics.count }
                if rec.pmid == nil { rec.pmid = jats.pmid }
                if rec.doi == nil { rec.doi = jats.doi }
                if rec.title == nil { rec.title = jats.title }
                if rec.figures == 0 { rec.status = "no-figures"; articles.append(rec); continue }
                pending.append(Pending(article: rec, meta: m.meta, jats: jats))
            } catch {
                rec.status = "xml-error: \(error.message)"; articles.append(rec)
            }
        }
        // Figures and media.
        var jobs: [MediaJob] = []
        for p in pending {
            articles.append(p.article)
            let key = "\(p.article.pmcid).\(p.article.version ?? 1)"
            for f in p.jats.figures {
                let figureID = Fetcher.safeFigureID(f.id)
                for (gi, href) in f.graphics.enumerated() {
                    let id = ItemID.make(pmcid: p.article.pmcid, figure: figureID, graphic: gi + 1, of: f.graphics.count)
                    var fig = FigureRecord(id: id, pmcid: p.article.pmcid, version: p.article.version, figure: figureID,
                                           label: f.label, caption: f.caption, context: f.context, href: href, media: nil,
                                           license: p.meta.licenseCode, sha256: nil, bytes: nil, url: nil, status: "ok")
                    switch MediaResolver.resolve(href: href, mediaURLs: p.meta.mediaURLs, articleKey: key) {
                    case .unsafe(let name): fig.status = "unsafe-name: \(name)"
                    case .missing: fig.status = "media-missing"
                    case .unsupported(let ext, let name):
                        fig.status = "unsupported-format: \(ext)"; fig.media = name
                    case .media(let name, let location):
                        fig.media = name; fig.url = location
                        if let url = source.url(for: location) { jobs.append(MediaJob(figureIndex: figures.count, url: url)) }
                        else { fig.status = "unsafe-name: \(location)" }
                    }
                    figures.append(fig)
                }
            }
        }
        try await fetchMedia(jobs, into: &figures)
        Log.debug(String(format: "fetch: media at %.2f s", monotonicSeconds() - started))
        for a in articles { count(\.articles, Fetcher.statusClass(a.status)) }
        for f in figures { count(\.figures, Fetcher.statusClass(f.status)) }
        let stats = client.stats
        report.requests = stats.requests; report.retries = stats.retries; report.bytes = stats.bytes
        report.seconds = (monotonicSeconds() - started).rounded(toPlaces: 3)
        report.requestsPerSecond = stats.seconds > 0 ? (Double(stats.requests) / stats.seconds).rounded(toPlaces: 2) : 0
        QuickFiles.syncFilesystem(work.root)   // every blob durable before the outputs name them
        Log.debug(String(format: "fetch: synced at %.2f s", monotonicSeconds() - started))
        try JSONL.write(articles, to: work.articles, sortedBy: \.sortKey)
        try JSONL.write(figures, to: work.figures, sortedBy: \.sortKey)
        try AtomicFile.write(try CanonicalJSON.encode(report, pretty: true), to: work.fetchReport)
        return report
    }

    /// Downloads media into `work/.partial/`, checks magic bytes, adopts images into the blob store.
    func fetchMedia(_ jobs: [MediaJob], into figures: inout [FigureRecord]) async throws {
        let partial = work.path(".partial")
        try FileSystem.makeDirectory(partial)
        let blobs = work.blobs
        var byURL: [String: [Int]] = [:]
        for j in jobs { byURL[j.url, default: []].append(j.figureIndex) }
        let urls = byURL.keys.sorted()
        var entries: [String: FetchJournal.Entry] = [:]
        var todo: [String] = []
        for u in urls {
            if let e = journal.lookup(u), e.reject != nil || QuickFiles.size(blobs.path(for: e.sha256)) == e.bytes {
                entries[u] = e; report.reused += 1
            }
            else { todo.append(u) }
        }
        let progress = Progress("fetch media", total: todo.count)
        let requests = todo.map { DownloadRequest(url: $0, destination: partial + "/" + SHA256.hex($0)) }
        let results = await client.run(requests) { [journal] i, r in
            defer { progress.advance() }
            guard r.ok, let sha = r.sha256, let dest = requests[i].destination else { return }
            let kind = MagicBytes.kind(MagicBytes.head(of: dest))
            if kind == "png" || kind == "jpeg" {
                guard (try? QuickFiles.adopt(dest, sha256: sha, into: blobs)) != nil else { return }
                journal.record(.init(url: r.url, sha256: sha, bytes: r.bytes))
            } else {
                unlink(dest)
                let reason = (kind == "gif" || kind == "tif") ? "unsupported-format: \(kind)" : "not-an-image: \(kind)"
                journal.record(.init(url: r.url, sha256: sha, bytes: r.bytes, reject: reason))
            }
        }
        progress.finish()
        for (u, r) in zip(todo, results) {
            if let e = journal.lookup(u), r.ok { entries[u] = e; continue }
            let missing = r.errorClass == "not-found" || r.status == 404
            let cls = r.ok ? "io" : r.errorClass
            if !missing { count(\.httpErrors, cls) }
            for i in byURL[u] ?? [] {
                figures[i].status = missing ? "media-missing" : (cls == "too-large" ? "too-large" : "http-error: \(cls)")
            }
        }
        for (u, e) in entries {
            for i in byURL[u] ?? [] {
                if let reject = e.reject { figures[i].status = reject; continue }
                figures[i].sha256 = e.sha256; figures[i].bytes = e.bytes
            }
        }
    }

    /// A figure id usable inside an item id: `/` and whitespace replaced by `_`.
    static func safeFigureID(_ id: String) -> String {
        String(id.map { $0 == "/" || $0.isWhitespace ? "_" : $0 })
    }

    /// `http-error: network` → `http-error`; `ok` → `ok`.
    static func statusClass(_ s: String) -> String { String(s.prefix(while: { $0 != ":" })) }
}

extension Double {
    func rounded(toPlaces n: Int) -> Double {
        let m = pow(10, Double(n)); return (self * m).rounded() / m
    }
}
