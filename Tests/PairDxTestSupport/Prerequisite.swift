import Foundation
import Testing

/// Something a test needs that the test suite does not make itself: a Python with given modules, a data folder, a
/// built executable, a file named by an environment variable.
///
/// A test that needs one takes `trait` (skipped by Swift Testing, with the reason, when it is missing) and calls
/// `require()` first. When `CI=true` and `.ci/run` installs the prerequisite (`installedByCI`), a missing one is not a
/// skip: the test runs and `require()` fails it, so CI cannot pass by skipping.
public struct Prerequisite: Sendable {
    /// What is needed, for messages ("a Python with bagit, mlcroissant").
    public let name: String
    /// The path or value found; nil when missing.
    public let value: String?
    /// Why it is missing and how to get it; nil when present.
    public let missing: String?
    /// `.ci/run` (through scripts/test.sh and scripts/python-env.sh) installs it.
    public let installedByCI: Bool

    public init(name: String, value: String?, missing: String?, installedByCI: Bool) {
        self.name = name; self.value = value; self.missing = value == nil ? (missing ?? "\(name) is missing") : nil
        self.installedByCI = installedByCI
    }

    /// `CI=true` in the environment (as CI services set it).
    public static var inCI: Bool { ProcessInfo.processInfo.environment["CI"]?.lowercased() == "true" }

    /// Runs the test when present, or when CI must have it (then `require()` fails it).
    public var shouldRun: Bool { value != nil || (installedByCI && Self.inCI) }

    /// `.enabled(if: shouldRun, reason)`: a skip with its reason.
    public var trait: ConditionTrait { .enabled(if: shouldRun, Comment(rawValue: missing ?? name)) }

    /// The value; throws (a failure) when missing.
    @discardableResult
    public func require(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        guard let value else {
            let why = installedByCI && Self.inCI ? "CI=true and .ci/run installs it, so its absence is a failure: " : ""
            throw PrerequisiteMissing(message: why + (missing ?? name))
        }
        return value
    }

    public struct PrerequisiteMissing: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    // MARK: - The prerequisites

    /// The repository root (this file is Tests/PairDxTestSupport/Prerequisite.swift).
    public static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// `$PAIRDX_PYTHON` when set, else the repository's `.venv`, else `python3` on PATH: the first that imports
    /// `modules`. The one name for the interpreter everywhere is `PAIRDX_PYTHON`.
    public static func python(_ modules: [String], installedByCI: Bool = true) -> Prerequisite {
        let env = ProcessInfo.processInfo.environment
        var candidates: [String] = []
        if let p = env["PAIRDX_PYTHON"], !p.isEmpty { candidates.append(p) }
        candidates.append(packageRoot + "/.venv/bin/python")
        for dir in (env["PATH"] ?? "/usr/bin").split(separator: ":") { candidates.append("\(dir)/python3") }
        let name = modules.isEmpty ? "a Python 3 interpreter" : "a Python with \(modules.joined(separator: ", "))"
        for p in candidates where FileManager.default.isExecutableFile(atPath: p) {
            if imports(p, modules) {
                return Prerequisite(name: name, value: p, missing: nil, installedByCI: installedByCI)
            }
            if env["PAIRDX_PYTHON"] == p {
                return Prerequisite(
                    name: name, value: nil,
                    missing:
                        "PAIRDX_PYTHON=\(p) cannot import \(modules.joined(separator: ", ")) (scripts/python-env.sh installs them into .venv)",
                    installedByCI: installedByCI)
            }
        }
        return Prerequisite(
            name: name, value: nil,
            missing:
                "no Python with \(modules.joined(separator: ", ")): run scripts/python-env.sh or set PAIRDX_PYTHON",
            installedByCI: installedByCI)
    }

    /// A file or folder at `path` (relative paths from the repository root).
    public static func path(_ path: String, what: String, installedByCI: Bool = false) -> Prerequisite {
        let full = path.hasPrefix("/") ? path : packageRoot + "/" + path
        let ok = FileManager.default.fileExists(atPath: full)
        return Prerequisite(
            name: what, value: ok ? full : nil, missing: "\(what) is absent (\(path))", installedByCI: installedByCI)
    }

    /// The file an environment variable names.
    public static func environmentFile(_ variable: String, what: String, installedByCI: Bool) -> Prerequisite {
        let v = ProcessInfo.processInfo.environment[variable]
        let ok = v.map { FileManager.default.fileExists(atPath: $0) } ?? false
        return Prerequisite(
            name: what, value: ok ? v : nil,
            missing: v == nil ? "\(variable) is not set (\(what))" : "\(variable)=\(v!) does not exist (\(what))",
            installedByCI: installedByCI)
    }

    /// Headless Chromium on PATH (Debian's `chromium` package, which `.ci/run` installs), for the page-rendering checks.
    public static let chromium: Prerequisite = {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            for name in ["chromium", "chromium-browser", "google-chrome"]
            where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
                return Prerequisite(name: "Chromium", value: "\(dir)/\(name)", missing: nil, installedByCI: true)
            }
        }
        return Prerequisite(
            name: "Chromium", value: nil, missing: "needs Debian's chromium package (.ci/run installs it)",
            installedByCI: true)
    }()

    /// The `pairdx` executable built beside the test bundle (`swift test` builds it).
    public static let pairdx: Prerequisite = {
        let bundle = Bundle.main.bundleURL.deletingLastPathComponent()
        for dir in [
            bundle, URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent(),
            Bundle.main.bundleURL
        ] {
            let p = dir.appendingPathComponent("pairdx").path
            if FileManager.default.isExecutableFile(atPath: p) {
                return Prerequisite(name: "the pairdx executable", value: p, missing: nil, installedByCI: true)
            }
        }
        return Prerequisite(
            name: "the pairdx executable", value: nil,
            missing: "the pairdx executable is not built beside the tests (swift build)", installedByCI: true)
    }()

    static func imports(_ python: String, _ modules: [String]) -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = ["-c", modules.isEmpty ? "pass" : modules.map { "import \($0)" }.joined(separator: "; ")]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }
}
