import PairDxCore
import Testing
@testable import Imaging

/// Random codes plus planted neighbours at every distance 0...12 of earlier codes.
func plantedCodes(count: Int, seed: UInt64) -> [UInt64] {
    var rng = SplitMix64(state: seed)
    var codes = [UInt64]()
    while codes.count < count {
        if codes.count > 10 && codes.count % 5 == 0 {
            var c = codes[Int(rng.next() % UInt64(codes.count))]
            let flips = Int(rng.next() % 13)
            for _ in 0..<flips { c ^= 1 << (rng.next() % 64) }
            codes.append(c)
        } else {
            codes.append(rng.next())
        }
    }
    return codes
}

@Suite struct HammingIndexTests {
    @Test(arguments: [0, 1, 3, 4, 8, 11])
    func selfJoinEqualsBruteForce(radius: Int) {
        let codes = plantedCodes(count: 3_000, seed: 7)
        let index = HammingIndex(codes)
        let fast = index.pairs(radius: radius, threads: 2)
        let slow = HammingIndex.bruteForcePairs(codes, radius: radius)
        #expect(fast == slow)
        #expect(index.probedPairs(radius: radius, threads: 2) == slow)
        #expect(!slow.isEmpty)
    }

    @Test func neighboursMatchALinearScan() {
        let codes = plantedCodes(count: 2_000, seed: 11)
        let index = HammingIndex(codes)
        for q in codes.prefix(50) {
            let expected = codes.indices.filter { (codes[$0] ^ q).nonzeroBitCount <= 8 }
            #expect(index.neighbours(of: q, radius: 8) == expected)
        }
    }

    @Test func duplicatesAndEmptyInput() {
        #expect(HammingIndex([]).pairs(radius: 8, threads: 2).isEmpty)
        let same = HammingIndex([5, 5, 5]).pairs(radius: 0, threads: 1)
        #expect(same.map { [$0.i, $0.j] } == [[0, 1], [0, 2], [1, 2]])
    }
}
