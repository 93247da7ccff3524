import CCurl
import Foundation
import PairDxCore
import Synchronization

/// One thing to download. `destination == nil` keeps the body in memory (small documents);
/// otherwise the body streams to a temporary file beside `destination` and is renamed into place
/// only after every check passed, so `destination` is either complete or absent (no fsync per file:
/// callers sync the filesystem once when a batch is done).
public struct DownloadRequest: Sendable {
    public var url: String
    public var destination: String?
    public var expectedLength: Int?
    /// The MD5 (lowercase hex) the body must have, e.g. from a listing's single-part ETag.
    public var md5: String?
    /// What the body is: decides its size limit (and from it the transfer's time limit).
    public var kind: BodyKind
    /// The caller's own label, handed back with the result by `stream`.
    public var tag: Int
    public init(
        url: String, destination: String? = nil, expectedLength: Int? = nil, kind: BodyKind = .media, tag: Int = 0
    ) {
        self.url = url; self.destination = destination; self.expectedLength = expectedLength; self.kind = kind;
        self.tag = tag
    }
    /// `md5` when set, else the `md5=` query parameter when the URL carries one.
    public var expectedMD5: String? {
        md5 ?? URLComponents(string: url)?.queryItems?.first(where: { $0.name == "md5" })?.value?.lowercased()
    }
}

/// The outcome of one request after every retry.
public struct DownloadResult: Sendable {
    public var url: String
    /// HTTP status of the last attempt (0 for file:// or when no response arrived).
    public var status: Int
    /// nil on success; otherwise why, e.g. `http 404`, `connect: Couldn't connect to server`, `too-large`.
    public var error: String?
    /// Error class for reports (`ok` on success).
    public var errorClass: DownloadErrorClass
    public var bytes: Int
    public var sha256: String?
    public var retries: Int
    /// The body when the request had no destination.
    public var data: Data?
    /// The length the server declared (`Content-Length`), nil when it sent none.
    public var declaredLength: Int? = nil
    public var ok: Bool { error == nil }
}

/// Why a request failed, for reports and figure statuses (`http-error: <class>`); `ok` when it did not.
public enum DownloadErrorClass: String, Sendable, CaseIterable {
    case ok
    case http4xx = "http-4xx", http5xx = "http-5xx", http429 = "http-429"
    case network, timeout, io
    case tooLarge = "too-large", lengthMismatch = "length-mismatch", md5Mismatch = "md5-mismatch"
    case notFound = "not-found", redirectRefused = "redirect-refused"
}

/// What a downloaded body is. Each kind has its own size limit: a listing page or a metadata file is
/// small, an article's JATS larger, a figure largest (and streamed to disk rather than held in memory).
public enum BodyKind: String, CaseIterable, Sendable {
    case listing, metadata, jats, media
}

/// Largest body accepted per kind, in bytes. A body crossing its limit is aborted as it crosses it.
public struct BodyLimits: Sendable, Equatable {
    /// One ListObjectsV2 or esearch page (1,000 keys take about 250 KB).
    public var listing = 16 << 20
    /// One `PMCn.v.json` (a few KB, more for articles with hundreds of media files).
    public var metadata = 4 << 20
    /// One article's JATS XML (the largest open-access articles are a few tens of MB).
    public var jats = 64 << 20
    /// One media file (figures, supplementary images).
    public var media = 200 << 20
    public init() {}

    public subscript(kind: BodyKind) -> Int {
        get {
            switch kind {
            case .listing: listing
            case .metadata: metadata
            case .jats: jats
            case .media: media
            }
        }
        set {
            switch kind {
            case .listing: listing = newValue
            case .metadata: metadata = newValue
            case .jats: jats = newValue
            case .media: media = newValue
            }
        }
    }
}

/// Settings of `HTTPClient`.
public struct HTTPClientOptions: Sendable {
    /// Transfers in flight at once.
    public var concurrency = 8
    /// Requests per second per host (nil: unlimited), decided by host name.
    public var rateLimit: @Sendable (String) -> Double? = { host in HTTPClientOptions.isNCBI(host) ? 3 : nil }
    public var maxRetries = 4
    /// First backoff in seconds; attempt n waits base·2ⁿ plus up to 50 % jitter (or Retry-After when longer).
    public var backoffBase = 0.5
    /// Longest wait honoured from a Retry-After header.
    public var maxRetryAfter = 120.0
    public var connectTimeout = 10.0
    /// A transfer slower than `lowSpeedBytes` per second for `lowSpeedTime` seconds is aborted (and retried).
    public var lowSpeedBytes = 1024
    public var lowSpeedTime = 20
    /// Largest body per kind.
    public var bodyLimits = BodyLimits()
    /// Total time one attempt may take: `timeoutBase` seconds plus its size limit (or its expected length, when
    /// smaller) at `timeoutRate` bytes per second. A slow server that stays above the low-speed guard is still cut.
    public var timeoutBase = 30.0
    public var timeoutRate = 128 << 10
    /// Most pages one paged listing (ListObjectsV2) or search (esearch) may take: 20,000 pages of 1,000 keys
    /// cover the whole PMC bucket twice over.
    public var maxPages = 20_000
    public var contact = "https://github.com/pairdx/pairdx"
    /// Certificate authorities to trust for `https` (a PEM file) instead of the system's.
    public var caBundle: String?
    public init() {}

