import Foundation
import PairDxCore

/// One step of a rebuild: what it reads, what it writes, what it depends on, and how to run it.
///
/// A stage is skipped when its fingerprint — sha256 over its name, the code version, its parameters and the
/// bytes of every input file — equals the one stamped after its last successful run and every output it stamped
/// still has the bytes it had then. Stamps live in `<work>/.stamps/<name>.json` and are written only after the
/// stage finished, so a killed stage simply runs again (stages themselves resume from their journals).
public struct Stage: Sendable {
    public var name: String
    public var inputs: [String]
    public var outputs: [String]
    public var parameters: [String: String]
    public var run: @Sendable () throws -> Void

    public init(name: String, inputs: [String], outputs: [String], parameters: [String: String] = [:],
                run: @escaping @Sendable () throws -> Void) {
        self.name = name; self.inputs = inputs; self.outputs = outputs; self.parameters = parameters; self.run = run
    }
}

/// A stage's stamp: the fingerprint it ran with and the digests of what it wrote.
struct Stamp: Codable, Equatable {
    var fingerprint: String
    var outputs: [String: String]
}

public enum Fingerprint {
    /// Digest of a file, or of every file under a directory (relative names and bytes, sorted); "absent" when missing.
    public static func digest(of path: String) throws -> String {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { return "absent" }
        if !isDir.boolValue { return try SHA256.hex(fileAt: path) }
        let h = Hasher256()
        for f in FileSystem.listFiles(under: path) {
            h.update("\(f)\t\(try SHA256.hex(fileAt: path + "/" + f))\n")
        }
        return h.finalizeHex()
    }

    static func of(_ stage: Stage) throws -> String {
        let h = Hasher256()
        h.update("stage\t\(stage.name)\nversion\t\(PairDxVersion.string)\n")
        for k in stage.parameters.keys.sorted() { h.update("param\t\(k)\t\(stage.parameters[k]!)\n") }
        for i in stage.inputs { h.update("input\t\(i)\t\(try digest(of: i))\n") }
        return h.finalizeHex()
    }
}

/// Runs stages in order, skipping those whose fingerprint is unchanged.
public struct StageRunner {
    public let work: WorkDirectory
    public var force: Bool
    public private(set) var log: [(name: String, ran: Bool, seconds: Double)] = []

    public init(work: WorkDirectory, force: Bool = false) { self.work = work; self.force = force }

    func stampPath(_ name: String) -> String { work.path(".stamps/\(name).json") }

    public mutating func run(_ stage: Stage) throws {
        let fp = try Fingerprint.of(stage)
        if !force, let data = try? FileSystem.read(stampPath(stage.name)),
           let stamp = try? JSONDecoder().decode(Stamp.self, from: data), stamp.fingerprint == fp,
           try stage.outputs.allSatisfy({ try stamp.outputs[$0] == Fingerprint.digest(of: $0) && FileSystem.exists($0) }) {
            Log.info("[\(stage.name)] unchanged — skipped")
            log.append((stage.name, false, 0))
            return
        }
        Log.info("[\(stage.name)] running")
        let t0 = Date()
        try stage.run()
        var outs: [String: String] = [:]
        for o in stage.outputs { outs[o] = try Fingerprint.digest(of: o) }
        try AtomicFile.write(try CanonicalJSON.encode(Stamp(fingerprint: fp, outputs: outs), pretty: true), to: stampPath(stage.name))
        let dt = Date().timeIntervalSince(t0)
        Log.info(String(format: "[\(stage.name)] done in %.1f s", dt))
        log.append((stage.name, true, dt))
    }
}
