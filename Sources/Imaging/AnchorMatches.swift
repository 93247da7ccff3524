import Foundation
import PairDxCore

/// The search of `AnchorKeys`: which copy–original pairs the pair keys vote for (`matches`), checked against the
/// anchors that coincide at the voted offset (`coincidence`), before any pixel is aligned.
extension AnchorKeys {
    /// A copy–original pair the keys voted for, with the offset most votes agreed on.
    public struct Vote: Sendable, Hashable {
        public var candidate: SubImage.Candidate
        public var x: Int32, y: Int32
        public var votes: Int
    }

    /// Candidates among images with `sizes` and `anchors` (one list per image; empty when not decoded): pairs whose
    /// sizes fit and whose shared keys agree on one offset (within a pixel) at least `minVotes` times (`fewVotes`
    /// when either image has fewer than `fewAnchors` anchors) and at whose offset enough of the copy's anchors lie on
    /// the original's (`coincidence`; the share `minCoincidence` asks of their kind), at most `perCopy` originals per
    /// copy (most votes first, then the smaller index). Also returns the number of anchor pairs compared (the search's
    /// work). Sorted by (copy, original).
    ///
    /// Votes by rarity, not by a global crowd cap: the anchors' pair keys (`keyed`) are put in key order once, and each
    /// anchor's **cost** is the number of other anchors holding its key. Every image takes its anchors in order of cost
    /// (then key and position) while their costs add up to at most `budget`: its **queries**. A query pairs with every
    /// other image's anchor of its key (a pair of two queries counts once), and each pair votes in whichever direction
    /// the sizes fit. So an image always votes through its rarest keys, however common keys become as the corpus grows,
    /// and a key shared by a crop and its original is used by whichever of the two finds it cheap. Work: O(A) to put
    /// the entries in buckets of about 256 and sort each (A anchors, at most `limit` per image, twice that for a sparse
    /// one) plus at most `budget` anchor pairs per image, O(n · budget) for n images: linear in the corpus. Memory: the
    /// anchors and the votes that fit. The buckets, each image's choice of queries and the comparisons run on up to
    /// `threads` threads; the result does not depend on how many (the votes are sorted before they count).
    public static func matches(
        sizes: [SubImage.Size], anchors: [[Anchor]], minVotes: Int = minVotes, fewAnchors: Int = fewAnchors,
        budget: Int = budget, perCopy: Int = perCopy, minCoincidence: CoincidenceRule = minCoincidence, threads: Int = 1
    ) -> (votes: [Vote], compared: Int) {
        matches(
            sizes: sizes, keyed: anchors.map(keyed), anchorCounts: anchors.map(\.count), minVotes: minVotes,
            fewAnchors: fewAnchors, budget: budget, perCopy: perCopy, minCoincidence: minCoincidence,
            threads: threads)
    }

