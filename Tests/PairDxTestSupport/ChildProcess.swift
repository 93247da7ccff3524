import Foundation

extension Process {
    /// Stops a server a test spawned, with SIGKILL, since SIGTERM does not reach it: the test runner's threads block
    /// SIGTERM and a spawned process inherits that mask, so `terminate()` leaves the server running after the tests.
    /// Does not wait (a killed process exits at once, and Foundation reaps it), so it never blocks a Swift concurrency
    /// thread that an in-process server of another test may need.
    public func stopNow() {
        if isRunning { kill(processIdentifier, SIGKILL) }
    }
}
