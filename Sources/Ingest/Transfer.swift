import CCurl
import Foundation
import PairDxCore

/// One attempt at one request: owns the easy handle, the temporary file and the running digests.
final class Transfer {
    enum Outcome { case done(DownloadResult), retry(after: Double?, DownloadResult) }

    let attempt: Int
    let request: DownloadRequest
    var easy: UnsafeMutableRawPointer?
    var fd: Int32 = -1
    var tmp: String?
    var memory = Data()
    let sha = Hasher256(.sha256)
    var md5: Hasher256?
    var bytes = 0
    var maxBytes = Int.max
    var exceeded = false
    var ioError = false
    var declaredLength: Int?
    var headers: UnsafeMutablePointer<curl_slist>?

    init(attempt: Int, request: DownloadRequest) {
        self.attempt = attempt; self.request = request
    }

    deinit {
        if let easy { curl_easy_cleanup(easy) }
        if let headers { curl_slist_free_all(headers) }
        if fd >= 0 { close(fd) }
        if let tmp { unlink(tmp) }
    }

    /// Creates and configures the easy handle; the body goes to a temporary file or to memory.
    func start(options: HTTPClientOptions) throws(PairDxError) -> UnsafeMutableRawPointer {
        if let dest = request.destination {
            let dir = (dest as NSString).deletingLastPathComponent
            do { try FileSystem.makeDirectory(dir.isEmpty ? "." : dir) } catch { throw .io("cannot create \(dir)") }
            let t = AtomicFile.temporaryPath(for: dest)
            fd = open(t, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw .io("cannot create \(t): \(String(cString: strerror(errno)))") }
            tmp = t
        }
        if request.expectedMD5 != nil { md5 = Hasher256(.md5) }
        let limit = options.bodyLimits[request.kind]
        maxBytes = min(limit, request.expectedLength ?? limit)
        guard let h = curl_easy_init() else { throw .io("curl_easy_init failed") }
        easy = h
        _ = _pdx_easy_setopt_str(h, CURLOPT_URL, request.url)
        _ = _pdx_easy_setopt_str(h, CURLOPT_PROTOCOLS_STR, "http,https,file")
        _ = _pdx_easy_setopt_str(h, CURLOPT_REDIR_PROTOCOLS_STR, Transfer.redirectProtocols(for: request.url))
        _ = _pdx_easy_setopt_long(h, CURLOPT_TIMEOUT_MS, Int(options.totalTimeout(bytes: maxBytes) * 1000))
        _ = _pdx_easy_setopt_str(h, CURLOPT_USERAGENT, options.userAgent)
        _ = _pdx_easy_setopt_long(h, CURLOPT_NOSIGNAL, 1)
        _ = _pdx_easy_setopt_long(h, CURLOPT_FOLLOWLOCATION, 1)
        _ = _pdx_easy_setopt_long(h, CURLOPT_MAXREDIRS, 5)
        _ = _pdx_easy_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, Int(options.connectTimeout * 1000))
        _ = _pdx_easy_setopt_long(h, CURLOPT_LOW_SPEED_LIMIT, options.lowSpeedBytes)
        _ = _pdx_easy_setopt_long(h, CURLOPT_LOW_SPEED_TIME, options.lowSpeedTime)
        _ = _pdx_easy_setopt_off(h, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(maxBytes))
        _ = _pdx_easy_setopt_str(h, CURLOPT_ACCEPT_ENCODING, "")
        if let ca = options.caBundle { _ = _pdx_easy_setopt_str(h, CURLOPT_CAINFO, ca) }
        _ = _pdx_easy_setopt_writefn(h, CURLOPT_WRITEFUNCTION, transferWrite)
        _ = _pdx_easy_setopt_ptr(h, CURLOPT_WRITEDATA, Unmanaged.passUnretained(self).toOpaque())
        return h
    }

    /// Where redirects from `url` may lead: `https` only from an `https` origin (no downgrade), `http` or
    /// `https` from anything else; never `file` or any other scheme.
    static func redirectProtocols(for url: String) -> String {
        url.lowercased().hasPrefix("https://") ? "https" : "http,https"
    }

    /// Appends one chunk; returns false to abort (too large, or a write failed).
    func write(_ p: UnsafeRawBufferPointer) -> Bool {
        bytes += p.count
        if bytes > maxBytes { exceeded = true; return false }
        sha.update(p)
        md5?.update(p)
        if fd >= 0 {
            var off = 0
            while off < p.count {
                let n = Glibc.write(fd, p.baseAddress! + off, p.count - off)
                if n < 0 { if errno == EINTR { continue }; ioError = true; return false }
                off += n
            }
        } else {
            memory.append(p.bindMemory(to: UInt8.self))
        }
        return true
    }

    func result(status: Int, error: String?, errorClass: DownloadErrorClass, sha256: String? = nil) -> DownloadResult {
        DownloadResult(
            url: request.url, status: status, error: error, errorClass: error == nil ? .ok : errorClass,
            bytes: bytes, sha256: sha256, retries: attempt,
            data: error == nil && request.destination == nil ? memory : nil, declaredLength: declaredLength)
    }

    /// Classifies the finished attempt; on success commits the temporary file to its destination.
    func finish(code: CURLcode, options: HTTPClientOptions) -> Outcome {
        guard let h = easy else { return .done(result(status: 0, error: "no handle", errorClass: .io)) }
        var status = 0
        _ = _pdx_easy_getinfo_long(h, CURLINFO_RESPONSE_CODE, &status)
        let isHTTP = request.url.lowercased().hasPrefix("http")
        var declared: curl_off_t = -1
        _ = _pdx_easy_getinfo_off(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &declared)
        declaredLength = declared >= 0 ? Int(declared) : nil
        if exceeded || code == CURLE_FILESIZE_EXCEEDED {
            if let expected = request.expectedLength, expected < options.bodyLimits[request.kind] {
                return .retry(
                    after: nil,
                    result(
                        status: status, error: "length-mismatch: more than the \(expected) bytes expected",
                        errorClass: .lengthMismatch))
            }
            return .done(
                result(
                    status: status,
                    error: "too-large: body exceeds the \(request.kind.rawValue) limit of \(maxBytes) bytes",
                    errorClass: .tooLarge))
        }
        if ioError {
            return .done(result(status: status, error: "io: cannot write the temporary file", errorClass: .io))
        }
        if code != CURLE_OK {
            let message = String(cString: curl_easy_strerror(code))
            switch code {
            case CURLE_FILE_COULDNT_READ_FILE, CURLE_REMOTE_FILE_NOT_FOUND:
                return .done(result(status: status, error: "not-found: \(message)", errorClass: .notFound))
            case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT, CURLE_TOO_MANY_REDIRECTS:
                var redirects = 0
                _ = _pdx_easy_getinfo_long(h, CURLINFO_REDIRECT_COUNT, &redirects)
                var target: UnsafeMutablePointer<CChar>? = nil
                _ = _pdx_easy_getinfo_str(h, CURLINFO_EFFECTIVE_URL, &target)
                let to = target.map { String(cString: $0) } ?? request.url
                if redirects > 0 || to != request.url || code == CURLE_TOO_MANY_REDIRECTS {
                    return .done(
                        result(
                            status: status, error: "redirect-refused: to \(to) (\(message))",
                            errorClass: .redirectRefused))
                }
                return .done(result(status: status, error: "bad-url: \(message)", errorClass: .io))
            case CURLE_OPERATION_TIMEDOUT:
                return .retry(after: nil, result(status: status, error: "timeout: \(message)", errorClass: .timeout))
            case CURLE_PARTIAL_FILE:
                return .retry(
                    after: nil,
                    result(status: status, error: "length-mismatch: \(message)", errorClass: .lengthMismatch))
            default:
                return .retry(after: nil, result(status: status, error: "network: \(message)", errorClass: .network))
            }
        }
        if isHTTP && !(200..<300).contains(status) {
            var retryAfter: curl_off_t = -1
            _ = _pdx_easy_getinfo_off(h, CURLINFO_RETRY_AFTER, &retryAfter)
            let after: Double? = retryAfter > 0 ? Double(retryAfter) : nil
            let cls: DownloadErrorClass = status == 429 ? .http429 : (status >= 500 ? .http5xx : .http4xx)
            let r = result(status: status, error: "http \(status)", errorClass: cls)
            if status == 429 || status == 408 || status >= 500 { return .retry(after: after, r) }
            return .done(r)
        }
        if let expected = request.expectedLength, expected != bytes {
            return .retry(
                after: nil,
                result(
                    status: status, error: "length-mismatch: \(bytes) bytes, expected \(expected)",
                    errorClass: .lengthMismatch))
        }
        if let want = request.expectedMD5, let got = md5?.finalizeHex(), want != got {
            return .retry(
                after: nil,
                result(
                    status: status, error: "md5-mismatch: got \(got), expected \(want)",
                    errorClass: .md5Mismatch))
        }
        let digest = sha.finalizeHex()
        if let dest = request.destination, let t = tmp {
            // close(2) may report a write the kernel could not complete (NFS, quota): the file is not trusted then.
            let closed = close(fd); fd = -1
            if closed != 0 {
                return .done(
                    result(
                        status: status, error: "io: cannot close \(t): \(String(cString: strerror(errno)))",
                        errorClass: .io))
            }
            do { try QuickFiles.place(t, at: dest) } catch {
                tmp = nil
                return .done(result(status: status, error: "io: \(error)", errorClass: .io))
            }
            tmp = nil
        }
        return .done(result(status: status, error: nil, errorClass: .ok, sha256: digest))
    }
}

/// libcurl's write callback: forwards to the `Transfer` passed as user data.
private let transferWrite: _pdx_write_cb = { ptr, size, count, user in
    guard let ptr, let user else { return 0 }
    let t = Unmanaged<Transfer>.fromOpaque(user).takeUnretainedValue()
    let n = size * count
    return t.write(UnsafeRawBufferPointer(start: ptr, count: n)) ? n : 0
}
