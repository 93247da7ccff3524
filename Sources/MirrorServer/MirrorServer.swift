import FlyingFox
import Foundation
import PairDxCore
import Synchronization

/// Serves a mirror directory (PMC Cloud layout) over HTTP on 127.0.0.1 with FlyingFox:
/// - `GET /<key>`: the file `<root>/<key>` (no `..`, no hidden files), faults applied per path;
/// - `GET /?list-type=2&prefix=&delimiter=&max-keys=&continuation-token=`: S3 ListObjectsV2 XML
///   (also under `/<bucket>/?list-type=2`), each key with its size and its MD5 as `ETag`, as S3 gives a single-part upload's;
/// - `GET /esearch.fcgi?db=pmc&term=&retstart=&retmax=` (also `/entrez/eutils/esearch.fcgi`):
///   NCBI's eSearchResult XML over the newest version of each article whose metadata and JATS
///   text contain the term's words.
///
/// Clients reach FlyingFox only through `HeadGate`, which owns the public port and bounds the request line (8 KiB,
/// else 414) and the request head (32 KiB, else 431) before FlyingFox reads a byte of it.
public final class MirrorServer: Sendable {
    public let root: String
    let faults: FaultCounter
    let counter: HitCounter
    let server: HTTPServer
    let objects: [ListObjectsV2.Object]
    let searchIndex: [(id: Int, text: String)]
    /// `root` with every symbolic link resolved: served files must lie under it.
    let realRoot: String
    /// The port asked for (0: any free one) and the gate in front of FlyingFox once started.
    let requestedPort: UInt16
    let headLimits: HeadGate.Limits
    let gate = Mutex<HeadGate?>(nil)
    /// MD5 of each file listed so far (its ETag), computed when a listing first names it.
    let etags = Mutex<[String: String]>([:])

    /// - Parameters:
    ///   - maxRequestLine, maxRequestHead: limits of the request line and of the whole head (line, headers, blank line), in bytes.
    public init(
        root: String, port: UInt16 = 0, faults: FaultPlan = FaultPlan(faults: []), accessLog: String? = nil,
        maxRequestLine: Int = 8 * 1024, maxRequestHead: Int = 32 * 1024
    ) throws {
        guard maxRequestLine >= 64, maxRequestHead >= maxRequestLine else {
            throw PairDxError.usage(
                "request limits: the line needs at least 64 bytes and the head at least the line (got \(maxRequestLine), \(maxRequestHead))"
            )
        }
        self.root = root
        requestedPort = port
        headLimits = HeadGate.Limits(maxLine: maxRequestLine, maxHead: maxRequestHead)
        counter = try HitCounter(accessLog: accessLog)
        self.faults = FaultCounter(plan: faults)
        guard FileSystem.exists(root), let real = realpath(root, nil) else {
            throw PairDxError.io("mirror directory \(root) does not exist")
        }
        realRoot = String(cString: real)
        free(real)
        objects = FileSystem.listFiles(under: root).map { rel in
            let size = (try? FileManager.default.attributesOfItem(atPath: root + "/" + rel)[.size] as? Int) ?? 0
            return ListObjectsV2.Object(key: rel, size: size)
        }
        searchIndex = MirrorServer.buildIndex(root: root, keys: objects.map(\.key))
        // FlyingFox listens on a free loopback port of its own; clients reach it only through the gate.
        server = HTTPServer(address: try .inet(ip4: "127.0.0.1", port: 0), timeout: 60, logger: .disabled)
    }

    /// Starts listening; returns the bound port once connections are accepted.
    public func start() async throws -> UInt16 {
        let handler = Handler(owner: self)
        await server.appendRoute("GET *", to: handler)
        Task { try? await server.run() }
        // Generous: on a busy machine (a test suite saturating every core) the listener may take a while to start.
        try await server.waitUntilListening(timeout: 60)
        guard case let .ip4(_, backend)? = await server.listeningAddress else {
            throw PairDxError.io("the mirror server is not listening on an IPv4 address")
        }
        let g = try HeadGate(port: requestedPort, backendPort: backend, limits: headLimits)
        gate.withLock { $0 = g }
        g.start()
        return g.port
    }

    /// The file of `key` when it lies inside the mirror once symbolic links are followed; nil when a link
    /// leads out of it (the file need not exist: a missing file answers 404 later).
    func resolve(_ key: String) -> String? {
        let file = root + "/" + key
        guard let real = realpath(file, nil) else { return file }
        defer { free(real) }
        let resolved = String(cString: real)
        return resolved.hasPrefix(realRoot + "/") ? resolved : nil
    }

    /// Requests received so far per path (listings count under their path, usually `/`).
    public var hits: [String: Int] { counter.snapshot }

    public func stop() async {
        gate.withLock {
            $0?.stop(); $0 = nil
        }
        await server.stop(timeout: 0)
    }

