import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Scratch directories for tests, under the system temporary folder (`$TMPDIR`), that do not outlive the test.
///
/// A suite (or test) that makes scratch directories carries the `.scratch` trait; inside it `Scratch.directory(_:)`
/// gives a fresh, uniquely named, empty directory, and all of a test's directories are removed when that test ends,
/// passed or failed. A fixture built once and shared by the tests of a process takes `Scratch.shared(_:)`, removed
/// when the process exits. `PAIRDX_KEEP_SCRATCH=1` keeps them all and names each on stderr, for debugging.
public enum Scratch {
    /// `PAIRDX_KEEP_SCRATCH=1` in the environment: nothing is removed.
    public static var keep: Bool { ProcessInfo.processInfo.environment["PAIRDX_KEEP_SCRATCH"] == "1" }

    /// The running test's folder (created on first use), set by `ScratchTrait`.
    @TaskLocal static var testFolder: String?

    /// A fresh empty directory whose name starts with `tag`, removed when the running test ends. Throws when the
    /// test does not carry the `.scratch` trait: a directory nobody removes is what this helper is there to prevent.
    public static func directory(_ tag: String) throws -> String {
        guard let folder = testFolder else { throw OutsideScope(tag: tag) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return try unique(in: folder, tag)
    }

    /// A fresh empty directory for a fixture that the tests of this process share; removed when the process exits.
    public static func shared(_ tag: String) throws -> String {
        let dir = try unique(in: base, "pairdx-shared-" + tag)
        sharedDirectories.withLock { list in
            if list.isEmpty { atexit { Scratch.removeShared() } }
            list.append(dir)
        }
        return dir
    }

    /// The temporary folder, without a trailing slash.
    static var base: String {
        let t = NSTemporaryDirectory()
        return t.hasSuffix("/") && t.count > 1 ? String(t.dropLast()) : t
    }

    /// `parent/tag-XXXXXX`, created with mkdtemp (so two tests never share one).
    static func unique(in parent: String, _ tag: String) throws -> String {
        let safe = String(tag.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "-" }.prefix(60))
        var template = Array((parent + "/" + safe + "-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw CocoaError(
                .fileWriteUnknown,
                userInfo: [NSLocalizedDescriptionKey: "cannot create a scratch directory in \(parent): errno \(errno)"])
        }
        return String(cString: made)
    }

    static let sharedDirectories = Mutex<[String]>([])

    static func removeShared() { for dir in sharedDirectories.withLock({ $0 }) { remove(dir) } }

    /// Removes `dir`, or names it on stderr when `PAIRDX_KEEP_SCRATCH=1`.
    static func remove(_ dir: String) {
        guard FileManager.default.fileExists(atPath: dir) else { return }
        if keep {
            FileHandle.standardError.write(Data("kept scratch directory \(dir)\n".utf8))
        } else {
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    public struct OutsideScope: Error, CustomStringConvertible {
        public let tag: String
        public var description: String {
            "Scratch.directory(\"\(tag)\") outside a test with the .scratch trait: add it to the @Suite or @Test"
                + " (or use Scratch.shared for a fixture the whole process shares)"
        }
    }
}

/// Gives each test case its own scratch folder for `Scratch.directory(_:)` and removes it when the case ends.
/// On a suite it applies to every test in it.
public struct ScratchTrait: TestTrait, SuiteTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let folder = Scratch.base + "/pairdx-test-\(UUID().uuidString)"
        defer { Scratch.remove(folder) }
        try await Scratch.$testFolder.withValue(folder) { try await function() }
    }
}

extension Trait where Self == ScratchTrait {
    /// Scratch directories made in the test (`Scratch.directory`) are removed when it ends.
    public static var scratch: Self { ScratchTrait() }
}
