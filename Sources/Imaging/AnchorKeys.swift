import Foundation
import PairDxCore

/// Content-anchored keys that a crop or a panel shares with its original (`docs/pairdx-phash-v2.md` §2a): points
/// picked by the picture itself and described by it, so that a copy of the same pixels at the same scale has the
/// same points, moved by the crop offset, with the same keys.
///
/// On the luma plane: `s` is the 7×7 box mean and `d` the band-pass 7×7 mean minus 25×25 mean, both at every pixel
/// (integral images; no grid, so an integer shift moves them exactly). An **anchor** is a pixel whose |d| is the
/// largest within ±6 px (ties: the first in row order) and at least `contrast`, at least `margin` px from every
/// edge. Its **ring key** is 32 bits: `s` at 16 points on a ring of radius 6 and 16 on a ring of radius 12 around
/// it, each bit set when that point is brighter than the anchor, and the sign of d in place of ring bit 0. Each
/// image keeps the `limit`/16 strongest anchors (|d| descending, then position) of each cell of a 4×4 grid over
/// it, so that a half or a trimmed corner keeps anchors of its own. The threshold that binds is thus relative to
/// the image: the 12th-strongest maximum of each cell; `contrast` (a quarter of a grey level) only keeps out
/// maxima of a flat plane, so a low-contrast figure still gets its anchors. What an image votes with is each
/// anchor's **pair key** (`keyed`): its ring key joined to that of its partner, the strongest kept anchor within
/// `pairRadius`, and the offset between them.
///
/// A copy votes for an original through the keys they share, with the offset between the two anchors; the
/// pairs whose sizes fit (`SubImage.fit`), that gather `minVotes` votes (`fewVotes` for an image with few anchors)
/// within a pixel of one offset, and at whose offset a share of the copy's anchors lie on the original's
/// (`minCoincidence`) are the candidates (`matches`). Each image votes through its rarest keys
/// within a budget of anchor pairs, so the work is linear in the corpus and common keys do not silence an image.
public enum AnchorKeys {
    /// An image's pair keys with the anchor each belongs to (`keyed`), what `matches` votes with.
    public typealias Keyed = [(key: UInt64, x: Int32, y: Int32)]

    public struct Anchor: Sendable, Hashable {
        public var key: UInt32
        public var x: Int32, y: Int32
        public var strength: Float
    }

    static let smallRadius = 3, largeRadius = 12, suppress = 6
    static let ring: [(Int, Int)] = (0..<32).map { k in
        let r = k < 16 ? 6.0 : 12.0
        let a = Double(k % 16) * Double.pi / 8 + (k < 16 ? 0 : Double.pi / 16)
        return (Int((r * cos(a)).rounded()), Int((r * sin(a)).rounded()))
    }
    /// Distance from the edge an anchor keeps: the ring and the box means around it fit inside.
    static let margin = 12 + largeRadius + 1
    public static let contrast: Float = 0.25
    public static let limit = 192
    static let grid = 4
    /// Anchor pairs an image may spend on its queries (`matches`).
    public static let budget = 4096
    /// Originals aligned per copy at most (`matches`).
    public static let perCopy = 4
    /// Votes a candidate needs (`matches`): `minVotes`, or `fewVotes` when either image has fewer than
    /// `fewAnchors` anchors (few keys: a true copy gathers few votes, and coincidences are rarer still). Measured in
    /// `docs/pairdx-phash-v2.md` §5, "Three votes": at 25,000 synthetic figures, 5,108 of the 6,531 pairs aligned
    /// under a 2-vote rule had exactly 2 votes, all but 29 between images with at least 96 anchors, and not one of
    /// them was a crop or panel the alignment accepts.
    public static let minVotes = 3
    public static let fewVotes = 2, fewAnchors = 64
    /// The least share of a copy's anchors that, moved by a candidate's offset, lie within a pixel of one of the
    /// original's (`coincidence`), by the kind the sizes fit: below it `matches` drops the candidate before any
    /// alignment. A true crop or panel has its own anchors where its original has them, but for the per-cell choice
    /// of the strongest; a candidate that won its votes by coincidence has few more. A panel's cells are half as
    /// large as its original's, so its strongest anchors differ more. Measured in `docs/pairdx-phash-v2.md` §5,
    /// "Anchors that coincide" and "Crops coincide more": at 100,000 synthetic figures the kept true crops share
    /// 0.333 or more, the kept panels and same-size copies 0.164 or more, and every false candidate is a crop, 681
    /// of 723 of them under 0.2.
    public struct CoincidenceRule: Sendable, Equatable {
        public var crop: Double, other: Double
        public init(crop: Double, other: Double) { self.crop = crop; self.other = other }
        /// One share for every kind.
        public init(_ all: Double) { self.init(crop: all, other: all) }
        public func least(for kind: DuplicateKind) -> Double { kind == .crop ? crop : other }
    }
    public static let minCoincidence = CoincidenceRule(crop: 0.2, other: 0.1)
    /// How far an anchor looks for its partner (`keyed`), in pixels.
    public static let pairRadius = 96
    /// Fewer anchors than this: a sparse (flat) image, counted in the report.
    public static let sparse = 8