    public var userAgent: String { "pairdx/\(PairDxVersion.string) (+\(contact))" }

    /// The total time limit, in seconds, of one attempt whose body may be `bytes` long.
    public func totalTimeout(bytes: Int) -> Double {
        timeoutBase + Double(bytes) / Double(max(1, timeoutRate))
    }

    public static func isNCBI(_ host: String) -> Bool {
        host == "ncbi.nlm.nih.gov" || host.hasSuffix(".ncbi.nlm.nih.gov")
    }
}

/// Aggregate counters of one client's lifetime.
public struct HTTPStats: Sendable, Codable {
    /// Attempts started, retries included (a retried request counts once per attempt).
    public var requests = 0
    /// Of `requests`, the attempts that were retries.
    public var retries = 0
    /// `requests` by what was asked for (`BodyKind`: `listing`, `metadata`, `jats`, `media`).
    public var byKind: [String: Int] = [:]
    public var bytes = 0
    public var seconds = 0.0
}

/// Downloads over libcurl's multi interface: `file://`, `http://` and `https://` through one code path.
///
/// Invariants: at most `concurrency` transfers in flight; per host, request starts obey a token
/// bucket (`rateLimit`); failures that may pass (429, 5xx, network errors, timeouts, short bodies)
/// are retried with exponential backoff and jitter, honouring `Retry-After`; a body over its kind's
/// limit (`bodyLimits`) is aborted as soon as it crosses the limit, and every attempt has a total time
/// limit scaled to that size. Redirects may lead to `http` or `https` only, and never from `https` to
/// `http`. The transfer loop runs on its own thread, never on Swift's cooperative pool.
public final class HTTPClient: Sendable {
    public let options: HTTPClientOptions
    private struct Shared {
        var stats = HTTPStats()
        /// Per-host buckets live as long as the client, so consecutive `run`s share one rate.
        var buckets: [String: TokenBucket] = [:]
    }
    private let shared = Mutex(Shared())

    public init(options: HTTPClientOptions = HTTPClientOptions()) {
        self.options = options
        _ = HTTPClient.globalInit
    }

