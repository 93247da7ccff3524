import Foundation
import PairDxCore

/// The stamped stages of a rebuild and the code identity of each: one table.
///
/// A stage's `codeVersion` is part of its fingerprint. Bump it in the same change as any code change that alters
/// the bytes the stage writes (its own code or code it calls: the decoder for `hash`, the labeller for `label`…):
/// a rebuild then reruns that stage and everything after it, where an unchanged number would keep the old outputs.
/// `StageCodeTests` holds the golden digests of every stage's outputs on a small demo corpus and fails when they
/// change while the version stays. The four steps that are not here always run: `discover` (the source may have
/// new articles), `fetch` (it resumes from its journal: a complete fetch costs only the metadata reads), `verify` and
/// `audit` (checks over the final split that cost seconds, and must see the bytes as they are now).
public enum StageName: String, CaseIterable, Sendable, Codable {
    case synth, hash, dedupe, label, balance, split, manifest, validate

    public var codeVersion: Int {
        switch self {
        case .synth: 2
        case .hash: 2
        case .dedupe: 3
        case .label: 2
        case .balance: 1
        case .split: 2
        case .manifest: 2
        case .validate: 1
        }
    }
}

/// One step of a rebuild: what it reads, what it writes, what it depends on, and how to run it.
///
/// A stage is skipped when its fingerprint — sha256 over its name, its code identity (`StageName.codeVersion`),
/// its parameters and the bytes of every input file — equals the one stamped after its last successful run and
/// every output it stamped still has the bytes it had then. Stamps live in `<work>/.stamps/<name>.json` and are
/// written only after the stage finished, so a killed stage simply runs again (stages themselves resume from their
/// journals).
public struct Stage: Sendable {
    public var name: StageName
    /// The code identity in the fingerprint: `name.codeVersion` unless a test says otherwise.
    public var codeVersion: Int
    public var inputs: [String]
    public var outputs: [String]
    public var parameters: [String: String]
    public var run: @Sendable () throws -> Void

    public init(
        _ name: StageName, inputs: [String], outputs: [String], parameters: [String: String] = [:],
        codeVersion: Int? = nil, run: @escaping @Sendable () throws -> Void
    ) {
        self.name = name; self.codeVersion = codeVersion ?? name.codeVersion
        self.inputs = inputs; self.outputs = outputs; self.parameters = parameters; self.run = run
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

    /// The fingerprint of `stage` run over `work`: inputs inside the work directory are named relative to it, so a
    /// work directory moved elsewhere keeps its stamps.
    static func of(_ stage: Stage, work: WorkDirectory) throws -> String {
        let h = Hasher256()
        h.update("stage\t\(stage.name.rawValue)\ncode\t\(stage.codeVersion)\nversion\t\(PairDxVersion.string)\n")
        for k in stage.parameters.keys.sorted() { h.update("param\t\(k)\t\(stage.parameters[k]!)\n") }
        for i in stage.inputs { h.update("input\t\(relative(i, to: work))\t\(try digest(of: i))\n") }
        return h.finalizeHex()
    }

    /// `path` relative to the work directory when it lies inside it, else as given.
    static func relative(_ path: String, to work: WorkDirectory) -> String {
        let root = work.root.hasSuffix("/") ? work.root : work.root + "/"
        return path.hasPrefix(root) ? "work:" + path.dropFirst(root.count) : path
    }
}

/// Runs stages in order, skipping those whose fingerprint is unchanged.
public struct StageRunner {
    public let work: WorkDirectory
    public var force: Bool
    public private(set) var log: [(name: String, ran: Bool, seconds: Double)] = []

    public init(work: WorkDirectory, force: Bool = false) { self.work = work; self.force = force }

    func stampPath(_ name: StageName) -> String { work.path(".stamps/\(name.rawValue).json") }

    public mutating func run(_ stage: Stage) throws {
        let fp = try Fingerprint.of(stage, work: work)
        if !force, let data = try? FileSystem.read(stampPath(stage.name)),
            let stamp = try? JSONDecoder().decode(Stamp.self, from: data), stamp.fingerprint == fp,
            try stage.outputs.allSatisfy({
                try stamp.outputs[Fingerprint.relative($0, to: work)] == Fingerprint.digest(of: $0)
                    && FileSystem.exists($0)
            })
        {
            Log.info("[\(stage.name.rawValue)] unchanged — skipped")
            log.append((stage.name.rawValue, false, 0))
            return
        }
        Log.info("[\(stage.name.rawValue)] running")
        let t0 = Date()
        try stage.run()
        var outs: [String: String] = [:]
        for o in stage.outputs { outs[Fingerprint.relative(o, to: work)] = try Fingerprint.digest(of: o) }
        try AtomicFile.write(
            try CanonicalJSON.encode(Stamp(fingerprint: fp, outputs: outs), pretty: true), to: stampPath(stage.name))
        let dt = Date().timeIntervalSince(t0)
        Log.info(String(format: "[\(stage.name.rawValue)] done in %.1f s", dt))
        log.append((stage.name.rawValue, true, dt))
    }
}
