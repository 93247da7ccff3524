import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The CPU time of the calling thread, in seconds: how much work a synchronous body did, whatever else the machine
/// runs meanwhile (other tests in parallel, other processes), which a wall clock would count too.
public enum ThreadCPUTime {
    public static var seconds: Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// Runs `body` and returns its value with the CPU seconds it took on this thread.
    public static func measure<T>(_ body: () throws -> T) rethrows -> (value: T, seconds: Double) {
        let start = seconds
        let value = try body()
        return (value, seconds - start)
    }
}
