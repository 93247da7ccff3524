import Dispatch

/// The compute threads of the training core: OpenBLAS's thread count and the split of the layers' own loops.
/// Set `Compute.threads = n` once before training (it calls `BLAS.setThreads`).
///
/// Only for work whose iterations write disjoint memory, so the result never depends on the thread count.
public enum Compute {
    nonisolated(unsafe) private static var threadCount = 1

    /// Threads used by `parallelFor` and by OpenBLAS. Set once before training.
    public static var threads: Int {
        get { threadCount }
        set {
            threadCount = max(1, newValue)
            BLAS.setThreads(threadCount)
        }
    }

    /// Runs `body(range)` over `0..<count` split into at most `threads` contiguous chunks (in parallel when
    /// more than one and the work is worth it: `count·costPerItem ≥ 32k`).
    @inline(__always)
    public static func parallelFor(_ count: Int, costPerItem: Int = 1, _ body: (Range<Int>) -> Void) {
        let t = threadCount
        if t <= 1 || count < 2 || count &* costPerItem < 32_768 {
            body(0..<count)
            return
        }
        let chunks = min(t, count)
        withoutActuallyEscaping(body) { body in
            let box = UnsafeSendableBox(body)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                let lo = count * c / chunks, hi = count * (c + 1) / chunks
                box.value(lo..<hi)
            }
        }
    }
}

/// Carries a non-Sendable closure into `concurrentPerform`; safe because callers write disjoint memory.
private struct UnsafeSendableBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// A growable scratch buffer shared by the layers of one model (im2col columns and their gradients), so
/// column matrices are never kept per layer. Not thread-safe; contents are undefined between uses.
public final class Workspace {
    private var base: UnsafeMutablePointer<Float>
    private var capacity: Int

    public init() {
        base = .allocate(capacity: 1)
        capacity = 1
    }

    deinit { base.deallocate() }

    /// A buffer of at least `count` floats (uninitialised). Invalidates earlier pointers when it grows.
    public func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count > capacity {
            base.deallocate()
            base = .allocate(capacity: count)
            capacity = count
        }
        return base
    }
}
