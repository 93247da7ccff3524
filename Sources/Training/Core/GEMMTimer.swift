import Foundation

/// Optional accounting of time and floating-point work spent in `BLAS.gemm`, for `pairdx bench train`.
///
/// Disabled by default (then `start`/`stop` cost one branch). Only the thread that drives training uses it.
public final class GEMMTimer: @unchecked Sendable {
    /// The process-wide timer (a benchmark enables it; training code never reads it).
    public static let shared = GEMMTimer()

    public var enabled = false
    /// Seconds spent inside GEMM calls since the last `reset()`.
    public private(set) var seconds: Double = 0
    /// Floating-point operations (2·m·n·k per call) since the last `reset()`.
    public private(set) var flops: Double = 0
    private var began: UInt64 = 0

    public func reset() {
        seconds = 0
        flops = 0
    }

    @inline(__always) func start() {
        if enabled { began = DispatchTime.now().uptimeNanoseconds }
    }

    @inline(__always) func stop(flops f: Double) {
        if enabled {
            seconds += Double(DispatchTime.now().uptimeNanoseconds &- began) * 1e-9
            flops += f
        }
    }
}
