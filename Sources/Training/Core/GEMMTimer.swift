import Foundation
import Synchronization

/// Optional accounting of time and floating-point work spent in `BLAS.gemm`, for `pairdx bench train`.
///
/// Disabled by default (then `start`/`stop` cost one atomic load). Safe from any thread: the switch and the totals
/// (nanoseconds and flops, whole numbers) are atomics, and each GEMM carries its own start time from `start` to
/// `stop`. Atomics rather than a `Mutex`: ThreadSanitizer sees them (it cannot see the futex under `Mutex` on Linux).
public final class GEMMTimer: Sendable {
    /// The process-wide timer (a benchmark enables it; training code never reads it).
    public static let shared = GEMMTimer()

    private let on = Atomic<Bool>(false)
    private let nanoseconds = Atomic<Int>(0)
    private let operations = Atomic<Int>(0)

    public init() {}

    public var enabled: Bool {
        get { on.load(ordering: .relaxed) }
        set { on.store(newValue, ordering: .relaxed) }
    }
    /// Seconds spent inside GEMM calls since the last `reset()`.
    public var seconds: Double { Double(nanoseconds.load(ordering: .relaxed)) * 1e-9 }
    /// Floating-point operations (2·m·n·k per call) since the last `reset()`.
    public var flops: Double { Double(operations.load(ordering: .relaxed)) }

    public func reset() {
        nanoseconds.store(0, ordering: .relaxed)
        operations.store(0, ordering: .relaxed)
    }

    /// The start time of one timed region, nil when the timer is off.
    @inline(__always) func start() -> UInt64? {
        enabled ? DispatchTime.now().uptimeNanoseconds : nil
    }

    /// Ends the region `start` began, adding its time and `flops`.
    @inline(__always) func stop(_ began: UInt64?, flops f: Double) {
        guard let began else { return }
        nanoseconds.wrappingAdd(
            Int(truncatingIfNeeded: DispatchTime.now().uptimeNanoseconds &- began), ordering: .relaxed)
        operations.wrappingAdd(Int(f), ordering: .relaxed)
    }
}