    /// The anchors of `p` (see the type's description). O(pixels · 30), in passes over rows that vectorise: the
    /// two box means and |d| at every pixel, then the ±`suppress` running maximum along each row and, one output
    /// row at a time, across rows. Only the region that can hold an anchor (`margin` from every edge) and the
    /// band of `suppress` around it is computed, so no window is clipped. The values are those of the direct
    /// definition bit for bit (the test keeps one and compares).
    public static func anchors(_ p: SubImage.Plane) -> [Anchor] {
        let w = p.width, h = p.height
        guard w > 2 * margin + 2, h > 2 * margin + 2 else { return [] }
        let stride = w &+ 1, lo = largeRadius, r = smallRadius, big = largeRadius
        let smallArea = Float((2 * r + 1) * (2 * r + 1)), largeArea = Float((2 * big + 1) * (2 * big + 1))
        var s = [Float](repeating: 0, count: w * h), d = s, a = s
        p.sums.withUnsafeBufferPointer { sum in
            s.withUnsafeMutableBufferPointer { s in
                d.withUnsafeMutableBufferPointer { d in
                    a.withUnsafeMutableBufferPointer { a in
                        for y in lo..<(h - lo) {
                            let st = (y &- r) &* stride, sb = (y &+ r &+ 1) &* stride
                            let lt = (y &- big) &* stride, lb = (y &+ big &+ 1) &* stride
                            let row = y &* w
                            for x in lo..<(w - lo) {
                                let sl = x &- r, sr = x &+ r &+ 1, ll = x &- big, lr = x &+ big &+ 1
                                let vs = sum[sb &+ sr] &- sum[sb &+ sl] &- sum[st &+ sr] &+ sum[st &+ sl]
                                let vl = sum[lb &+ lr] &- sum[lb &+ ll] &- sum[lt &+ lr] &+ sum[lt &+ ll]
                                let small = Float(vs) / smallArea
                                let band = small - Float(vl) / largeArea
                                s[row &+ x] = small
                                d[row &+ x] = band
                                a[row &+ x] = abs(band)
                            }
                        }
                    }
                }
            }
        }
        // Running maxima: `rowMax` over ±suppress along rows (rows and columns an anchor's window reaches), then
        // for each row that can hold an anchor, `full` over ±suppress across rows.
        let x0 = margin, x1 = w - margin, y0 = margin, y1 = h - margin
        var rowMax = [Float](repeating: 0, count: w * h), full = [Float](repeating: 0, count: w)
        var out = [Anchor]()
        a.withUnsafeBufferPointer { a in
            rowMax.withUnsafeMutableBufferPointer { m in
                // Selects rather than branches, so that the loops over x vectorise.
                for y in (y0 - suppress)..<(y1 + suppress) {
                    let row = y &* w
                    for x in x0..<x1 {
                        var v = a[row &+ x &- suppress]
                        for k in (1 - suppress)...suppress {
                            let o = a[row &+ x &+ k]
                            v = o > v ? o : v
                        }
                        m[row &+ x] = v
                    }
                }
                full.withUnsafeMutableBufferPointer { f in
                    for y in y0..<y1 {
                        let first = (y &- suppress) &* w
                        for x in x0..<x1 {
                            var v = m[first &+ x]
                            for k in 1...(2 * suppress) {
                                let o = m[first &+ k &* w &+ x]
                                v = o > v ? o : v
                            }
                            f[x] = v
                        }
                        let row = y &* w
                        for x in x0..<x1 {
                            let v = a[row &+ x]
                            guard v >= contrast, v == f[x], isFirstMaximum(a, w, x, y, v) else { continue }
                            let centre = s[row &+ x]
                            var key: UInt32 = d[row &+ x] > 0 ? 1 : 0
                            for (k, (dx, dy)) in ring.enumerated() where k > 0 {
                                if s[(y &+ dy) &* w &+ x &+ dx] > centre { key |= 1 << UInt32(k) }
                            }
                            out.append(Anchor(key: key, x: Int32(x), y: Int32(y), strength: v))
                        }
                    }
                }
            }
        }
        // The strongest in each cell of a 4×4 grid over the image, so that a half or a corner keeps its share.
        var cells = [[Anchor]](repeating: [], count: grid * grid)
        for an in out { cells[Int(an.y) * grid / h * grid + Int(an.x) * grid / w].append(an) }
        var kept = [Anchor]()
        for var c in cells {
            c.sort { ($0.strength, $1.y, $1.x) > ($1.strength, $0.y, $0.x) }
            kept += c.prefix(limit / (grid * grid))
        }
        return kept
    }

