import Foundation

/// Blocking work inside an async test, on a thread of its own.
///
/// Swift's cooperative thread pool has one thread per core (two on a 2-core machine), and the in-process HTTP servers
/// of the network tests (`MirrorServer` on FlyingFox, which handles each connection on it) need it to answer. An async
/// test that blocks a pool thread (a `recv`, waiting for a subprocess) starves them when tests run in parallel.
public enum OffPool {
    /// Runs `body` on a thread of its own and awaits its result.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (cont: CheckedContinuation<T, Error>) in
            let thread = Thread { cont.resume(with: Result { try body() }) }
            thread.stackSize = 8 << 20  // as a Swift concurrency thread's on Linux
            thread.start()
        }
    }
}
