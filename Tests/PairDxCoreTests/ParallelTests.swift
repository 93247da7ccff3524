import Synchronization
import Testing

@testable import PairDxCore

/// `Parallel`: every index once, results in index order, whatever the thread count and batch size.
@Suite struct ParallelTests {
    @Test(arguments: [0, 1, 15, 16, 17, 1_000])
    func mapKeepsIndexOrderAndForEachVisitsEveryIndexOnce(count: Int) {
        for threads in [1, 2, 3, 8] {
            for batch in [1, 16, 64] {
                let squares = Parallel.map(count: count, threads: threads, batch: batch) { $0 * $0 }
                #expect(squares == (0..<count).map { $0 * $0 }, "\(count) on \(threads) threads, batch \(batch)")
                let visits = Mutex([Int](repeating: 0, count: count))
                Parallel.forEach(count: count, threads: threads, batch: batch) { i in visits.withLock { $0[i] += 1 } }
                #expect(visits.withLock { $0 }.allSatisfy { $0 == 1 }, "\(count) on \(threads) threads")
            }
        }
    }
}
