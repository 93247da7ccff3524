import Foundation
import PairDxCore

/// Locations the tests use: the package root and `../shared/data` beside it.
enum TestPaths {
    /// The package root (two levels above this file's folder).
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// `../shared/data/<sub>` seen from the package root (or from an enclosing folder of it), or nil.
    static func shared(_ sub: String) -> String? {
        var url = URL(fileURLWithPath: packageRoot)
        for _ in 0..<3 {
            url.deleteLastPathComponent()
            let candidate = url.appendingPathComponent("shared/data/\(sub)").path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
        }
        return nil
    }
}

/// Runs an executable to completion without blocking a Swift concurrency thread (the in-process
/// mirror server shares that small pool). Returns the exit status.
func runProcess(_ path: String, _ args: [String]) async throws -> Int32 {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    return try await withCheckedThrowingContinuation { (cont: CheckedContinuation<Int32, Error>) in
        p.terminationHandler = { cont.resume(returning: $0.terminationStatus) }
        do { try p.run() } catch { p.terminationHandler = nil; cont.resume(throwing: error) }
    }
}