    /// `matches(sizes:anchors:…)` with each image's anchors already keyed (`keyed`, which a caller can run in
    /// parallel beside the decode) and counted.
    public static func matches(
        sizes: [SubImage.Size], keyed: [Keyed], anchorCounts: [Int],
        minVotes: Int = minVotes, fewAnchors: Int = fewAnchors, budget: Int = budget, perCopy: Int = perCopy,
        minCoincidence: CoincidenceRule = minCoincidence, threads: Int = 1
    ) -> (votes: [Vote], compared: Int) {
        precondition(sizes.count == keyed.count && keyed.count == anchorCounts.count)
        var phases = Log.Phases("anchor matches")
        struct Entry: Sendable { var key: UInt64; var image: Int32; var x: Int32; var y: Int32 }
        // The entries in the order of (key, image, y, x). Keys are mixed (`keyed`), so their top `bits` spread them
        // evenly over buckets of about 256 entries: one counting pass and one scattering pass put every entry in its
        // bucket, and the buckets, each a few kilobytes, are sorted on their own in parallel. A run of equal keys
        // lies in one bucket, so the runs are found bucket by bucket too. O(A) passes plus O(A log 256) sorting.
        let total = keyed.reduce(0) { $0 + $1.count }
        let bits = min(24, Int.bitWidth - (total / 256).leadingZeroBitCount), buckets = 1 << bits
        let shift = UInt64(64 - bits)
        var bucketStart = [Int](repeating: 0, count: buckets + 1)
        for list in keyed { for k in list { bucketStart[Int(k.key >> shift) &+ 1] &+= 1 } }
        for b in 0..<buckets { bucketStart[b + 1] &+= bucketStart[b] }
        var entries = [Entry](unsafeUninitializedCapacity: total) { buffer, initialized in
            var fill = bucketStart
            for (i, list) in keyed.enumerated() {
                for k in list {
                    let b = Int(k.key >> shift)
                    (buffer.baseAddress! + fill[b]).initialize(to: Entry(key: k.key, image: Int32(i), x: k.x, y: k.y))
                    fill[b] &+= 1
                }
            }
            initialized = total
        }
        phases.mark("entries (\(total) in \(buckets) buckets)")
        // Each entry's run of equal keys (its cost is the run's length less one).
        var runStart = [Int32](repeating: 0, count: total), runEnd = runStart
        let bounds = bucketStart
        entries.withUnsafeMutableBufferPointer { e in
            runStart.withUnsafeMutableBufferPointer { rs in
                runEnd.withUnsafeMutableBufferPointer { re in
                    nonisolated(unsafe) let (e, rs, re) = (e, rs, re)
                    Parallel.forEach(count: buckets, threads: threads, batch: 64) { b in
                        let lo = bounds[b], hi = bounds[b + 1]
                        var bucket = UnsafeMutableBufferPointer(rebasing: e[lo..<hi])
                        bucket.sort { ($0.key, $0.image, $0.y, $0.x) < ($1.key, $1.image, $1.y, $1.x) }
                        var start = lo
                        while start < hi {
                            var end = start &+ 1
                            while end < hi && e[end].key == e[start].key { end &+= 1 }
                            for i in start..<end { rs[i] = Int32(start); re[i] = Int32(end) }
                            start = end
                        }
                    }
                }
            }
        }
        phases.mark("sorted and runs")
        // Each image's entries (ascending), grouped by image through counts and offsets.
        var offset = [Int](repeating: 0, count: keyed.count + 1)
        for (i, list) in keyed.enumerated() { offset[i + 1] = offset[i] + list.count }
        var byImage = [Int32](repeating: 0, count: entries.count)
        var fill = offset
        for (i, e) in entries.enumerated() {
            byImage[fill[Int(e.image)]] = Int32(i)
            fill[Int(e.image)] += 1
        }
        // Each image's queries: its cheapest anchors (then the earlier entry) while their costs add up to at most
        // `budget`. Images are independent, so they run in parallel.
        let (starts, ends, grouped, first) = (runStart, runEnd, byImage, offset)
        let chosen = Parallel.map(count: keyed.count, threads: threads, batch: 256) { image -> [Int32] in
            let list = grouped[first[image]..<first[image + 1]].map {
                (cost: ends[Int($0)] - starts[Int($0)] - 1, entry: $0)
            }
            var spent = 0, out = [Int32]()
            for (cost, i) in list.sorted(by: { ($0.cost, $0.entry) < ($1.cost, $1.entry) }) {
                spent += Int(cost)
                guard spent <= budget else { break }
                out.append(i)
            }
            return out
        }
        phases.mark("queries")
        var query = [Bool](repeating: false, count: entries.count)
        for list in chosen { for i in list { query[Int(i)] = true } }
        // (copy, original, dx, dy) for every query pair whose offset lies inside the range the sizes allow, in
        // parallel over slices of the entries (the votes are sorted below, so their order does not matter).
        let (frozen, isQuery) = (entries, query)
        let slice = max(1024, frozen.count / (8 * max(1, threads)))
        let parts = Parallel.map(count: (frozen.count + slice - 1) / slice, threads: threads, batch: 1) {
            part -> (raw: [(Int32, Int32, Int32, Int32)], compared: Int) in
            var raw = [(Int32, Int32, Int32, Int32)](), compared = 0
            func consider(copy b: Entry, original a: Entry) {
                let sb = sizes[Int(b.image)], sa = sizes[Int(a.image)]
                // Two images of one size: one direction only, the later image as the copy.
                if sb == sa && b.image < a.image { return }
                let dx = a.x - b.x, dy = a.y - b.y
                guard dx >= 0, dy >= 0, Int(dx) <= sa.width - sb.width, Int(dy) <= sa.height - sb.height,
                    SubImage.fit(copy: sb, original: sa) != nil
                else { return }
                raw.append((b.image, a.image, dx, dy))
            }
            for i in (part * slice)..<min(frozen.count, (part + 1) * slice) where isQuery[i] {
                for j in Int(starts[i])..<Int(ends[i]) where frozen[j].image != frozen[i].image {
                    if isQuery[j] && j < i { continue }
                    compared += 1
                    consider(copy: frozen[i], original: frozen[j])
                    consider(copy: frozen[j], original: frozen[i])
                }
            }
            return (raw, compared)
        }
        phases.mark("comparisons")
        var raw = parts.flatMap(\.raw)
        let compared = parts.reduce(0) { $0 + $1.compared }
        raw.sort { ($0.0, $0.1, $0.3, $0.2) < ($1.0, $1.1, $1.3, $1.2) }
        phases.mark("raw votes sorted (\(raw.count))")
        // The anchor positions of the images in candidates, made once each.
        var positionsOf = [Int32: [UInt64]]()
        func positions(_ image: Int32) -> [UInt64] {
            if let known = positionsOf[image] { return known }
            let made = positionCodes(keyed[Int(image)])
            positionsOf[image] = made
            return made
        }
        var out = [Vote]()
        var k = 0
        while k < raw.count {
            var e = k + 1
            while e < raw.count && raw[e].0 == raw[k].0 && raw[e].1 == raw[k].1 { e += 1 }
            // The offset with most votes within ±1 px (ties: smallest y, then x). Offsets are sorted by (y, x).
            var count = [Int64: Int]()
            func code(_ x: Int32, _ y: Int32) -> Int64 { Int64(y) << 32 | Int64(UInt32(bitPattern: x)) }
            for i in k..<e { count[code(raw[i].2, raw[i].3), default: 0] += 1 }
            var best = (votes: 0, x: Int32(0), y: Int32(0))
            for i in k..<e where i == k || (raw[i].2, raw[i].3) != (raw[i - 1].2, raw[i - 1].3) {
                var c = 0
                for dy in Int32(-1)...1 {
                    for dx in Int32(-1)...1 { c += count[code(raw[i].2 + dx, raw[i].3 + dy)] ?? 0 }
                }
                if c > best.votes { best = (c, raw[i].2, raw[i].3) }
            }
            let (b, a) = (raw[k].0, raw[k].1)
            let few = min(anchorCounts[Int(b)], anchorCounts[Int(a)]) < fewAnchors
            let kind = SubImage.fit(copy: sizes[Int(b)], original: sizes[Int(a)])!
            if best.votes >= (few ? fewVotes : minVotes),
                coincidence(copy: positions(b), original: positions(a), x: best.x, y: best.y)
                    .isAtLeast(minCoincidence.least(for: kind))
            {
                out.append(
                    Vote(
                        candidate: SubImage.Candidate(copy: b, original: a, kind: kind), x: best.x, y: best.y,
                        votes: best.votes))
            }
            k = e
        }
        phases.mark("votes counted")
        return (capped(out, perCopy: perCopy), compared)
    }

