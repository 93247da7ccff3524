import Foundation
import Testing

/// Keeps test work off Swift's cooperative thread pool.
///
/// That pool has one thread per core (two on a 2-core machine), and the in-process HTTP servers of the network tests
/// (`MirrorServer` on FlyingFox, which handles each connection on it) need it to answer. A test that holds a pool
/// thread with long synchronous work (generating a corpus, training, hashing, waiting for a subprocess) or a blocking
/// read starves them when tests run in parallel: their clients then time out. So:
/// - a suite (or test) of CPU-heavy or blocking work carries the `.offPool` trait: its test bodies run on
///   `OffPool.executor`, as many threads of its own as there are cores (no more such bodies run at once, so the
///   machine is not oversubscribed), and the pool stays free;
/// - a single blocking call inside an async test on the pool goes through `OffPool.run`, on a thread of its own.
public enum OffPool {
    /// Runs `body` on a thread of its own and awaits its result.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (cont: CheckedContinuation<T, Error>) in
            let thread = Thread { cont.resume(with: Result { try body() }) }
            thread.stackSize = stackSize
            thread.start()
        }
    }

    /// The executor of `.offPool` tests: one thread per core, started on first use, for the life of the process.
    public static let executor = ThreadsExecutor(threads: ProcessInfo.processInfo.activeProcessorCount)

    /// As a Swift concurrency thread's on Linux (a test may recurse deeply, e.g. a JSON or XML parser).
    static let stackSize = 8 << 20

    /// A task executor on threads of its own: jobs run in the order they come, each on the first free thread.
    public final class ThreadsExecutor: TaskExecutor, @unchecked Sendable {
        private let ready = NSCondition()
        private var queue: [UnownedJob] = []  // guarded by `ready`
        private let count: Int
        private var started = false  // guarded by `ready`

        init(threads: Int) { count = max(1, threads) }

        public func enqueue(_ job: consuming ExecutorJob) {
            let unowned = UnownedJob(job)
            ready.lock()
            if !started {
                started = true
                for i in 0..<count {
                    let thread = Thread { [self] in work() }
                    thread.name = "pairdx-test-offpool-\(i)"
                    thread.stackSize = OffPool.stackSize
                    thread.start()
                }
            }
            queue.append(unowned)
            ready.signal()
            ready.unlock()
        }

        private func work() {
            while true {
                ready.lock()
                while queue.isEmpty { ready.wait() }
                let job = queue.removeFirst()
                ready.unlock()
                job.runSynchronously(on: asUnownedTaskExecutor())
            }
        }
    }
}

/// Runs each test case of the suite (or the test) it is on in a child task with `OffPool.executor` as its task
/// executor: the body, and the nonisolated async functions and child tasks it calls, run on those threads, never on
/// the cooperative pool. Task-local values (the test, its scratch folder) are inherited as by any child task.
public struct OffPoolTrait: TestTrait, SuiteTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        guard testCase != nil else { return try await function() }
        // A child task made with the preference starts on the executor; `withTaskExecutorPreference` alone would
        // leave a synchronous body on the pool thread that calls it (it moves a task only when it is next enqueued).
        try await withoutActuallyEscaping(function) { body in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask(executorPreference: OffPool.executor) { try await body() }
                try await group.waitForAll()
            }
        }
    }
}

extension Trait where Self == OffPoolTrait {
    /// CPU-heavy or blocking tests: they run on threads of their own, never on Swift's cooperative pool.
    public static var offPool: Self { OffPoolTrait() }
}
