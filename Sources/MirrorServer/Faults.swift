import Foundation
import PairDxCore
import Synchronization

/// A fault injected on requests whose path matches, read from a JSON file:
///
///     {"faults": [{"path": "/PMC1.1/a.jpg", "kind": "status", "status": 429, "retryAfter": 1, "times": 2},
///                 {"path": "/PMC2.1/*", "kind": "stall", "seconds": 3},
///                 {"path": "/PMC3.1/b.png", "kind": "truncate", "fraction": 0.5, "times": 1},
///                 {"path": "/PMC4.1/c.png", "kind": "wrong-length"},
///                 {"path": "/PMC5.1/d.png", "kind": "drip", "bytesPerSecond": 4096}]}
///
///                 {"path": "/PMC6.1/e.png", "kind": "redirect", "location": "file:///etc/hostname"},
///                 {"path": "/PMC7.1/f.png", "kind": "no-length", "extraBytes": 10},
///                 {"path": "/PMC8.1/g.png", "kind": "html"},
///                 {"path": "/PMC9.1/h.png", "kind": "corrupt", "times": 1},
///                 {"path": "/", "kind": "endless-listing", "token": "again"}]}
///
/// `path` is exact, or a prefix when it ends in `*`. `times` limits how many matching requests
/// are hit (absent: every one). Kinds: `status` (with optional `retryAfter` seconds), `stall`
/// (wait `seconds`, then answer normally), `truncate` (send `fraction` of the body, then drop the
/// connection), `wrong-length` (declare more bytes than are sent, then drop), `drip` (send slowly),
/// `redirect` (302 to `location`, where `{origin}` stands for `http://<host>:<port>` of this server),
/// `no-length` (the body chunked, with no `Content-Length`, plus `extraBytes` of zeros at its end),
/// `html` (200 with an HTML error page in place of the file), `corrupt` (the file's length with one byte in the
/// middle inverted, so only its MD5 tells), `endless-listing` (a ListObjectsV2 answer
/// that is always truncated: its continuation is `token` on every page, or a new one each page without it).
public struct Fault: Codable, Sendable {
    public var path: String
    public var kind: String
    public var status: Int?
    public var retryAfter: Int?
    public var seconds: Double?
    public var fraction: Double?
    public var bytesPerSecond: Int?
    public var times: Int?
    public var location: String?
    public var extraBytes: Int?
    public var token: String?

    public init(
        path: String, kind: String, status: Int? = nil, retryAfter: Int? = nil, seconds: Double? = nil,
        fraction: Double? = nil, bytesPerSecond: Int? = nil, times: Int? = nil,
        location: String? = nil, extraBytes: Int? = nil, token: String? = nil
    ) {
        self.path = path; self.kind = kind; self.status = status; self.retryAfter = retryAfter
        self.seconds = seconds; self.fraction = fraction; self.bytesPerSecond = bytesPerSecond; self.times = times
        self.location = location; self.extraBytes = extraBytes; self.token = token
    }

    func matches(_ p: String) -> Bool {
        path.hasSuffix("*") ? p.hasPrefix(String(path.dropLast())) : p == path
    }

    static let kinds: Set<String> = [
        "status", "stall", "truncate", "wrong-length", "drip", "redirect", "no-length", "html",
        "corrupt", "endless-listing"
    ]
    /// Kinds that apply to listings (ListObjectsV2 requests) rather than to files.
    static let listingKinds: Set<String> = ["endless-listing"]
}

public struct FaultPlan: Codable, Sendable {
    public var faults: [Fault]
    public init(faults: [Fault]) { self.faults = faults }

    public static func load(_ path: String) throws -> FaultPlan {
        let plan = try CanonicalJSON.decode(FaultPlan.self, from: try FileSystem.read(path), source: path)
        for (i, f) in plan.faults.enumerated() where !Fault.kinds.contains(f.kind) {
            throw PairDxError.badInput(
                "\(path): fault \(i + 1) has unknown kind '\(f.kind)' (use \(Fault.kinds.sorted().joined(separator: ", ")))"
            )
        }
        return plan
    }
}

/// Counts hits per fault so `times` is honoured across concurrent connections.
final class FaultCounter: Sendable {
    private let used = Mutex<[Int: Int]>([:])
    let plan: FaultPlan
    init(plan: FaultPlan) { self.plan = plan }

    /// The first fault of one of `kinds` that matches `path` and still has uses left; consumes one use.
    func take(_ path: String, kinds: Set<String> = Fault.kinds) -> Fault? {
        used.withLock { used in
            for (i, f) in plan.faults.enumerated() where f.matches(path) && kinds.contains(f.kind) {
                let n = used[i, default: 0]
                if let times = f.times, n >= times { continue }
                used[i] = n + 1
                return f
            }
            return nil
        }
    }
}

/// Requests served per path (query excluded), for tests and `serve-mirror` diagnostics.
/// With an access log, also one line per request, appended: seconds since start (monotonic, 6 decimals) and
/// the path with every byte outside printable ASCII, and `%` and `\`, written as `%XX` (a path cannot
/// start a new line or forge one).
final class HitCounter: Sendable {
    private struct State {
        var hits: [String: Int] = [:]
        var log: Int32 = -1
    }
    private let state = Mutex(State())
    private let start = DispatchTime.now().uptimeNanoseconds

    init(accessLog: String?) throws {
        if let accessLog {
            let fd = open(accessLog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw PairDxError.io("cannot open the access log \(accessLog): \(String(cString: strerror(errno)))")
            }
            state.withLock { $0.log = fd }
        }
    }

    deinit { state.withLock { if $0.log >= 0 { close($0.log) } } }

    func add(_ path: String) {
        let t = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        state.withLock { s in
            s.hits[path, default: 0] += 1
            guard s.log >= 0 else { return }
            let line = Array((String(format: "%.6f ", t) + HitCounter.escape(path) + "\n").utf8)
            _ = line.withUnsafeBytes { write(s.log, $0.baseAddress!, $0.count) }
        }
    }

    var snapshot: [String: Int] { state.withLock { $0.hits } }

    /// `s` with bytes outside `!`…`~`, and `%` and `\`, as `%XX`.
    static func escape(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            if b > 0x20 && b < 0x7F && b != UInt8(ascii: "%") && b != UInt8(ascii: "\\") {
                out.append(Character(Unicode.Scalar(b)))
            } else {
                out += String(format: "%%%02X", b)
            }
        }
        return out
    }
}
