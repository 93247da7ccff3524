import Testing
@testable import PairDxCore

/// `Parallel.sort`: the order `sort(by:)` gives, whatever the thread count and however the slices fall.
@Suite struct ParallelTests {
    @Test(arguments: [0, 1, Parallel.minSlice - 1, Parallel.minSlice * 2, Parallel.minSlice * 5 + 3, 100_003])
    func parallelSortIsTheSequentialSort(count: Int) {
        var rng = SplitMix64(state: UInt64(count) &+ 17)
        // Few distinct keys, so most of the order comes from the tie-break (a strict total order over the pairs).
        let values = (0..<count).map { i in (key: rng.next() % 97, index: i) }
        let expected = values.sorted { ($0.key, $0.index) < ($1.key, $1.index) }
        for threads in [1, 2, 3, 8] {
            var v = values.shuffled(using: &rng)
            Parallel.sort(&v, threads: threads) { ($0.key, $0.index) < ($1.key, $1.index) }
            #expect(v.map(\.index) == expected.map(\.index), "\(count) values on \(threads) threads")
        }
    }
}
