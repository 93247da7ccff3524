import Dispatch
import Synchronization
import Testing
@testable import Training
import PairDxCore

/// Shared state of the training core touched from several threads at once (run under `scripts/tsan.sh` too).
@Suite(.serialized)
struct ComputeThreadsTests {
    @Test func gemmTimerCountsEveryProductFromEveryThread() {
        let timer = GEMMTimer.shared
        timer.reset()
        timer.enabled = true
        defer { timer.enabled = false; timer.reset() }
        let a = [Float](repeating: 1, count: 16), b = [Float](repeating: 2, count: 16)
        let threads = 4, products = 2_000
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            var c = [Float](repeating: 0, count: 16)
            for _ in 0..<products {
                a.withUnsafeBufferPointer { ap in
                    b.withUnsafeBufferPointer { bp in
                        c.withUnsafeMutableBufferPointer {
                            BLAS.gemm(m: 4, n: 4, k: 4, a: ap.baseAddress!, b: bp.baseAddress!, c: $0.baseAddress!)
                        }
                    }
                }
            }
        }
        #expect(timer.flops == Double(threads * products * 2 * 64))
        #expect(timer.seconds > 0)
    }

    @Test func logLevelIsReadWhileItChanges() {
        let level = Log.level
        defer { Log.level = level }
        let bad = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 4) { i in
            for j in 0..<5_000 {
                if i == 0 {
                    Log.level = j % 2 == 0 ? .warning : .error
                } else if Log.level < .warning || Compute.threads < 1 {
                    bad.add(1, ordering: .relaxed)
                }
            }
        }
        #expect(bad.load(ordering: .relaxed) == 0)
    }
}
