import Foundation
import PairDxCore

/// A pair of codes within a Hamming radius: indices into the indexed array, `i < j`.
public struct HammingPair: Sendable, Hashable, Comparable {
    public var i: Int32
    public var j: Int32
    public var distance: UInt8

    public init(i: Int32, j: Int32, distance: UInt8) { self.i = i; self.j = j; self.distance = distance }

    public static func < (a: HammingPair, b: HammingPair) -> Bool { a.i != b.i ? a.i < b.i : a.j < b.j }
}

/// Multi-index hashing over 64-bit codes (Norouzi, Punjani & Fleet): four tables, each keyed by one
/// 16-bit quarter of the code. Two codes within radius r agree within ⌊r/4⌋ bits on at least one
/// quarter (pigeonhole), so probing every key within ⌊r/4⌋ of each quarter finds every pair.
///
/// Each table is a counting-sort of the codes by that quarter: 65,537 offsets plus the codes and
/// their ids in key order, so a bucket is one contiguous scan. Memory: 12·n·4 bytes + 1 MB.
/// Build O(n); self-join ≈ O(n · 4 · probes · n/65536) candidate checks (for r = 8: 137 probes a
/// quarter), each an xor and a popcount.
public struct HammingIndex: Sendable {
    public let codes: [UInt64]
    /// Table t's offsets at `t·65537 ..< (t+1)·65537`; its codes and ids at `t·n ..< (t+1)·n`.
    private let offsets: [Int32]
    private let sortedCodes: [UInt64]
    private let sortedIDs: [Int32]

    @inline(__always) static func quarter(_ code: UInt64, _ t: Int) -> Int {
        Int((code >> UInt64(48 - 16 * t)) & 0xFFFF)
    }

    public init(_ codes: [UInt64]) {
        precondition(codes.count < Int(Int32.max), "at most 2^31 codes")
        let n = codes.count
        self.codes = codes
        var offsets = [Int32](repeating: 0, count: 4 * 65_537)
        var sortedCodes = [UInt64](repeating: 0, count: 4 * n)
        var sortedIDs = [Int32](repeating: 0, count: 4 * n)
        for t in 0..<4 {
            let base = t * 65_537
            for c in codes { offsets[base + Self.quarter(c, t) + 1] &+= 1 }
            for k in 0..<65_536 { offsets[base + k + 1] &+= offsets[base + k] }
            var fill = Array(offsets[base..<(base + 65_536)])
            for (id, c) in codes.enumerated() {
                let k = Self.quarter(c, t)
                let p = t * n + Int(fill[k])
                sortedCodes[p] = c
                sortedIDs[p] = Int32(id)
                fill[k] &+= 1
            }
        }
        self.offsets = offsets; self.sortedCodes = sortedCodes; self.sortedIDs = sortedIDs
    }

    /// 16-bit masks with at most `bits` bits set, fewest bits first.
    static func masks(upTo bits: Int) -> [Int] {
        Array(masksByWeight.prefix { $0.nonzeroBitCount <= bits })
    }

    /// All 16-bit values ordered by popcount (a counting sort: 17 passes over 65,536 values).
    static let masksByWeight: [Int] = (0...16).flatMap { w in (0..<65_536).lazy.filter { $0.nonzeroBitCount == w } }

    /// Every pair `i < j` with `distance(codes[i], codes[j]) ≤ radius`, sorted by (i, j): the
    /// block-combination join (`BlockJoin`), which for a self-join needs no probing of nearby keys.
    public func pairs(radius: Int, threads: Int) -> [HammingPair] {
        precondition((0...64).contains(radius))
        if radius >= 24 { return probedPairs(radius: radius, threads: threads) }
        return BlockJoin.pairs(codes, radius: radius, threads: threads)
    }

    /// The same pairs by probing the four 16-bit tables.
    /// Each pair is reported once: from the first quarter on which the two agree within ⌊r/4⌋ bits.
    public func probedPairs(radius: Int, threads: Int) -> [HammingPair] {
        precondition((0...64).contains(radius))
        let sub = radius / 4
        let masks = Self.masks(upTo: sub)
        let n = codes.count
        let chunk = 4_096
        let chunks = (n + chunk - 1) / chunk
        let parts = Parallel.map(count: chunks, threads: threads, batch: 1) { c -> [HammingPair] in
            var found = [HammingPair]()
            self.codes.withUnsafeBufferPointer { codes in
                self.offsets.withUnsafeBufferPointer { off in
                    self.sortedCodes.withUnsafeBufferPointer { sc in
                        self.sortedIDs.withUnsafeBufferPointer { si in
                            masks.withUnsafeBufferPointer { masks in
                                for i in (c * chunk)..<min(n, (c + 1) * chunk) {
                                    let q = codes[i]
                                    let me = Int32(truncatingIfNeeded: i)
                                    for t in 0..<4 {
                                        let key = Self.quarter(q, t)
                                        let ob = t &* 65_537, cb = t &* n
                                        for m in masks {
                                            let k = ob &+ (key ^ m)
                                            var p = cb &+ Int(off[k])
                                            let end = cb &+ Int(off[k &+ 1])
                                            while p < end {
                                                let d = (sc[p] ^ q).nonzeroBitCount
                                                if d <= radius {
                                                    let j = si[p]
                                                    if j > me && Self.firstAgreeingQuarter(q, sc[p], sub) == t {
                                                        found.append(HammingPair(i: me, j: j, distance: UInt8(d)))
                                                    }
                                                }
                                                p &+= 1
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            found.sort()
            return found
        }
        return parts.flatMap { $0 }
    }

    /// Indices of every code within `radius` of `code`, ascending.
    public func neighbours(of code: UInt64, radius: Int) -> [Int] {
        let sub = radius / 4
        let n = codes.count
        let masks = Self.masks(upTo: sub)
        var out = Set<Int>()
        for t in 0..<4 {
            let key = Self.quarter(code, t)
            for m in masks {
                let k = t * 65_537 + (key ^ m)
                for p in (t * n + Int(offsets[k]))..<(t * n + Int(offsets[k + 1]))
                where (sortedCodes[p] ^ code).nonzeroBitCount <= radius {
                    out.insert(Int(sortedIDs[p]))
                }
            }
        }
        return out.sorted()
    }

    @inline(__always) static func firstAgreeingQuarter(_ a: UInt64, _ b: UInt64, _ sub: Int) -> Int {
        let x = a ^ b
        for t in 0..<4 where Int((x >> UInt64(48 - 16 * t)) & 0xFFFF).nonzeroBitCount <= sub { return t }
        return 4
    }

    /// The reference: every pair checked. O(n²).
    public static func bruteForcePairs(_ codes: [UInt64], radius: Int) -> [HammingPair] {
        var out = [HammingPair]()
        codes.withUnsafeBufferPointer { c in
            for i in 0..<c.count {
                let q = c[i]
                for j in (i + 1)..<c.count {
                    let d = (c[j] ^ q).nonzeroBitCount
                    if d <= radius { out.append(HammingPair(i: Int32(i), j: Int32(j), distance: UInt8(d))) }
                }
            }
        }
        return out
    }
}