    private static let globalInit: Bool = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT)); return true
    }()

    public var stats: HTTPStats { shared.withLock { $0.stats } }

    /// Runs all requests; results come back in request order. `completed` is called once per request
    /// as it finishes (on the transfer thread), e.g. to journal it.
    public func run(
        _ requests: [DownloadRequest],
        completed: (@Sendable (Int, DownloadResult) -> Void)? = nil
    ) async -> [DownloadResult] {
        await withCheckedContinuation { (cont: CheckedContinuation<[DownloadResult], Never>) in
            let thread = Thread { [self] in
                let results = self.runBlocking(requests, completed: completed)
                cont.resume(returning: results)
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// One download, convenience for tests and single documents.
    public func get(_ url: String, to destination: String? = nil) async -> DownloadResult {
        await run([DownloadRequest(url: url, destination: destination)])[0]
    }

    /// Runs all requests; results in request order.
    public func runBlocking(
        _ requests: [DownloadRequest],
        completed: (@Sendable (Int, DownloadResult) -> Void)? = nil
    ) -> [DownloadResult] {
        var results = [DownloadResult?](repeating: nil, count: requests.count)
        let tagged = requests.enumerated().map { i, r in
            var r = r; r.tag = i; return r
        }
        stream(tagged) { request, result in
            results[request.tag] = result
            completed?(request.tag, result)
            return []
        }
        return results.map { $0! }
    }

    /// The transfer loop, on the calling thread. `completed` runs on this thread once per request
    /// (after its retries) and may return follow-up requests, which join the queue: a pipeline
    /// (metadata → JATS → media) keeps every slot busy without waiting for a whole stage.
    /// O(requests · loop turns) bookkeeping, negligible next to I/O.
    public func stream(
        _ initial: [DownloadRequest],
        completed: (DownloadRequest, DownloadResult) -> [DownloadRequest]
    ) {
        let started = monotonicSeconds()
        struct Pending { var request: DownloadRequest; var attempt: Int; var notBefore: Double }
        var pending = initial.map { Pending(request: $0, attempt: 0, notBefore: 0) }
        guard let multi = curl_multi_init() else {
            while let p = pending.popLast() {
                let r = DownloadResult(
                    url: p.request.url, status: 0, error: "curl_multi_init failed", errorClass: .io,
                    bytes: 0, sha256: nil, retries: 0, data: nil)
                pending += completed(p.request, r).map { Pending(request: $0, attempt: 0, notBefore: 0) }
            }
            return
        }
        defer { curl_multi_cleanup(multi) }
        var active: [UnsafeMutableRawPointer: Transfer] = [:]
        var requestCount = 0, retryCount = 0, byteCount = 0
        var kindCount: [String: Int] = [:]

        while !pending.isEmpty || !active.isEmpty {
            let now = monotonicSeconds()
            var wait = 0.05
            var i = 0
            while active.count < options.concurrency && i < pending.count {
                let p = pending[i]
                if p.notBefore > now { wait = min(wait, p.notBefore - now); i += 1; continue }
                let host = HTTPClient.host(of: p.request.url)
                if let rate = options.rateLimit(host), !host.isEmpty {
                    let delay = shared.withLock { s -> Double? in
                        var bucket = s.buckets[host] ?? TokenBucket(rate: rate, now: now)
                        let delay = bucket.take(now: now)
                        s.buckets[host] = bucket
                        return delay
                    }
                    if let delay { wait = min(wait, delay); i += 1; continue }
                }
                pending.remove(at: i)
                let t = Transfer(attempt: p.attempt, request: p.request)
                let limit = options.bodyLimits[p.request.kind]
                if let expected = p.request.expectedLength, expected > limit {
                    let r = t.result(
                        status: 0,
                        error:
                            "too-large: the source lists \(expected) bytes, over the \(p.request.kind.rawValue) limit of \(limit)",
                        errorClass: .tooLarge)
                    pending += completed(p.request, r).map { Pending(request: $0, attempt: 0, notBefore: 0) }
                    continue
                }
                do {
                    let easy = try t.start(options: options)
                    curl_multi_add_handle(multi, easy)
                    active[easy] = t
                    requestCount += 1
                    kindCount[p.request.kind.rawValue, default: 0] += 1
                } catch {
                    let r = t.result(status: 0, error: error.message, errorClass: .io)
                    pending += completed(p.request, r).map { Pending(request: $0, attempt: 0, notBefore: 0) }
                }
            }
            var running: Int32 = 0
            curl_multi_perform(multi, &running)
            var left: Int32 = 0
            var progressed = false
            while let msg = curl_multi_info_read(multi, &left) {
                guard msg.pointee.msg == CURLMSG_DONE, let easy = msg.pointee.easy_handle,
                    let t = active.removeValue(forKey: easy)
                else { continue }
                let code = msg.pointee.data.result
                progressed = true
                curl_multi_remove_handle(multi, easy)
                let outcome = t.finish(code: code, options: options)
                byteCount += t.bytes
                var final: DownloadResult? = nil
                switch outcome {
                case .done(let r):
                    final = r
                case .retry(let after, let r):
                    if t.attempt < options.maxRetries {
                        retryCount += 1
                        let backoff = options.backoffBase * pow(2, Double(t.attempt)) * (1 + Double.random(in: 0..<0.5))
                        let delay = max(backoff, min(after ?? 0, options.maxRetryAfter))
                        Log.debug(
                            "retry \(t.attempt + 1) of \(t.request.url) in \(String(format: "%.2f", delay)) s: \(r.error ?? "")"
                        )
                        pending.append(
                            Pending(request: t.request, attempt: t.attempt + 1, notBefore: monotonicSeconds() + delay))
                    } else {
                        final = r
                    }
                }
                if let final {
                    pending += completed(t.request, final).map { Pending(request: $0, attempt: 0, notBefore: 0) }
                }
            }
            if !progressed && (!active.isEmpty || !pending.isEmpty) {
                var numfds: Int32 = 0
                let ms = active.isEmpty ? max(1, Int32(wait * 1000)) : max(1, min(Int32(wait * 1000), 50))
                if active.isEmpty { usleep(UInt32(ms) * 1000) } else { curl_multi_poll(multi, nil, 0, ms, &numfds) }
            }
        }
        let seconds = monotonicSeconds() - started
        shared.withLock { s in
            s.stats.requests += requestCount; s.stats.retries += retryCount; s.stats.bytes += byteCount
            s.stats.byKind.merge(kindCount, uniquingKeysWith: +)
            s.stats.seconds += seconds
        }
    }

    static func host(of url: String) -> String {
        guard let r = url.range(of: "://") else { return "" }
        let rest = url[r.upperBound...]
        let authority = rest.prefix(while: { $0 != "/" && $0 != "?" })
        return String(authority.split(separator: "@").last ?? "").lowercased()
    }
}
