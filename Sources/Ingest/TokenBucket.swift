import Foundation

/// A token bucket: `rate` tokens per second, at most `burst` stored. Not thread-safe; one owner.
///
/// Invariant: over any window of T seconds at most `burst + rate·T` tokens are granted.
struct TokenBucket {
    let rate: Double
    let burst: Double
    private var tokens: Double
    private var last: Double

    init(rate: Double, burst: Double = 1, now: Double) {
        self.rate = rate; self.burst = max(1, burst); self.tokens = max(1, burst); self.last = now
    }

    /// Takes a token if one is available at `now`; otherwise returns the seconds until one is.
    mutating func take(now: Double) -> Double? {
        tokens = min(burst, tokens + (now - last) * rate)
        last = now
        if tokens >= 1 { tokens -= 1; return nil }
        return (1 - tokens) / rate
    }
}

/// Monotonic seconds.
@inline(__always) func monotonicSeconds() -> Double {
    Double(DispatchTime.now().uptimeNanoseconds) / 1e9
}
