import PairDxCore

/// All pairs within Hamming radius r among 64-bit codes, by exact matching on block combinations.
///
/// The 64 bits are cut into `r + k` contiguous blocks. Two codes within r differ in at most r blocks,
/// so they agree exactly on at least k; for every combination of k blocks the codes are
/// counting-sorted by those blocks' bits, and only codes sharing a bucket are compared. A pair is
/// reported once: from the first combination (lexicographically) of k blocks on which it agrees.
/// k is the smallest count giving keys of at least 17 bits, so buckets stay small on spread-out codes
/// (keys are folded into at most min(2^20, ~2n) buckets).
/// Work: C(r+k, k) sorts of n codes plus the within-bucket pairs; memory O(n + 2^key bits) per thread.
enum BlockJoin {
    struct Block { var shift: UInt64; var mask: UInt64; var width: Int }

    static func blocks(_ count: Int) -> [Block] {
        var out = [Block]()
        var hi = 64
        for b in 0..<count {
            let width = 64 / count + (b < 64 % count ? 1 : 0)
            hi -= width
            out.append(Block(shift: UInt64(hi), mask: width >= 64 ? ~0 : (1 << UInt64(width)) - 1, width: width))
        }
        return out
    }

    static func combinations(_ n: Int, _ k: Int) -> [[Int]] {
        var out = [[Int]]()
        var c = Array(0..<k)
        while true {
            out.append(c)
            var i = k - 1
            while i >= 0 && c[i] == n - k + i { i -= 1 }
            if i < 0 { return out }
            c[i] += 1
            for j in (i + 1)..<k { c[j] = c[j - 1] + 1 }
        }
    }

    static func pairs(_ codes: [UInt64], radius: Int, threads: Int) -> [HammingPair] {
        var k = 1
        while k < 64 - radius && 64 * k / (radius + k) < 17 { k += 1 }
        let blocks = blocks(min(64, radius + k))
        let k2 = blocks.count - radius  // blocks that must agree (= k unless capped at 64 blocks)
        let combos = combinations(blocks.count, k2)
        let n = codes.count
        let parts = Parallel.map(count: combos.count, threads: threads, batch: 1) { t -> [HammingPair] in
            let combo = combos[t]
            var keyBits = 0
            for b in combo { keyBits += blocks[b].width }
            // Keys longer than 20 bits are folded into 2^20 buckets by a multiplicative hash; codes that
            // share a bucket without sharing the blocks are rejected by the canonical-combination check.
            let bucketBits = min(keyBits, 20, max(4, (64 - n.leadingZeroBitCount) + 1))
            let buckets = 1 << bucketBits
            @inline(__always) func key(_ c: UInt64) -> Int {
                var v: UInt64 = 0
                for b in combo { v = (v &<< UInt64(blocks[b].width)) | ((c >> blocks[b].shift) & blocks[b].mask) }
                if keyBits <= bucketBits { return Int(v) }
                return Int(truncatingIfNeeded: (v &* 0x9E37_79B9_7F4A_7C15) >> UInt64(64 - bucketBits))
            }
            var start = [Int32](repeating: 0, count: buckets + 1)
            var keys = [Int32](repeating: 0, count: n)
            var found = [HammingPair]()
            codes.withUnsafeBufferPointer { codes in
                for i in 0..<n {
                    let kv = key(codes[i])
                    keys[i] = Int32(kv)
                    start[kv &+ 1] &+= 1
                }
                for b in 0..<buckets { start[b &+ 1] &+= start[b] }
                var fill = start
                var sortedCodes = [UInt64](repeating: 0, count: n)
                var sortedIDs = [Int32](repeating: 0, count: n)
                for i in 0..<n {
                    let kv = Int(keys[i])
                    let p = Int(fill[kv])
                    sortedCodes[p] = codes[i]
                    sortedIDs[p] = Int32(truncatingIfNeeded: i)
                    fill[kv] &+= 1
                }
                sortedCodes.withUnsafeBufferPointer { sc in
                    sortedIDs.withUnsafeBufferPointer { si in
                        start.withUnsafeBufferPointer { st in
                            for b in 0..<buckets {
                                let lo = Int(st[b]), hi = Int(st[b &+ 1])
                                if hi &- lo < 2 { continue }
                                for x in lo..<(hi &- 1) {
                                    let cx = sc[x]
                                    for y in (x &+ 1)..<hi {
                                        let d = (cx ^ sc[y]).nonzeroBitCount
                                        if d <= radius && firstCombination(cx ^ sc[y], blocks, k2) == combo {
                                            let a = si[x], c = si[y]
                                            found.append(HammingPair(i: min(a, c), j: max(a, c), distance: UInt8(d)))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            return found
        }
        var all = parts.flatMap { $0 }
        all.sort()
        return all
    }

    /// The first `k` blocks on which the xor of two codes is zero.
    @inline(__always) static func firstCombination(_ x: UInt64, _ blocks: [Block], _ k: Int) -> [Int] {
        var out = [Int]()
        out.reserveCapacity(k)
        for (i, b) in blocks.enumerated() where (x >> b.shift) & b.mask == 0 {
            out.append(i)
            if out.count == k { break }
        }
        return out
    }
}
