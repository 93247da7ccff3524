import Foundation
import Synchronization

/// Optional accounting of time and floating-point work spent in `BLAS.gemm`, for `pairdx bench train`.
///
/// Disabled by default (then `start`/`stop` cost one atomic load). Safe from any thread: the switch is atomic, the
/// totals sit behind a lock, and each GEMM carries its own start time from `start` to `stop`.
public final class GEMMTimer: Sendable {
    /// The process-wide timer (a benchmark enables it; training code never reads it).
    public static let shared = GEMMTimer()

    private struct Totals { var seconds = 0.0, flops = 0.0 }
    private let on = Atomic<Bool>(false)
    private let totals = Mutex(Totals())

    public init() {}

    public var enabled: Bool {
        get { on.load(ordering: .relaxed) }
        set { on.store(newValue, ordering: .relaxed) }
    }
    /// Seconds spent inside GEMM calls since the last `reset()`.
    public var seconds: Double { totals.withLock { $0.seconds } }
    /// Floating-point operations (2·m·n·k per call) since the last `reset()`.
    public var flops: Double { totals.withLock { $0.flops } }

    public func reset() { totals.withLock { $0 = Totals() } }

    /// The start time of one timed region, nil when the timer is off.
    @inline(__always) func start() -> UInt64? {
        enabled ? DispatchTime.now().uptimeNanoseconds : nil
    }

    /// Ends the region `start` began, adding its time and `flops`.
    @inline(__always) func stop(_ began: UInt64?, flops f: Double) {
        guard let began else { return }
        let dt = Double(DispatchTime.now().uptimeNanoseconds &- began) * 1e-9
        totals.withLock { $0.seconds += dt; $0.flops += f }
    }
}
