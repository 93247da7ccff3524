import Foundation
import PairDxCore
import Synchronization
#if canImport(Glibc)
    import Glibc
#endif

/// Bounds what a client can make the mirror server hold before FlyingFox sees a request.
///
/// FlyingFox 0.27 reads the request line and every header line with an unbounded line reader and keeps all headers
/// in a dictionary before any handler runs, so a check in the handler comes too late to bound memory. The gate
/// therefore sits in front: it owns the public port, reads each connection's request head itself into a buffer
/// that never exceeds the limits (plus one 4 KiB read), answers `414 URI Too Long` when the request line passes
/// `maxLine`, `431 Request Header Fields Too Large` when the head passes `maxHead`, and `413` for a request with a
/// body (the mirror serves GET only), closing the connection each time. An accepted head is passed to FlyingFox on
/// a loopback port and the answer is copied back; the gate then ends the request side, so one connection carries
/// one request (every answer says `Connection: close` anyway) and a second, unchecked head never reaches FlyingFox.
/// At most `maxConnections` connections are served at once (more get `503`), and a client that sends no complete
/// head within `headTimeout` seconds is dropped: memory is bounded by maxConnections × (maxHead + 68 KiB).
final class HeadGate: Sendable {
    struct Limits: Sendable {
        var maxLine = 8 * 1024
        var maxHead = 32 * 1024
        var maxConnections = 256
        var headTimeout = 60
    }

    let limits: Limits
    private let listener: Int32
    private let backendPort: UInt16
    /// The port clients connect to.
    let port: UInt16
    private let active = Mutex(0)
    private let stopped = Mutex(false)

