import Foundation
import PairDxCore

/// The per-article state machine behind `Fetcher`: metadata → JATS → media, each completion
/// enqueuing the next requests, so the transfer slots never wait for a whole stage to drain.
///
/// Runs entirely on the transfer thread (`HTTPClient.stream` calls back serially), so its state
/// needs no lock (it is handed to that thread and read back only after the thread is done). Every downloaded document is stored before its journal line is written; a
/// journalled URL whose stored bytes are intact is handled without a request.
final class FetchPipeline: @unchecked Sendable {
    let source: Source
    let work: WorkDirectory
    let journal: FetchJournal
    let cache: BlobStore
    let blobs: BlobStore
    let partial: String
    /// Ask again for URLs the journal remembers as 404 (the source may have been repaired).
    let retryMissing: Bool
    /// Articles settled (metadata and JATS read, or skipped), for the terminal progress line.
    let progress: PairDxCore.Progress
    /// Caption-first order: a figure this refuses costs no media request (status `FetchStatus.captionUnlabelled`).
    let wantsMedia: (@Sendable (FigureRecord) -> Bool)?
    /// Size and single-part ETag (MD5) of media keys from the listings read while resolving versions: a body that
    /// does not match them fails its figure for this run (`length-mismatch`, `md5-mismatch`) and is never journalled.
    let listed: [String: ListedObject]

    var report: FetchReport
    var articles: [ArticleRecord] = []
    var figures: [FigureRecord] = []
    private var live: [(pmcid: String, version: Int)] = []
    private var metas: [ArticleMetadata?] = []
    private var records: [ArticleRecord] = []
    /// Media URL → figure indices waiting for it; and the outcome once known.
    private var waiting: [String: [Int]] = [:]
    private var done: [String: FetchJournal.Entry] = [:]

    /// `size`: the listing of one media key, asked when its server sent no length (see `sizeChecked`).
    enum Kind: Int { case metadata = 0, jats = 1, media = 2, size = 3 }

    init(
        source: Source, work: WorkDirectory, journal: FetchJournal, cache: BlobStore, report: FetchReport,
        progress: PairDxCore.Progress, retryMissing: Bool = false,
        wantsMedia: (@Sendable (FigureRecord) -> Bool)? = nil,
        listed: [String: ListedObject] = [:]
    ) throws {
        self.source = source; self.work = work; self.journal = journal; self.cache = cache
        self.retryMissing = retryMissing; self.wantsMedia = wantsMedia; self.listed = listed
        self.blobs = work.blobs; self.report = report; self.progress = progress
        partial = work.path(".partial")
        try FileSystem.makeDirectory(partial)
        FetchPipeline.removeLeftovers(in: partial)
    }

