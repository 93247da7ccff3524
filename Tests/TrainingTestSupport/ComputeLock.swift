import Foundation
import Training

/// `BLAS.mode` and `Compute.threads` are process-wide, and Swift Testing runs tests in parallel. A test that switches
/// to `.fast` (or trains, which sets the mode from its configuration) holds this lock for as long as the setting must
/// hold, so a fast-mode check never runs a deterministic training's products on OpenBLAS (changing its digest) and a
/// training never switches a fast-mode check back to the deterministic kernel halfway. A holder may take it again on its own thread.
public enum ComputeLock {
    private static let lock = NSRecursiveLock()

    /// Runs `body` while no other holder runs.
    public static func run<R>(_ body: () throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// Runs `body` with `BLAS.mode` and `Compute.threads` set, restoring both afterwards, under the lock.
    public static func withMode<R>(_ mode: ComputeMode, threads: Int, _ body: () throws -> R) rethrows -> R {
        try run {
            let saved = (BLAS.mode, Compute.threads)
            defer { BLAS.mode = saved.0; Compute.threads = saved.1 }
            BLAS.mode = mode
            Compute.threads = threads
            return try body()
        }
    }
}
