import Dispatch
import Synchronization

/// The compute threads of the training core: OpenBLAS's thread count and the split of the layers' own loops.
/// Set `Compute.threads = n` once before training (it calls `BLAS.setThreads`).
///
/// Only for work whose iterations write disjoint memory, so the result never depends on the thread count.
public enum Compute {
    private static let count = Atomic<Int>(1)
    /// The current count (one relaxed atomic load: it changes only between parallel regions).
    private static var threadCount: Int {
        get { count.load(ordering: .relaxed) }
        set { count.store(newValue, ordering: .relaxed) }
    }

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

extension Compute {
    /// Runs `body(range)` over `0..<count` split into at most `threads` contiguous chunks, each on its own thread
    /// with everything inside it serial: OpenBLAS on one thread and every nested `parallelFor` inline, so the threads
    /// never wait on each other between layers. For inference over independent batch items (data parallelism),
    /// where it replaces a fork and join per layer by one. `body` must write only its chunk's memory. The split is a
    /// function of `count` and `threads`, so a given thread count always gives the same bits; another thread count
    /// may differ in the last bits (OpenBLAS's sums depend on a GEMM's row count). Thread count and OpenBLAS's
    /// count are restored afterwards; an enabled `GEMMTimer` is paused inside.
    public static func batchParallel(_ count: Int, _ body: (Range<Int>) -> Void) {
        let t = threadCount
        if t <= 1 || count < 2 {
            body(0..<count)
            return
        }
        let chunks = min(t, count), blasThreads = BLAS.threads
        let timer = GEMMTimer.shared, timing = timer.enabled
        if timing { timer.enabled = false }
        threadCount = 1
        BLAS.setThreads(1)
        defer {
            threadCount = t
            BLAS.setThreads(blasThreads)
            if timing { timer.enabled = true }
        }
        withoutActuallyEscaping(body) { body in
            let box = UnsafeSendableBox(body)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                box.value(count * c / chunks..<count * (c + 1) / chunks)
            }
        }
    }

    /// The `[count, width]` matrix whose rows `range` are `encode(range)` (a `[range.count, width]` tensor), with
    /// `0..<count` split by `batchParallel`. With one thread, `encode(0..<count)` is the whole result (no copy).
    /// For inference over batch items that are independent of each other.
    public static func batchRows(_ count: Int, width: Int, _ encode: (Range<Int>) -> Tensor) -> Tensor {
        if threadCount <= 1 || count < 2 { return encode(0..<count) }
        return Tensor(shape: [count, width]) { out in
            let base = out.baseAddress!
            batchParallel(count) { range in
                let part = encode(range)
                precondition(
                    part.count == range.count * width,
                    "batchRows: \(range) gave \(part.shape), not [\(range.count), \(width)]")
                part.withUnsafeBufferPointer {
                    (base + range.lowerBound &* width).update(from: $0.baseAddress!, count: $0.count)
                }
            }
        }
    }
}

/// Carries a non-Sendable closure into `concurrentPerform`. The one convention the compiler cannot check here:
/// the closures write through raw pointers into disjoint chunks (no Swift type proves disjointness of pointer
/// ranges); `scripts/tsan.sh` runs the training kernels under ThreadSanitizer to check it instead.
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