    /// Removes the temporary files a killed run left in `dir` (downloads that never finished). Each run
    /// names its own temporaries, so whatever is there when a run starts is garbage. O(files in `dir`).
    static func removeLeftovers(in dir: String) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        var removed = 0
        for name in names where unlink(dir + "/" + name) == 0 { removed += 1 }
        if removed > 0 { Log.info("fetch: removed \(removed) unfinished download(s) of an earlier run from \(dir)") }
    }

    static func tag(_ kind: Kind, _ index: Int) -> Int { index * 4 + kind.rawValue }

    /// Runs the pipeline over articles with known versions; fills `articles`, `figures`, `report`.
    func run(_ items: [(pmcid: String, version: Int)], client: HTTPClient) {
        live = items
        metas = Array(repeating: nil, count: items.count)
        records = items.map { ArticleRecord(pmcid: $0.pmcid, version: $0.version, status: .ok) }
        var initial: [DownloadRequest] = []
        for i in items.indices {
            initial += requestDocument(
                .metadata, i, url: source.url(for: Source.metadataKey(items[i].pmcid, items[i].version))!)
        }
        client.stream(initial) { request, result in
            let i = request.tag / 4
            switch Kind(rawValue: request.tag % 4)! {
            case .metadata, .jats:
                var doc: Data? = nil
                var failure: DownloadErrorClass? = nil
                var entry: FetchJournal.Entry? = nil
                if result.ok, let d = result.data {
                    // Journalled only once it parses (in `metadata`/`jats`): a malformed body is asked for again next run.
                    if let sha = try? QuickFiles.put(d, into: cache) {
                        entry = .init(url: result.url, sha256: sha, bytes: d.count)
                    }
                    doc = d
                } else {
                    failure = self.failure(result)
                    if failure == .notFound {
                        journal.record(
                            .init(url: result.url, sha256: "", bytes: 0, reject: FetchJournal.Entry.notFound))
                    }
                }
                return Kind(rawValue: request.tag % 4) == .metadata
                    ? metadata(i, doc, failure, journal: entry)
                    : jats(i, doc, failure, journal: entry)
            case .media:
                return mediaFinished(request, result)
            case .size:
                return sizeChecked(request, result)
            }
        }
    }

    /// The media phase of a caption-first scan: fetches the media of the figures `selected` names among `figures`
    /// (records of an earlier caption phase, whose media were not asked for), through the same checks, journal and
    /// blob store as `run`; fills `figures` with every record, the selected ones settled. A journalled medium costs no
    /// request.
    func runMedia(_ records: [FigureRecord], selected: Set<String>, client: HTTPClient) {
        figures = records
        var initial: [DownloadRequest] = []
        for i in figures.indices where selected.contains(figures[i].id) {
            guard let location = figures[i].url, let url = source.url(for: location) else { continue }
            figures[i].status = .ok; figures[i].sha256 = nil; figures[i].bytes = nil
            initial += requestMedia(url, figure: i, listed: Source.key(of: location).flatMap { listed[$0] })
        }
        client.stream(initial) { request, result in
            switch Kind(rawValue: request.tag % 4)! {
            case .media:
                progress.advance()
                return mediaFinished(request, result)
            case .size: return sizeChecked(request, result)
            case .metadata, .jats: return []
            }
        }
    }

    /// The journal's entry for `url`, unless it records a 404 that is to be asked again.
    func journalled(_ url: String) -> FetchJournal.Entry? {
        guard let e = journal.lookup(url), !(retryMissing && e.isNotFound) else { return nil }
        return e
    }

    /// Why a document request failed: `notFound` for a 404 from any source, else its class (counted in the report).
    func failure(_ r: DownloadResult) -> DownloadErrorClass {
        if r.errorClass == .notFound || r.status == 404 { return .notFound }
        count(\.httpErrors, r.errorClass.rawValue)
        return r.errorClass
    }

    func count(_ kp: WritableKeyPath<FetchReport, [String: Int]>, _ key: String) {
        report[keyPath: kp][key, default: 0] += 1
    }

    /// The bytes a journal entry names, when `cache` still holds them intact (size and sha256 checked).
    static func stored(_ e: FetchJournal.Entry, in cache: BlobStore) -> Data? {
        guard !e.isNotFound, QuickFiles.size(cache.path(for: e.sha256)) == e.bytes, let d = try? cache.read(e.sha256),
            SHA256.hex(d) == e.sha256
        else { return nil }
        return d
    }

    /// A request for a document, or — when the journal and cache already hold it — its handling now.
    func requestDocument(_ kind: Kind, _ i: Int, url: String) -> [DownloadRequest] {
        if let e = journalled(url), e.isNotFound {
            report.reused += 1
            return kind == .metadata ? metadata(i, nil, .notFound) : jats(i, nil, .notFound)
        }
        if let e = journalled(url), let d = FetchPipeline.stored(e, in: cache) {
            report.reused += 1
            return kind == .metadata ? metadata(i, d, nil) : jats(i, d, nil)
        }
        return [DownloadRequest(url: url, kind: kind == .metadata ? .metadata : .jats, tag: FetchPipeline.tag(kind, i))]
    }

    func finishArticle(_ i: Int, status: FetchStatus) -> [DownloadRequest] {
        progress.advance()
        records[i].status = status
        articles.append(records[i])
        return []
    }

    /// A document that did not arrive: `<reason>: <file> not found` after a 404, else `http-error: <class>`.
    func unfetched(_ i: Int, _ file: String, as reason: FetchStatus.Reason, _ failure: DownloadErrorClass?)
        -> [DownloadRequest]
    {
        finishArticle(
            i,
            status: failure == .notFound
                ? FetchStatus(reason, "\(file) not found") : FetchStatus(.httpError, failure?.rawValue ?? ""))
    }

    /// `journal`: the entry of a fresh download, recorded once the body parses.
    func metadata(_ i: Int, _ data: Data?, _ failure: DownloadErrorClass?, journal entry: FetchJournal.Entry? = nil)
        -> [DownloadRequest]
    {
        let key = "\(live[i].pmcid).\(live[i].version)"
        guard let data else { return unfetched(i, "\(key).json", as: .metadataError, failure) }
        let meta: ArticleMetadata
        do { meta = try JSONDecoder().decode(ArticleMetadata.self, from: data) } catch {
            return finishArticle(
                i, status: FetchStatus(.metadataError, "\(key).json: \(CanonicalJSON.describe(error))"))
        }
        if let entry { journal.record(entry) }
        metas[i] = meta
        records[i].license = meta.licenseCode; records[i].pmid = meta.pmid; records[i].doi = meta.doi;
        records[i].title = meta.title
        if meta.pmcid != live[i].pmcid {
            return finishArticle(i, status: FetchStatus(.metadataError, "\(key).json names \(meta.pmcid)"))
        }
        if meta.isRetracted == true { return finishArticle(i, status: FetchStatus(.retracted)) }
        if meta.isOpenAccess == false { return finishArticle(i, status: FetchStatus(.notOpenAccess)) }
        guard let url = source.url(for: meta.xmlURL ?? "\(key)/\(key).xml") else {
            return finishArticle(i, status: FetchStatus(.metadataError, "\(key).json: unusable xml_url"))
        }
        return requestDocument(.jats, i, url: url)
    }

    func jats(_ i: Int, _ data: Data?, _ failure: DownloadErrorClass?, journal entry: FetchJournal.Entry? = nil)
        -> [DownloadRequest]
    {
        let key = "\(live[i].pmcid).\(live[i].version)"
        guard let data else { return unfetched(i, "\(key).xml", as: .xmlError, failure) }
        let article: JATSArticle
        do { article = try JATSParser.parse(data, source: "\(key).xml") } catch {
            return finishArticle(i, status: FetchStatus(.xmlError, error.message))
        }
        if let entry { journal.record(entry) }
        var rec = records[i]
        rec.figures = article.figures.reduce(0) { $0 + $1.graphics.count }
        if rec.pmid == nil { rec.pmid = article.pmid }
        if rec.doi == nil { rec.doi = article.doi }
        if rec.title == nil { rec.title = article.title }
        records[i] = rec
        if rec.figures == 0 { return finishArticle(i, status: FetchStatus(.noFigures)) }
        _ = finishArticle(i, status: .ok)
        let meta = metas[i]!
        var out: [DownloadRequest] = []
        for f in article.figures {
            let figureID = Fetcher.safeFigureID(f.id)
            for (gi, href) in f.graphics.enumerated() {
                let id = ItemID.make(pmcid: rec.pmcid, figure: figureID, graphic: gi + 1, of: f.graphics.count)
                var fig = FigureRecord(
                    id: id, pmcid: rec.pmcid, version: rec.version, figure: figureID,
                    label: f.label, caption: f.caption, context: f.context, href: href, media: nil,
                    license: meta.licenseCode, sha256: nil, bytes: nil, url: nil, status: .ok)
                var mediaURL: String? = nil
                switch MediaResolver.resolve(href: href, mediaURLs: meta.mediaURLs, articleKey: key) {
                case .unsafe(let name): fig.status = FetchStatus(.unsafeName, name)
                case .missing: fig.status = FetchStatus(.mediaMissing)
                case .unsupported(let ext, let name):
                    fig.status = FetchStatus(.unsupportedFormat, ext); fig.media = name
                case .media(let name, let location):
                    fig.media = name; fig.url = location
                    if let url = source.url(for: location) {
                        mediaURL = url
                    } else {
                        fig.status = FetchStatus(.unsafeName, location)
                    }
                }
                if mediaURL != nil, let wantsMedia, !wantsMedia(fig) { mediaURL = nil; fig.status = .captionUnlabelled }
                let index = figures.count
                figures.append(fig)
                if let url = mediaURL {
                    out += requestMedia(
                        url, figure: index, listed: fig.url.flatMap(Source.key(of:)).flatMap { listed[$0] })
                }
            }
        }
        return out
    }

    /// Attaches a figure to a media URL: done already, in flight, journalled, or a new request (checked against
    /// what the listing said of its key, when it said anything).
    func requestMedia(_ url: String, figure: Int, listed: ListedObject? = nil) -> [DownloadRequest] {
        if let e = done[url] { apply(e, to: figure); return [] }
        if waiting[url] != nil { waiting[url]!.append(figure); return [] }
        if let e = journalled(url), e.reject != nil || QuickFiles.size(blobs.path(for: e.sha256)) == e.bytes {
            report.reused += 1
            done[url] = e; apply(e, to: figure); return []
        }
        waiting[url] = [figure]
        var request = DownloadRequest(
            url: url, destination: partial + "/" + SHA256.hex(url), expectedLength: listed?.size,
            kind: .media, tag: FetchPipeline.tag(.media, 0))
        request.md5 = listed?.md5
        return [request]
    }

    func apply(_ e: FetchJournal.Entry, to figure: Int) {
        if e.isNotFound { figures[figure].status = FetchStatus(.mediaMissing); return }
        if let reject = e.reject { figures[figure].status = FetchStatus(rawValue: reject); return }
        figures[figure].sha256 = e.sha256; figures[figure].bytes = e.bytes
    }

    /// Media bodies whose server declared no length, waiting for the listing that says how long they are,
    /// by listing URL: the media request and its result.
    private var unsized: [String: (request: DownloadRequest, result: DownloadResult)] = [:]

    /// What a body that is not an image says about its server. An HTML page, an XML or text message or
    /// nothing at all in place of an image is a server's passing state (an error or login page, a proxy's
    /// notice, a rate-limit answer sent with 200): the figure fails this run and is asked for again on the
    /// next, never remembered. Other formats are the file itself and are remembered.
    static func isTransient(_ kind: String) -> Bool { ["html", "xml", "text", "empty"].contains(kind) }

    /// A finished media download. From an HTTP server that declared no length, the body (bounded by the
    /// media limit) is first checked against the size the source's listing gives for its key.
    func mediaFinished(_ request: DownloadRequest, _ r: DownloadResult) -> [DownloadRequest] {
        let url = request.url
        if r.ok, r.declaredLength == nil, request.expectedLength == nil, source.directory == nil,
            let figure = waiting[url]?.first,
            let location = figures[figure].url, let key = Source.key(of: location)
        {
            let listing =
                source.base + "?list-type=2&max-keys=1&prefix="
                + (key.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? key)
            unsized[listing] = (request, r)
            return [DownloadRequest(url: listing, kind: .listing, tag: FetchPipeline.tag(.size, 0))]
        }
        settleMedia(request, r)
        return []
    }

    /// The listing of a media key arrived: the body is kept only when the listed size is its length. A source
    /// that cannot list (no listing, an error) leaves the body as bounded by the media limit, with a warning.
    func sizeChecked(_ request: DownloadRequest, _ r: DownloadResult) -> [DownloadRequest] {
        guard let (media, result) = unsized.removeValue(forKey: request.url) else { return [] }
        let key = URLComponents(string: request.url)?.queryItems?.first(where: { $0.name == "prefix" })?.value ?? ""
        guard r.ok, let data = r.data, let page = try? S3Listing.parse(data, source: request.url) else {
            Log.warning(
                "fetch: \(media.url) came without a length and the source's listing of it failed (\(r.error ?? "not a listing")): kept as read"
            )
            settleMedia(media, result)
            return []
        }
        var failed = result
        if page.sizes[key] != result.bytes {
            failed.error =
                "length-mismatch: \(result.bytes) bytes without a declared length; the listing gives "
                + (page.sizes[key].map { "\($0)" } ?? "no such key")
            failed.errorClass = .lengthMismatch
        } else if let want = page.md5(of: key), let dest = media.destination, let got = try? MD5.hex(fileAt: dest),
            got != want
        {
            failed.error = "md5-mismatch: got \(got), the listing's ETag is \(want)"
            failed.errorClass = .md5Mismatch
        }
        if !failed.ok, let dest = media.destination { unlink(dest) }
        settleMedia(media, failed)
        return []
    }

    /// Checks magic bytes, adopts images into the blob store, journals, and settles waiting figures.
    func settleMedia(_ request: DownloadRequest, _ r: DownloadResult) {
        let url = request.url
        let waiters = waiting.removeValue(forKey: url) ?? []
        var entry: FetchJournal.Entry? = nil
        var transient: String? = nil
        if r.ok, let sha = r.sha256, let dest = request.destination {
            let head = MagicBytes.head(of: dest)
            let kind = head.isEmpty ? "empty" : MagicBytes.kind(head)
            if kind == "png" || kind == "jpeg" {
                if (try? QuickFiles.adopt(dest, sha256: sha, into: blobs)) != nil {
                    entry = .init(url: url, sha256: sha, bytes: r.bytes)
                }
            } else {
                unlink(dest)
                if FetchPipeline.isTransient(kind) {
                    transient = kind
                } else {
                    let reason = FetchStatus((kind == "gif" || kind == "tif") ? .unsupportedFormat : .notAnImage, kind)
                    entry = .init(url: url, sha256: sha, bytes: r.bytes, reject: reason.rawValue)
                }
            }
        }
        if let entry {
            journal.record(entry)
            done[url] = entry
            for f in waiters { apply(entry, to: f) }
            return
        }
        if let transient {
            count(\.httpErrors, "not-an-image")
            for f in waiters { figures[f].status = FetchStatus(.notAnImage, transient) }
            return
        }
        let missing = r.errorClass == .notFound || r.status == 404
        let cls: DownloadErrorClass = r.ok ? .io : r.errorClass
        if missing {
            let e = FetchJournal.Entry(url: url, sha256: "", bytes: 0, reject: FetchJournal.Entry.notFound)
            journal.record(e)
            done[url] = e
        } else {
            count(\.httpErrors, cls.rawValue)
            if cls == .md5Mismatch || cls == .lengthMismatch {
                Log.warning(
                    "fetch: \(waiters.map { figures[$0].id }.joined(separator: ", ")): \(url): \(r.error ?? cls.rawValue) (not kept; asked again next run)"
                )
            }
        }
        for f in waiters {
            figures[f].status =
                missing
                ? FetchStatus(.mediaMissing)
                : (cls == .tooLarge ? FetchStatus(.tooLarge) : FetchStatus(.httpError, cls.rawValue))
        }
    }
}