    /// The keys an image queries and is found by (`matches`), one per anchor with its position: the anchor's ring
    /// key joined to its **partner**'s, the strongest other anchor within `pairRadius` px (ties: first in row
    /// order), with the offset between them, mixed into 64 bits. A pair of ring keys at one exact offset is rare
    /// across a corpus even where single ring keys are common (two ring keys are held by half the anchors of a
    /// smooth synthetic corpus), and a shift keeps it. An anchor with no partner keeps its ring key alone, and a
    /// sparse image (fewer than `sparse` anchors, too few to agree on partners) also keeps every ring key.
    /// O(anchors²).
    public static func keyed(_ anchors: [Anchor]) -> Keyed {
        let r2 = Int64(pairRadius * pairRadius)
        var out = Keyed()
        out.reserveCapacity(anchors.count * (anchors.count < sparse ? 2 : 1))
        for an in anchors {
            var partner: Anchor?
            for o in anchors where o.x != an.x || o.y != an.y {
                let dx = Int64(o.x - an.x), dy = Int64(o.y - an.y)
                guard dx * dx + dy * dy <= r2 else { continue }
                if let p = partner, (p.strength, o.y, o.x) >= (o.strength, p.y, p.x) { continue }
                partner = o
            }
            if let p = partner {
                let offset =
                    UInt64(UInt16(truncatingIfNeeded: p.x - an.x)) << 16
                    | UInt64(UInt16(truncatingIfNeeded: p.y - an.y))
                out.append((mix(UInt64(an.key) << 32 | UInt64(p.key)) ^ mix(offset), an.x, an.y))
            }
            if partner == nil || anchors.count < sparse { out.append((UInt64(an.key), an.x, an.y)) }
        }
        return out
    }

    /// A 64-bit mix (SplitMix64's first output from state `v`): every input bit reaches every output bit.
    @inline(__always) static func mix(_ v: UInt64) -> UInt64 {
        var g = SplitMix64(state: v)
        return g.next()
    }

    /// True when no earlier pixel (row order) within ±suppress has the same value `v` (one anchor per plateau).
    /// The window lies inside the plane (an anchor is `margin` from every edge).
    @inline(__always)
    static func isFirstMaximum(_ a: UnsafeBufferPointer<Float>, _ w: Int, _ x: Int, _ y: Int, _ v: Float) -> Bool {
        for yy in (y &- suppress)...y {
            for xx in (x &- suppress)...(x &+ suppress) {
                if yy == y && xx >= x { break }
                if a[yy &* w &+ xx] == v { return false }
            }
        }
        return true
    }
}