    /// Runs until cancelled (the CLI's `serve-mirror`).
    public func run() async throws {
        _ = try await start()
        do { while true { try await Task.sleep(nanoseconds: 3_600_000_000_000) } } catch { await stop(); throw error }
    }

    struct Handler: HTTPHandler {
        let owner: MirrorServer
        /// Every response asks the client to close the connection: FlyingFox writes the header and
        /// the body separately, and on a reused connection Nagle's algorithm meeting the client's
        /// delayed ACK costs ~40 ms per response; a fresh loopback connection costs well under 1 ms.
        func handleRequest(_ request: HTTPRequest) async throws -> HTTPResponse {
            var response = try await owner.respond(request)
            response.headers[.connection] = "close"
            return response
        }
    }

    func respond(_ request: HTTPRequest) async throws -> HTTPResponse {
        // The target exactly as sent, percent-decoded once here (FlyingFox's `path` is decoded and standardised
        // already, so decoding it again would turn a key's own `%41` into `A`).
        guard let path = request.target.path(percentEncoded: true).removingPercentEncoding else {
            counter.add(request.target.path(percentEncoded: true))
            return HTTPResponse(statusCode: .badRequest, body: Data("bad percent-encoding in the path\n".utf8))
        }
        counter.add(path)
        if request.query["list-type"] == "2" { return list(request, path: path) }
        if path.hasSuffix("/esearch.fcgi") { return esearch(request) }
        let key = String(path.drop(while: { $0 == "/" }))
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        if key.isEmpty || key.contains("\0")
            || parts.contains(where: { $0 == ".." || $0 == "." || $0.hasPrefix(".") || $0.isEmpty })
        {
            return HTTPResponse(statusCode: .forbidden, body: Data("forbidden path\n".utf8))
        }
        guard let file = resolve(key) else {
            return HTTPResponse(statusCode: .forbidden, body: Data("forbidden path: leaves the mirror\n".utf8))
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            return HTTPResponse(statusCode: .notFound, body: Data("no such key: \(key)\n".utf8))
        }
        guard let fault = faults.take(path, kinds: Fault.kinds.subtracting(Fault.listingKinds)) else {
            return HTTPResponse(statusCode: .ok, body: data)
        }
        switch fault.kind {
        case "status":
            var headers = HTTPHeaders()
            if let r = fault.retryAfter { headers[HTTPHeader("Retry-After")] = String(r) }
            let code = fault.status ?? 503
            return HTTPResponse(
                statusCode: HTTPStatusCode(code, phrase: "Injected Fault"), headers: headers,
                body: Data("injected fault \(code)\n".utf8))
        case "stall":
            try await Task.sleep(nanoseconds: UInt64((fault.seconds ?? 5) * 1e9))
            return HTTPResponse(statusCode: .ok, body: data)
        case "truncate":
            let n = max(0, min(data.count - 1, Int(Double(data.count) * (fault.fraction ?? 0.5))))
            let body = DripBody(data: data, limit: n, chunk: 16384, pause: 0, fail: true)
            return HTTPResponse(statusCode: .ok, body: HTTPBodySequence(from: body, count: data.count))
        case "wrong-length":
            let body = DripBody(data: data, limit: data.count, chunk: 16384, pause: 0, fail: true)
            return HTTPResponse(statusCode: .ok, body: HTTPBodySequence(from: body, count: data.count + 100))
        case "redirect":
            let host = request.headers[.host] ?? "127.0.0.1"
            let location = (fault.location ?? "/").replacingOccurrences(of: "{origin}", with: "http://\(host)")
            return HTTPResponse(statusCode: .found, headers: [.location: location], body: Data())
        case "no-length":
            let body = DripBody(
                data: data + Data(count: max(0, fault.extraBytes ?? 0)),
                limit: data.count + max(0, fault.extraBytes ?? 0),
                chunk: 16384, pause: 0, fail: false)
            return HTTPResponse(statusCode: .ok, body: HTTPBodySequence(from: body))
        case "corrupt":
            // Same length, one byte in the middle inverted: only a digest tells this body from the file.
            var body = data
            if !body.isEmpty { body[body.startIndex + body.count / 2] ^= 0xFF }
            return HTTPResponse(statusCode: .ok, body: body)
        case "html":
            let page =
                "<!DOCTYPE html>\n<html><head><title>Service unavailable</title></head><body><p>Try again later.<br></p></body></html>\n"
            return HTTPResponse(statusCode: .ok, headers: [.contentType: "text/html"], body: Data(page.utf8))
        default:  // drip
            let rate = max(1, fault.bytesPerSecond ?? 4096)
            let chunk = max(1, rate / 10)
            let body = DripBody(data: data, limit: data.count, chunk: chunk, pause: 0.1, fail: false)
            return HTTPResponse(statusCode: .ok, body: HTTPBodySequence(from: body, count: data.count))
        }
    }