    /// Binds 127.0.0.1:`port` (0: any free port) in front of FlyingFox on 127.0.0.1:`backendPort`.
    init(port: UInt16, backendPort: UInt16, limits: Limits = Limits()) throws {
        self.limits = limits
        self.backendPort = backendPort
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else {
            throw PairDxError.io("mirror server: socket() failed: \(String(cString: strerror(errno)))")
        }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = HeadGate.loopback(port)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 128) == 0 else {
            let why = String(cString: strerror(errno))
            close(fd)
            throw PairDxError.io("mirror server: cannot listen on 127.0.0.1:\(port): \(why)")
        }
        var out = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &out) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        listener = fd
        self.port = UInt16(bigEndian: out.sin_port)
    }

    static func loopback(_ port: UInt16) -> sockaddr_in {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        a.sin_port = port.bigEndian
        return a
    }

    /// Accepts connections on a thread of its own until `stop()`.
    func start() {
        let t = Thread { [self] in acceptLoop() }
        t.stackSize = 256 << 10
        t.start()
    }

    func stop() {
        let first = stopped.withLock { s -> Bool in
            defer { s = true }; return !s
        }
        if first { shutdown(listener, Int32(SHUT_RDWR)); close(listener) }
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                return  // the listener was shut down
            }
            let admitted = active.withLock { n -> Bool in
                guard n < limits.maxConnections else { return false }
                n += 1; return true
            }
            guard admitted else {
                refuse(client, 503, "Service Unavailable", "too many connections\n", drain: false)
                continue
            }
            let t = Thread { [self] in
                serve(client)
                active.withLock { $0 -= 1 }
            }
            t.stackSize = 256 << 10
            t.start()
        }
    }

    /// What the head of a request amounts to.
    enum Head: Equatable {
        case complete(Int)  // the head's length, terminator included
        case needMore
        case lineTooLong
        case headTooLarge
    }

    /// Checks the bytes read so far: the request line must end within `maxLine` bytes and the head (request line,
    /// headers, blank line) within `maxHead`. Pure; O(bytes).
    static func examine(_ b: UnsafeBufferPointer<UInt8>, limits: Limits) -> Head {
        var lineEnd: Int? = nil
        var i = 0
        while i < b.count {
            if b[i] == 0x0A {
                if lineEnd == nil { lineEnd = i }
                // "\n\n" or "\r\n\r\n" ends the head.
                if i >= 1 && b[i - 1] == 0x0A { return i + 1 <= limits.maxHead ? .complete(i + 1) : .headTooLarge }
                if i >= 2 && b[i - 1] == 0x0D && b[i - 2] == 0x0A {
                    return i + 1 <= limits.maxHead ? .complete(i + 1) : .headTooLarge
                }
            }
            i &+= 1
        }
        if (lineEnd ?? b.count) > limits.maxLine { return .lineTooLong }
        return b.count > limits.maxHead ? .headTooLarge : .needMore
    }

    private func serve(_ client: Int32) {
        // The whole head must arrive within `headTimeout`, however slowly it trickles in.
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(limits.headTimeout) * 1_000_000_000
        let capacity = limits.maxHead + 4096
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: capacity)
        defer { buffer.deallocate() }
        var filled = 0
        var verdict = Head.needMore
        while case .needMore = verdict {
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < deadline else { close(client); return }
            let left = deadline - now
            var timeout = timeval(tv_sec: Int(left / 1_000_000_000), tv_usec: Int(left % 1_000_000_000 / 1000))
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let n = recv(client, buffer.baseAddress! + filled, min(4096, capacity - filled), 0)
            if n <= 0 { close(client); return }  // closed, reset or timed out before a whole head
            filled += n
            verdict = HeadGate.examine(UnsafeBufferPointer(rebasing: buffer[0..<filled]), limits: limits)
            if case .complete(let end) = verdict {
                // Only the line length matters once the head is whole.
                if let nl = buffer[0..<end].firstIndex(of: 0x0A), nl > limits.maxLine { verdict = .lineTooLong }
            }
        }
        switch verdict {
        case .lineTooLong:
            refuse(client, 414, "URI Too Long", "request line longer than \(limits.maxLine) bytes\n", drain: true)
        case .headTooLarge:
            refuse(
                client, 431, "Request Header Fields Too Large", "request head larger than \(limits.maxHead) bytes\n",
                drain: true)
        case .complete(let end):
            let head = String(decoding: UnsafeBufferPointer(rebasing: buffer[0..<end]), as: UTF8.self).lowercased()
            if head.contains("\ntransfer-encoding:")
                || head.range(of: "\ncontent-length: *[1-9]", options: .regularExpression) != nil
            {
                refuse(client, 413, "Content Too Large", "the mirror serves GET requests without a body\n", drain: true)
                return
            }
            forward(client, head: UnsafeBufferPointer(rebasing: buffer[0..<end]))
        case .needMore:
            close(client)
        }
    }

    /// Sends the head to FlyingFox, ends the request side, and copies the answer back until FlyingFox closes.
    private func forward(_ client: Int32, head: UnsafeBufferPointer<UInt8>) {
        let backend = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = HeadGate.loopback(backendPort)
        let ok =
            backend >= 0
            && withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(backend, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            } == 0
        guard ok, sendAll(backend, head) else {
            if backend >= 0 { close(backend) }
            refuse(client, 502, "Bad Gateway", "the mirror's HTTP server is not reachable\n", drain: false)
            return
        }
        shutdown(backend, Int32(SHUT_WR))
        let chunk = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 65536)
        defer { chunk.deallocate() }
        while true {
            let n = recv(backend, chunk.baseAddress!, chunk.count, 0)
            if n <= 0 { break }
            if !sendAll(client, UnsafeBufferPointer(rebasing: chunk[0..<n])) { break }
        }
        close(backend)
        shutdown(client, Int32(SHUT_WR))
        close(client)
    }

    private func sendAll(_ fd: Int32, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var off = 0
        while off < bytes.count {
            let n = send(fd, bytes.baseAddress! + off, bytes.count - off, Int32(MSG_NOSIGNAL))
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            off += n
        }
        return true
    }

    /// Answers `status` and closes. With `drain`, the rest of what the client sends is read and dropped (for at most
    /// 2 s and 1 MiB) before closing, so the kernel does not reset the connection under the client's feet before it
    /// has read the answer.
    private func refuse(_ client: Int32, _ status: Int, _ phrase: String, _ body: String, drain: Bool) {
        let answer =
            "HTTP/1.1 \(status) \(phrase)\r\nContent-Type: text/plain\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        var bytes = Array(answer.utf8)
        _ = bytes.withUnsafeMutableBufferPointer { sendAll(client, UnsafeBufferPointer($0)) }
        shutdown(client, Int32(SHUT_WR))
        if drain {
            var t = timeval(tv_sec: 2, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &t, socklen_t(MemoryLayout<timeval>.size))
            var sink = [UInt8](repeating: 0, count: 4096)
            var total = 0
            while total < 1 << 20 {
                let n = sink.withUnsafeMutableBytes { recv(client, $0.baseAddress!, $0.count, 0) }
                if n <= 0 { break }
                total += n
            }
        }
        close(client)
    }
}
