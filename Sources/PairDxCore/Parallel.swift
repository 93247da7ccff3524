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

extension Parallel {
    /// The fewest elements a slice of `sort` is given (smaller arrays sort on one thread).
    @usableFromInline static let minSlice = 2048

    /// Sorts `values` by `less`, a strict total order (no two distinct elements equivalent), so the result is
    /// the one `sort(by:)` gives whatever the thread count: up to `threads` slices are sorted at once, then merged
    /// pairwise. O(n log n) work; extra memory: one copy of `values` while merging.
    @inlinable public static func sort<T: Sendable>(
        _ values: inout [T], threads: Int, by less: @escaping @Sendable (T, T) -> Bool
    ) {
        let n = values.count
        let parts = min(max(1, threads), max(1, n / minSlice))
        guard parts > 1 else { return values.sort(by: less) }
        let bounds = (0...parts).map { $0 * n / parts }
        var runs: [[T]]
        do {
            let frozen = values
            values = []
            runs = map(count: parts, threads: parts, batch: 1) { k in
                frozen[bounds[k]..<bounds[k + 1]].sorted(by: less)
            }
        }
        while runs.count > 1 {
            var next = [[T]]()
            for k in Swift.stride(from: 0, to: runs.count, by: 2) {
                guard k + 1 < runs.count else { next.append(runs[k]); continue }
                let a = runs[k], b = runs[k + 1]
                runs[k] = []; runs[k + 1] = []
                var merged = [T]()
                merged.reserveCapacity(a.count + b.count)
                var i = 0, j = 0
                while i < a.count && j < b.count {
                    if less(b[j], a[i]) { merged.append(b[j]); j += 1 } else { merged.append(a[i]); i += 1 }
                }
                merged += a[i...]
                merged += b[j...]
                next.append(merged)
            }
            runs = next
        }
        values = runs[0]
    }
}