    func list(_ request: HTTPRequest, path: String) -> HTTPResponse {
        let bucket = path.split(separator: "/").first.map(String.init) ?? "mirror"
        if let fault = faults.take(path, kinds: Fault.listingKinds) {  // endless-listing
            let token = fault.token ?? Hex.encode(Array(UUID().uuidString.utf8))
            let x =
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                + "<Name>\(HTMLEscape.text(bucket))</Name><Prefix></Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys>"
                + "<IsTruncated>true</IsTruncated><NextContinuationToken>\(HTMLEscape.text(token))</NextContinuationToken>"
                + "<CommonPrefixes><Prefix>PMC1.1/</Prefix></CommonPrefixes></ListBucketResult>\n"
            return HTTPResponse(statusCode: .ok, headers: [.contentType: "application/xml"], body: Data(x.utf8))
        }
        let maxKeys = min(1000, max(1, Int(request.query["max-keys"] ?? "") ?? 1000))
        let xml = ListObjectsV2.page(
            objects: objects, bucket: bucket, prefix: request.query["prefix"] ?? "",
            delimiter: request.query["delimiter"], maxKeys: maxKeys,
            continuationToken: request.query["continuation-token"],
            startAfter: request.query["start-after"], etag: etag(of:))
        return HTTPResponse(statusCode: .ok, headers: [.contentType: "application/xml"], body: Data(xml.utf8))
    }

    /// The ETag of a listed file: the MD5 of its bytes (nil when it cannot be read or leaves the mirror).
    func etag(of key: String) -> String? {
        if let e = etags.withLock({ $0[key] }) { return e }
        guard let file = resolve(key), let e = try? MD5.hex(fileAt: file) else { return nil }
        etags.withLock { $0[key] = e }
        return e
    }

    func esearch(_ request: HTTPRequest) -> HTTPResponse {
        let term = (request.query["term"] ?? "").removingPercentEncoding ?? ""
        let retstart = max(0, Int(request.query["retstart"] ?? "") ?? 0)
        let retmax = min(10_000, max(0, Int(request.query["retmax"] ?? "") ?? 20))
        let matches = ESearch.match(term: term, index: searchIndex)
        let page = matches.dropFirst(retstart).prefix(retmax)
        var x =
            "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<!DOCTYPE eSearchResult PUBLIC \"-//NLM//DTD esearch 20060628//EN\" \"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd\">\n"
        x +=
            "<eSearchResult><Count>\(matches.count)</Count><RetMax>\(page.count)</RetMax><RetStart>\(retstart)</RetStart><IdList>"
        for id in page { x += "<Id>\(id)</Id>" }
        x += "</IdList><QueryTranslation>\(HTMLEscape.text(term))</QueryTranslation></eSearchResult>\n"
        return HTTPResponse(statusCode: .ok, headers: [.contentType: "text/xml"], body: Data(x.utf8))
    }

    /// (numeric PMC id, lower-cased metadata + JATS text) for the newest version of each article.
    static func buildIndex(root: String, keys: [String]) -> [(id: Int, text: String)] {
        var newest: [Int: (version: Int, dir: String)] = [:]
        for key in keys where key.hasSuffix(".json") {
            let dir = String(key.prefix(while: { $0 != "/" }))
            guard key == "\(dir)/\(dir).json", let p = PMCID.parse(dir), let v = p.version,
                let n = Int(p.id.dropFirst(3))
            else { continue }
            if (newest[n]?.version ?? 0) < v { newest[n] = (v, dir) }
        }
        return newest.keys.sorted().map { n in
            let dir = newest[n]!.dir
            let meta = (try? FileSystem.readString("\(root)/\(dir)/\(dir).json")) ?? ""
            let xml = (try? FileSystem.readString("\(root)/\(dir)/\(dir).xml")) ?? ""
            return (n, (meta + " " + xml).lowercased())
        }
    }
}

/// A small subset of Entrez query syntax: alternatives joined by OR, each a set of words that must
/// all occur (AND implied; `[field]` tags and quotes ignored). An empty term matches everything.
enum ESearch {
    static func match(term: String, index: [(id: Int, text: String)]) -> [Int] {
        let alternatives = term.lowercased().components(separatedBy: " or ").map { alt in
            alt.replacingOccurrences(of: "\\[[^\\]]*\\]", with: " ", options: .regularExpression)
                .components(
                    separatedBy: CharacterSet.alphanumerics.inverted.subtracting(CharacterSet(charactersIn: "-"))
                )
                .filter { !$0.isEmpty && $0 != "and" }
        }.filter { !$0.isEmpty }
        if alternatives.isEmpty { return index.map(\.id) }
        return index.filter { entry in alternatives.contains { words in words.allSatisfy { entry.text.contains($0) } } }
            .map(\.id)
    }
}
