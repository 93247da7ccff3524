import Foundation

/// Runs work over `0..<count` on `threads` workers that take batches from a shared counter.
/// Results are written by index, so the output order never depends on scheduling.
public enum Parallel {
    /// Calls `body(i)` once for every `i` in `0..<count`, from up to `threads` threads at once.
    @inlinable public static func forEach(count: Int, threads: Int, batch: Int = 16, _ body: @Sendable (Int) -> Void) {
        guard count > 0 else { return }
        let workers = max(1, min(threads, (count + batch - 1) / batch))
        if workers == 1 {
            for i in 0..<count { body(i) }
            return
        }
        let next = Counter()
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let start = next.take(batch)
                if start >= count { break }
                for i in start..<min(count, start + batch) { body(i) }
            }
        }
    }

    /// `transform` applied to every index, results in index order.
    @inlinable public static func map<T: Sendable>(
        count: Int, threads: Int, batch: Int = 16,
        _ transform: @Sendable (Int) -> T
    ) -> [T] {
        let slots = Slots<T>(count)
        forEach(count: count, threads: threads, batch: batch) { i in slots.set(i, transform(i)) }
        return slots.values()
    }

    @usableFromInline final class Counter: @unchecked Sendable {
        private var value = 0
        private let lock = NSLock()
        @usableFromInline init() {}
        @usableFromInline func take(_ n: Int) -> Int {
            lock.lock(); defer { lock.unlock() }
            let v = value
            value += n
            return v
        }
    }

    /// Write-once slots; each index is written by exactly one worker, so no lock is needed.
    @usableFromInline final class Slots<T>: @unchecked Sendable {
        @usableFromInline let buffer: UnsafeMutablePointer<T?>
        @usableFromInline let count: Int
        @usableFromInline init(_ count: Int) {
            self.count = count
            buffer = .allocate(capacity: count)
            buffer.initialize(repeating: nil, count: count)
        }
        deinit {
            buffer.deinitialize(count: count)
            buffer.deallocate()
        }
        @inlinable func set(_ i: Int, _ v: T) { buffer[i] = v }
        @inlinable func values() -> [T] { (0..<count).map { buffer[$0]! } }
    }
}
