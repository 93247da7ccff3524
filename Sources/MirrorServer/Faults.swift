import Foundation
import PairDxCore

/// A fault injected on requests whose path matches, read from a JSON file:
///
///     {"faults": [{"path": "/PMC1.1/a.jpg", "kind": "status", "status": 429, "retryAfter": 1, "times": 2},
///                 {"path": "/PMC2.1/*", "kind": "stall", "seconds": 3},
///                 {"path": "/PMC3.1/b.png", "kind": "truncate", "fraction": 0.5, "times": 1},
///                 {"path": "/PMC4.1/c.png", "kind": "wrong-length"},
///                 {"path": "/PMC5.1/d.png", "kind": "drip", "bytesPerSecond": 4096}]}
///
/// `path` is exact, or a prefix when it ends in `*`. `times` limits how many matching requests
/// are hit (absent: every one). Kinds: `status` (with optional `retryAfter` seconds), `stall`
/// (wait `seconds`, then answer normally), `truncate` (send `fraction` of the body, then drop the
/// connection), `wrong-length` (declare more bytes than are sent, then drop), `drip` (send slowly).
public struct Fault: Codable, Sendable {
    public var path: String
    public var kind: String
    public var status: Int?
    public var retryAfter: Int?
    public var seconds: Double?
    public var fraction: Double?
    public var bytesPerSecond: Int?
    public var times: Int?

    public init(path: String, kind: String, status: Int? = nil, retryAfter: Int? = nil, seconds: Double? = nil,
                fraction: Double? = nil, bytesPerSecond: Int? = nil, times: Int? = nil) {
        self.path = path; self.kind = kind; self.status = status; self.retryAfter = retryAfter
        self.seconds = seconds; self.fraction = fraction; self.bytesPerSecond = bytesPerSecond; self.times = times
    }

    func matches(_ p: String) -> Bool {
        path.hasSuffix("*") ? p.hasPrefix(String(path.dropLast())) : p == path
    }

    static let kinds: Set<String> = ["status", "stall", "truncate", "wrong-length", "drip"]
}

public struct FaultPlan: Codable, Sendable {
    public var faults: [Fault]
    public init(faults: [Fault]) { self.faults = faults }

    public static func load(_ path: String) throws -> FaultPlan {
        let plan = try CanonicalJSON.decode(FaultPlan.self, from: try FileSystem.read(path), source: path)
        for (i, f) in plan.faults.enumerated() where !Fault.kinds.contains(f.kind) {
            throw PairDxError.badInput("\(path): fault \(i + 1) has unknown kind '\(f.kind)' (use \(Fault.kinds.sorted().joined(separator: ", ")))")
        }
        return plan
    }
}

/// Counts hits per fault so `times` is honoured across concurrent connections.
final class FaultCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var used: [Int: Int] = [:]
    let plan: FaultPlan
    init(plan: FaultPlan) { self.plan = plan }

    /// The first fault that matches `path` and still has uses left; consumes one use.
    func take(_ path: String) -> Fault? {
        lock.lock(); defer { lock.unlock() }
        for (i, f) in plan.faults.enumerated() where f.matches(path) {
            let n = used[i, default: 0]
            if let times = f.times, n >= times { continue }
            used[i] = n + 1
            return f
        }
        return nil
    }
}

/// Requests served per path (query excluded), for tests and `serve-mirror` diagnostics.
/// With an access log, also one line per request: seconds since start (monotonic, 6 decimals) and path.
final class HitCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var hits: [String: Int] = [:]
    private let log: FileHandle?
    private let start = DispatchTime.now().uptimeNanoseconds

    init(accessLog: String?) throws {
        if let accessLog {
            guard FileManager.default.createFile(atPath: accessLog, contents: nil),
                  let h = FileHandle(forWritingAtPath: accessLog) else {
                throw PairDxError.io("cannot create the access log \(accessLog)")
            }
            log = h
        } else { log = nil }
    }

    func add(_ path: String) {
        lock.lock(); defer { lock.unlock() }
        hits[path, default: 0] += 1
        if let log {
            let t = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            log.write(Data((String(format: "%.6f ", t) + path + "\n").utf8))
        }
    }
    var snapshot: [String: Int] { lock.lock(); defer { lock.unlock() }; return hits }
}
