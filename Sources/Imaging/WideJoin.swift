import PairDxCore

/// All pairs within Hamming radius r among 256-bit codes (four words each, most significant first), by exact
/// matching on blocks of interleaved bits.
///
/// The 256 bits are dealt into m = max(16, r + k) blocks, bit i into block i mod m, so every block mixes low
/// and high DCT frequencies (a block of adjacent low-frequency bits agrees across most images of one kind).
/// Two codes within r differ in at most r of the first r + k blocks, so they agree exactly on at least k of
/// them; for each k-combination of those blocks the points are counting-sorted by the combined block bits and
/// only points sharing a bucket are compared. k is the smallest count giving keys of at least 14 bits. A pair
/// is reported once: from the first combination (lexicographically) on which it agrees.
///
/// Two forms: a self-join of one set (pairs `a < b`), and a join of queries against targets (every query–target
/// pair within r; the caller drops pairs of one owner through `sameOwner`).
/// Work: C(r+k, k) counting sorts of the points plus the pairs that share a bucket, which stays proportional
/// to the points when distinct codes disagree on a sizeable share of their bits. Memory: the block values
/// (m·2 bytes a point) plus, per thread, one sort of the points and ≤ 2²⁰ bucket offsets.
public enum WideJoin {
    public struct Match: Sendable, Hashable, Comparable {
        /// Index of the query (self-join: the smaller index).
        public var a: Int32
        /// Index of the target (self-join: the larger index).
        public var b: Int32
        public var distance: UInt16
        public static func < (x: Match, y: Match) -> Bool { x.a != y.a ? x.a < y.a : x.b < y.b }
    }

    public struct Output: Sendable {
        public var matches: [Match]
        /// Point pairs that shared a bucket and were compared (the work the search did).
        public var compared: Int
    }

    struct Layout {
        var m: Int, k: Int, radius: Int
        var combos: [[Int]]
        init(radius r: Int) {
            var k = 1
            while k * (256 / max(16, r + k)) < 14 { k += 1 }
            self.k = k; radius = r
            m = max(16, r + k)
            combos = BlockJoin.combinations(r + k, k)
        }
    }

    /// Block values (m per point, ≤ 16 bits each) of `codes` (4 words per point).
    static func blockValues(_ codes: [UInt64], m: Int) -> [UInt16] {
        let n = codes.count / 4
        var out = [UInt16](repeating: 0, count: n * m)
        codes.withUnsafeBufferPointer { c in
            out.withUnsafeMutableBufferPointer { o in
                for p in 0..<n {
                    let base = p &* m
                    for i in 0..<256 {
                        let bit = (c[p &* 4 &+ (i >> 6)] >> UInt64(63 &- (i & 63))) & 1
                        let b = base &+ i % m
                        o[b] = (o[b] &<< 1) | UInt16(truncatingIfNeeded: bit)
                    }
                }
            }
        }
        return out
    }

    @inline(__always) static func distance(
        _ c: UnsafeBufferPointer<UInt64>, _ x: Int, _ d: UnsafeBufferPointer<UInt64>, _ y: Int
    ) -> Int {
        let a = x &* 4, b = y &* 4
        return (c[a] ^ d[b]).nonzeroBitCount &+ (c[a &+ 1] ^ d[b &+ 1]).nonzeroBitCount
            &+ (c[a &+ 2] ^ d[b &+ 2]).nonzeroBitCount &+ (c[a &+ 3] ^ d[b &+ 3]).nonzeroBitCount
    }

    /// Pairs `a < b` of `codes` within `radius`, sorted.
    public static func selfJoin(_ codes: [UInt64], radius: Int, threads: Int) -> Output {
        join(codes, nil, radius: radius, threads: threads, sameOwner: nil)
    }

    /// Every (query, target) pair within `radius` for which `sameOwner(query, target)` is false, sorted.
    public static func join(
        queries: [UInt64], targets: [UInt64], radius: Int, threads: Int,
        sameOwner: @escaping @Sendable (Int32, Int32) -> Bool
    ) -> Output {
        join(queries, targets, radius: radius, threads: threads, sameOwner: sameOwner)
    }