    /// The distinct anchor positions of a keyed list, as sorted codes y << 32 | x (positions are never negative).
    static func positionCodes(_ keyed: Keyed) -> [UInt64] {
        var codes = keyed.map { UInt64(UInt32(bitPattern: $0.y)) << 32 | UInt64(UInt32(bitPattern: $0.x)) }
        codes.sort()
        var out = [UInt64]()
        out.reserveCapacity(codes.count)
        for c in codes where out.last != c { out.append(c) }
        return out
    }

    /// How many of a copy's anchor positions (`positionCodes`), moved by (`x`, `y`), lie within one pixel (in x and
    /// in y) of one of the original's, and of how many. O(c log o) for c and o positions.
    static func coincidence(copy: [UInt64], original: [UInt64], x: Int32, y: Int32) -> Coincidence {
        var hits = 0
        for code in copy {
            let px = Int64(code & 0xFFFF_FFFF) + Int64(x), py = Int64(code >> 32) + Int64(y)
            for row in (py - 1)...(py + 1) where row >= 0 {
                let lo = UInt64(row) << 32 | UInt64(max(0, px - 1)), hi = UInt64(row) << 32 | UInt64(max(0, px + 1))
                // The first position at or after `lo`.
                var first = 0, count = original.count
                while count > 0 {
                    let half = count / 2
                    if original[first + half] < lo { first += half + 1; count -= half + 1 } else { count = half }
                }
                if first < original.count && original[first] <= hi { hits += 1; break }
            }
        }
        return Coincidence(hits: hits, of: copy.count)
    }

    /// Anchors of a copy that coincide with its original's (`coincidence`).
    struct Coincidence: Equatable {
        var hits: Int, of: Int
        /// hits ≥ share · of (a copy without anchors has no share to fall short of).
        func isAtLeast(_ share: Double) -> Bool { Double(hits) >= share * Double(of) }
    }

    /// At most `perCopy` votes of each copy: the most votes, then the smaller original; order kept.
    static func capped(_ votes: [Vote], perCopy: Int) -> [Vote] {
        var out = [Vote]()
        var k = 0
        while k < votes.count {
            var e = k + 1
            while e < votes.count && votes[e].candidate.copy == votes[k].candidate.copy { e += 1 }
            let kept = votes[k..<e].sorted { ($1.votes, $0.candidate.original) < ($0.votes, $1.candidate.original) }
                .prefix(perCopy).sorted { $0.candidate.original < $1.candidate.original }
            out += kept
            k = e
        }
        return out
    }
}