    static func join(
        _ q: [UInt64], _ t: [UInt64]?, radius: Int, threads: Int,
        sameOwner: (@Sendable (Int32, Int32) -> Bool)?
    ) -> Output {
        precondition(q.count % 4 == 0 && (t?.count ?? 0) % 4 == 0 && (0...200).contains(radius))
        let layout = Layout(radius: radius)
        let m = layout.m, k = layout.k
        let nq = q.count / 4, nt = (t?.count ?? q.count) / 4
        precondition(nq < Int(Int32.max) && nt < Int(Int32.max))
        let qb = blockValues(q, m: m)
        let tb = t.map { blockValues($0, m: m) } ?? qb
        let tc = t ?? q
        let keyBits = layout.combos[0].reduce(0) { s, b in s + (256 / m + (b < 256 % m ? 1 : 0)) }
        let bucketBits = min(keyBits, 20, max(4, (64 - (nq + nt).leadingZeroBitCount) + 1))
        let selfJoin = t == nil
        let parts = Parallel.map(count: layout.combos.count, threads: threads, batch: 1) { ci -> ([Match], Int) in
            let combo = layout.combos[ci]
            let buckets = 1 << bucketBits
            @inline(__always) func key(_ v: UnsafeBufferPointer<UInt16>, _ p: Int) -> Int {
                var x: UInt64 = 0
                for b in combo { x = (x &<< 16) | UInt64(v[p &* m &+ b]) }
                return Int(truncatingIfNeeded: (x &* 0x9E37_79B9_7F4A_7C15) >> UInt64(64 - bucketBits))
            }
            /// Counting sort of `count` points by key: bucket starts and point ids in bucket order.
            func sort(_ v: UnsafeBufferPointer<UInt16>, _ count: Int) -> ([Int32], [Int32]) {
                var start = [Int32](repeating: 0, count: buckets + 1)
                var keys = [Int32](repeating: 0, count: count)
                var ids = [Int32](repeating: 0, count: count)
                for p in 0..<count { let kv = key(v, p); keys[p] = Int32(kv); start[kv &+ 1] &+= 1 }
                for b in 0..<buckets { start[b &+ 1] &+= start[b] }
                var fill = start
                for p in 0..<count {
                    let kv = Int(keys[p])
                    ids[Int(fill[kv])] = Int32(truncatingIfNeeded: p)
                    fill[kv] &+= 1
                }
                return (start, ids)
            }
            /// True when `combo` is the first k agreeing blocks among the first r + k.
            @inline(__always) func canonical(
                _ a: UnsafeBufferPointer<UInt16>, _ x: Int, _ b: UnsafeBufferPointer<UInt16>, _ y: Int
            ) -> Bool {
                var found = 0
                for blk in 0..<(radius + k) where a[x &* m &+ blk] == b[y &* m &+ blk] {
                    if combo[found] != blk { return false }
                    found += 1
                    if found == k { return true }
                }
                return false
            }
            var found = [Match]()
            var compared = 0
            qb.withUnsafeBufferPointer { qv in
                tb.withUnsafeBufferPointer { tv in
                    q.withUnsafeBufferPointer { qc in
                        tc.withUnsafeBufferPointer { tcodes in
                            let (qs, qi) = sort(qv, nq)
                            let (ts, ti) = selfJoin ? (qs, qi) : sort(tv, nt)
                            for bkt in 0..<buckets {
                                let q0 = Int(qs[bkt]), q1 = Int(qs[bkt &+ 1])
                                if q0 == q1 { continue }
                                let t0 = Int(ts[bkt]), t1 = Int(ts[bkt &+ 1])
                                for x in q0..<q1 {
                                    let a = Int(qi[x])
                                    let from = selfJoin ? x &+ 1 : t0
                                    if from >= t1 { continue }
                                    compared &+= t1 &- from
                                    for y in from..<t1 {
                                        let b = Int(ti[y])
                                        let d = distance(qc, a, tcodes, b)
                                        guard d <= radius, canonical(qv, a, tv, b) else { continue }
                                        if selfJoin {
                                            found.append(
                                                Match(a: Int32(min(a, b)), b: Int32(max(a, b)), distance: UInt16(d)))
                                        } else if !(sameOwner?(Int32(a), Int32(b)) ?? false) {
                                            found.append(Match(a: Int32(a), b: Int32(b), distance: UInt16(d)))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            return (found, compared)
        }
        var all = parts.flatMap(\.0)
        all.sort()
        return Output(matches: all, compared: parts.reduce(0) { $0 + $1.1 })
    }

    /// The reference: every pair checked. O(n²) (self-join) or O(queries·targets).
    public static func bruteForce(
        queries q: [UInt64], targets: [UInt64]?, radius: Int,
        sameOwner: ((Int32, Int32) -> Bool)? = nil
    ) -> [Match] {
        let t = targets ?? q
        var out = [Match]()
        q.withUnsafeBufferPointer { qc in
            t.withUnsafeBufferPointer { tc in
                for a in 0..<(q.count / 4) {
                    for b in (targets == nil ? a + 1 : 0)..<(t.count / 4) {
                        let d = distance(qc, a, tc, b)
                        if d <= radius && !(sameOwner?(Int32(a), Int32(b)) ?? false) {
                            out.append(Match(a: Int32(a), b: Int32(b), distance: UInt16(d)))
                        }
                    }
                }
            }
        }
        return out
    }
}
