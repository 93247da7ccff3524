import Foundation
import PairDxCore

/// Crop and panel copies at the same pixel scale (`docs/pairdx-phash-v2.md` §2a): a copy whose pixels equal an
/// original's over a sub-rectangle, up to re-encoding noise.
///
/// **Sizes.** A copy `b` of an original `a` is a crop candidate when both of its sides keep
/// `1 − trim.most … 1 − trim.least` of `a`'s (a pixel of rounding allowed, never larger than `a`), and a panel
/// candidate when one side equals `a`'s (±1 px) and the other keeps `half.least … half.most` of it, and a near
/// candidate (re-encoded at the same size) when the sizes are equal (`fit`). Which pairs are looked at is decided by
/// `AnchorKeys`; the size rule filters them.
///
/// **Confirmation by alignment.** Both images are decoded to luma and summed into integral images; the copy is
/// slid over the offsets its size allows inside the original (all of them, or those near a voted offset), first on
/// block means (blocks of `f` = the copy's short side / 32 pixels, offsets in steps of f/2, Pearson correlation),
/// then around the three best offsets pixel by pixel, and scored at the best one by the correlation of the
/// **detail band** (block means of max(2, short side / 128) pixels, minus their 3×3 mean) of the copy and the
/// original's same pixels. A true trim of the same pixels scores about 1; a look-alike drawn from the same template
/// agrees in layout but not in detail.
public enum SubImage {
    /// Size of an image in pixels.
    public struct Size: Sendable, Hashable {
        public var width: Int, height: Int
        public init(_ width: Int, _ height: Int) { self.width = width; self.height = height }
    }

    /// A copy–original pair whose sizes fit a trim (`crop`) or a half (`panel`).
    public struct Candidate: Sendable, Hashable, Comparable {
        public var copy: Int32
        public var original: Int32
        public var kind: DuplicateKind
        public static func < (x: Candidate, y: Candidate) -> Bool {
            (x.copy, x.original) < (y.copy, y.original)
        }
        public init(copy: Int32, original: Int32, kind: DuplicateKind) {
            self.copy = copy; self.original = original; self.kind = kind
        }
    }

    /// The share of each side a crop may remove (together, both ends of the side).
    public static let trim = (least: 0.015, most: 0.18)
    /// The share of the cut side a panel keeps: one half, less a gutter.
    public static let half = (least: 0.46, most: 0.505)

    /// How `copy` fits inside `original`: `.crop`, `.panel`, `.near` (the same size: a re-encoded copy, whose
    /// pixels agree at offset 0), or nil.
    public static func fit(copy b: Size, original a: Size) -> DuplicateKind? {
        if b == a { return .near }
        guard b.width <= a.width, b.height <= a.height else { return nil }
        func within(_ x: Int, _ of: Int, _ lo: Double, _ hi: Double) -> Bool {
            Double(x) >= Double(of) * lo - 1 && Double(x) <= Double(of) * hi + 1
        }
        if within(b.width, a.width, 1 - trim.most, 1 - trim.least)
            && within(b.height, a.height, 1 - trim.most, 1 - trim.least)
        {
            return .crop
        }
        if (a.height - b.height <= 1 && within(b.width, a.width, half.least, half.most))
            || (a.width - b.width <= 1 && within(b.height, a.height, half.least, half.most))
        {
            return .panel
        }
        return nil
    }
}

extension SubImage {
    /// A luma plane with its integral image (sums of the rectangle above and left of each point).
    public struct Plane: Sendable {
        public var width: Int, height: Int
        var sums: [Int]

        public init(luma: [UInt8], width: Int, height: Int) {
            precondition(luma.count == width * height)
            self.width = width; self.height = height
            let stride = width + 1
            var s = [Int](repeating: 0, count: stride * (height + 1))
            luma.withUnsafeBufferPointer { p in
                s.withUnsafeMutableBufferPointer { s in
                    for y in 0..<height {
                        var row = 0
                        for x in 0..<width {
                            row &+= Int(p[y &* width &+ x])
                            s[(y &+ 1) &* stride &+ x &+ 1] = s[y &* stride &+ x &+ 1] &+ row
                        }
                    }
                }
            }
            sums = s
        }

        public init(_ image: Image) { self.init(luma: Luma.plane(image), width: image.width, height: image.height) }

        /// Means of `nx`×`ny` blocks of `f`×`f` pixels starting at (`x0`, `y0`), row-major, into `out`.
        func blocks(x0: Int, y0: Int, f: Int, nx: Int, ny: Int, into out: inout [Float]) {
            let stride = width + 1
            let scale = 1 / Float(f * f)
            sums.withUnsafeBufferPointer { s in
                out.withUnsafeMutableBufferPointer { o in
                    for j in 0..<ny {
                        let top = (y0 &+ j &* f) &* stride, bottom = (y0 &+ (j &+ 1) &* f) &* stride
                        for i in 0..<nx {
                            let l = x0 &+ i &* f, r = l &+ f
                            let v = s[bottom &+ r] &- s[bottom &+ l] &- s[top &+ r] &+ s[top &+ l]
                            o[j &* nx &+ i] = Float(v) * scale
                        }
                    }
                }
            }
        }
    }

    /// Where the copy sits in the original, and how well its detail agrees there.
    public struct Alignment: Sendable, Equatable {
        public var x: Int, y: Int
        /// Detail-band correlation at (x, y), in [−1, 1].
        public var score: Double
        /// On blocks of `smoothBlock` pixels at the offset the block search chose (x, y, or a pixel beside it): the
        /// root mean square of the difference of the copy's and the original's block means, each centred on its
        /// mean (`levels`, grey levels), and the copy's standard deviation there (`spread`). What `SmoothCrops`
        /// confirms a smooth figure's crop by, whose detail band is JPEG noise.
        public var levels: Double = .infinity, spread: Double = 0
    }
    /// Block side, in pixels, of `Alignment.levels` and `Alignment.spread`.
    public static let smoothBlock = 8

    /// Aligns `copy` inside `original` at the same scale and scores it (see the type's description): over every
    /// offset the sizes allow, or, given `near`, over the offsets within f/2 + 1 px of it. Deterministic.
    /// O(offsets/(f/2)² · 1024 + f² · 1024 + 16k) block reads.
    public static func align(copy b: Plane, original a: Plane, near: (Int, Int)? = nil) -> Alignment? {
        let rx = a.width - b.width, ry = a.height - b.height
        guard rx >= 0, ry >= 0, min(b.width, b.height) >= 16 else { return nil }
        let short = min(b.width, b.height)
        let f = max(1, short / 32), step = max(1, f / 2)
        let nx = b.width / f, ny = b.height / f
        var bc = [Float](repeating: 0, count: nx * ny), ac = bc
        b.blocks(x0: 0, y0: 0, f: f, nx: nx, ny: ny, into: &bc)
        let bStats = Moments(bc)
        func raw(_ x: Int, _ y: Int) -> Double {
            a.blocks(x0: x, y0: y, f: f, nx: nx, ny: ny, into: &ac)
            return bStats.pearson(bc, ac)
        }
        func grid(_ r: Int) -> [Int] {
            var g = Array(stride(from: 0, through: r, by: step))
            if g.last != r { g.append(r) }
            return g
        }
        // Coarse: every offset on the step grid; keep the three best (ties: smaller y, then x).
        var top = [(score: Double, x: Int, y: Int)]()
        if let (hx, hy) = near {
            top = [(1, min(rx, max(0, hx)), min(ry, max(0, hy)))]
        }
        for y in near == nil ? grid(ry) : [] {
            for x in grid(rx) {
                let s = raw(x, y)
                top.append((s, x, y))
                if top.count > 6 {
                    top.sort { ($0.score, -$0.y, -$0.x) > ($1.score, -$1.y, -$1.x) }
                    top.removeLast(top.count - 3)
                }
            }
        }
        top.sort { ($0.score, -$0.y, -$0.x) > ($1.score, -$1.y, -$1.x) }
        // Fine: every pixel offset within a coarse step of each.
        var best = (score: -2.0, x: 0, y: 0)
        var seen = Set<Int>()
        let reach = near == nil ? step : step + 1
        for c in top.prefix(3) {
            for y in max(0, c.y - reach)...min(ry, c.y + reach) {
                for x in max(0, c.x - reach)...min(rx, c.x + reach) where seen.insert(y * (rx + 1) + x).inserted {
                    let s = raw(x, y)
                    if s > best.score || (s == best.score && (y, x) < (best.y, best.x)) { best = (s, x, y) }
                }
            }
        }
        // Score: the detail band at about 1/128 of the short side (at least 2 px, above JPEG's pixel noise), at
        // the best offset and its 8 neighbours.
        let g = max(2, short / 128)
        let gx = b.width / g, gy = b.height / g
        var bf = [Float](repeating: 0, count: gx * gy), af = bf
        b.blocks(x0: 0, y0: 0, f: g, nx: gx, ny: gy, into: &bf)
        let bd = band(bf, gx, gy)
        let bdStats = Moments(bd)
        var out = Alignment(x: best.x, y: best.y, score: -2)
        let sx = b.width / smoothBlock, sy = b.height / smoothBlock
        if sx > 0, sy > 0 {
            var bs = [Float](repeating: 0, count: sx * sy), as_ = bs
            b.blocks(x0: 0, y0: 0, f: smoothBlock, nx: sx, ny: sy, into: &bs)
            a.blocks(x0: best.x, y0: best.y, f: smoothBlock, nx: sx, ny: sy, into: &as_)
            let root = Double(bs.count).squareRoot()
            out.levels = Moments(zip(bs, as_).map { $0 - $1 }).norm / root
            out.spread = Moments(bs).norm / root
        }
        for dy in -1...1 {
            for dx in -1...1 {
                let x = best.x + dx, y = best.y + dy
                guard (0...rx).contains(x), (0...ry).contains(y) else { continue }
                a.blocks(x0: x, y0: y, f: g, nx: gx, ny: gy, into: &af)
                let s = bdStats.pearson(bd, band(af, gx, gy))
                if s > out.score { (out.x, out.y, out.score) = (x, y, s) }
            }
        }
        return out
    }

    /// `p` minus its 3×3 box mean (edges clamped): the detail band.
    static func band(_ p: [Float], _ w: Int, _ h: Int) -> [Float] {
        var out = [Float](repeating: 0, count: w * h)
        p.withUnsafeBufferPointer { p in
            for y in 0..<h {
                for x in 0..<w {
                    var s: Float = 0
                    for dy in -1...1 {
                        let yy = min(h - 1, max(0, y + dy)) * w
                        for dx in -1...1 { s += p[yy + min(w - 1, max(0, x + dx))] }
                    }
                    out[y * w + x] = p[y * w + x] - s / 9
                }
            }
        }
        return out
    }

    /// The mean and the root of the centred sum of squares (`norm`) of a vector: one side of a correlation computed
    /// once, or, over √n, a standard deviation.
    struct Moments: Sendable {
        var mean: Double, norm: Double
        init(_ v: [Float]) {
            var s = 0.0
            for x in v { s += Double(x) }
            mean = s / Double(max(1, v.count))
            var q = 0.0
            for x in v { q += (Double(x) - mean) * (Double(x) - mean) }
            norm = q.squareRoot()
        }
        /// Pearson correlation of `v` (whose moments these are) with `w`; 0 when either is flat.
        func pearson(_ v: [Float], _ w: [Float]) -> Double {
            var sw = 0.0, sww = 0.0, svw = 0.0
            v.withUnsafeBufferPointer { v in
                w.withUnsafeBufferPointer { w in
                    for i in 0..<v.count {
                        let y = Double(w[i])
                        sw += y; sww += y * y; svw += (Double(v[i]) - mean) * y
                    }
                }
            }
            let n = Double(v.count)
            let vw = sww - sw * sw / n
            guard norm > 1e-6, vw > 1e-6 else { return 0 }
            return svw / (norm * vw.squareRoot())
        }
    }
}

extension SubImage {
    /// Side of the square plane on which `nearScore` compares two images of one picture at any scale.
    public static let nearSide = 64

    /// An image's luma resampled (Lanczos-3) to `nearSide`², its aspect not kept so a rescaled copy lands on the
    /// same plane as its original, and that plane's detail band (`band`), both stored as bytes: 8 KiB an image, so
    /// a dedupe can keep the planes of every image it decoded.
    public struct NearPlane: Sendable {
        /// The resampled luma.
        public var luma: [Int8]
        /// The band divided by `max|band| / 127`, rounded (the correlation does not depend on the scale; the
        /// step is at most 2 grey levels, the luma's own rounding is 1).
        public var detail: [Int8]
        /// Mean and centred norm of `luma` and of `detail`, computed once.
        var lumaMoments: Moments, detailMoments: Moments

        public init(_ image: Image) { self.init(luma: Luma.plane(image), width: image.width, height: image.height) }

        /// From a luma plane already at hand (`Luma.plane`), so that a caller making a `Plane` too converts once.
        public init(luma plane: [UInt8], width: Int, height: Int) {
            let gray = Image(width: width, height: height, channels: 1, pixels: plane)
            let small = Resample.resize(gray, width: nearSide, height: nearSide).pixels
            let band = SubImage.band(small.map(Float.init), nearSide, nearSide)
            let top = band.reduce(Float(0)) { max($0, abs($1)) }
            let scale = top > 0 ? 127 / top : 0
            luma = small.map { Int8(truncatingIfNeeded: Int($0) &- 128) }
            detail = band.map { Int8(($0 * scale).rounded()) }
            lumaMoments = Moments(luma.map(Float.init))
            detailMoments = Moments(detail.map(Float.init))
        }
    }

    /// How well two images agree as a whole (a rescaled or re-encoded copy), from their `NearPlane`s: the Pearson
    /// correlation of their detail bands (`detail`) and of their lumas (`whole`), each 0 when either side is flat,
    /// and the root mean square of the lumas' difference in grey levels (`levels`). O(`nearSide`²). On the
    /// 25,000-figure synthetic corpus the true near pairs the 256-bit hashes propose score 0.94–1.00 in detail (5th
    /// percentile up), the false ones at most 0.91, where the 32×32 thumbnails of the same false pairs reach 0.99; a
    /// smooth, low-contrast copy whose detail is JPEG noise still scores ≥ 0.998 as a whole, where 128,200 false
    /// pairs within 4 bits of 64-bit pHash reach 0.9955; a copy of a nearly flat figure, whose correlations are
    /// rounding and JPEG noise, differs by under a grey level, where the false pairs the hashes propose differ by
    /// 7.7 or more (docs/pairdx-phash-v2.md §5).
    public static func nearScore(_ a: NearPlane, _ b: NearPlane) -> (detail: Double, whole: Double, levels: Double) {
        let lumaDot = dot(a.luma, b.luma), n = Double(a.luma.count)
        func squares(_ m: Moments) -> Double { m.norm * m.norm + n * m.mean * m.mean }
        let difference = squares(a.lumaMoments) + squares(b.lumaMoments) - 2 * Double(lumaDot)
        return (
            correlation(a.detailMoments, b.detailMoments, dot: dot(a.detail, b.detail), count: n),
            correlation(a.lumaMoments, b.lumaMoments, dot: lumaDot, count: n),
            (max(0, difference) / max(1, n)).squareRoot()
        )
    }

    /// Pearson correlation of two vectors of `count` values from their moments and their `dot`; 0 when either is
    /// flat.
    static func correlation(_ mx: Moments, _ my: Moments, dot: Int32, count: Double) -> Double {
        guard mx.norm > 1e-6, my.norm > 1e-6 else { return 0 }
        return (Double(dot) - count * mx.mean * my.mean) / (mx.norm * my.norm)
    }

    /// Σ xᵢyᵢ of two byte vectors of one length, in 32-bit lanes so that the loop vectorises: |xᵢyᵢ| ≤ 128² = 2¹⁴,
    /// so a sum of fewer than 2¹⁷ of them (`nearSide`² = 4,096 here) stays under 2³¹.
    static func dot(_ x: [Int8], _ y: [Int8]) -> Int32 {
        precondition(x.count == y.count && x.count < 1 << 17, "dot: vectors of two lengths, or too long for 32 bits")
        var dot: Int32 = 0
        x.withUnsafeBufferPointer { x in
            y.withUnsafeBufferPointer { y in
                for i in 0..<x.count { dot &+= Int32(x[i]) &* Int32(y[i]) }
            }
        }
        return dot
    }
}

extension SubImage {
    /// Aligns every candidate (`align`), decoding each original once for all its copies; results in the order of
    /// `candidates` (nil where an image cannot be read or decoded). `shas[i]` names blob i for `pixels`.
    /// Deterministic: the result of a pair does not depend on the thread count.
    public static func confirm(
        _ votes: [AnchorKeys.Vote], shas: [String], pixels: @escaping Dedupe.PixelSource, threads: Int
    ) -> [Alignment?] {
        let candidates = votes.map(\.candidate)
        var byOriginal = [Int32: [Int]]()
        for (k, c) in candidates.enumerated() { byOriginal[c.original, default: []].append(k) }
        let groups = byOriginal.keys.sorted().map { byOriginal[$0]! }
        @Sendable func plane(_ blob: Int32) -> Plane? {
            guard let data = pixels(shas[Int(blob)]), let image = try? ImageDecoder.decode(data) else { return nil }
            return Plane(image)
        }
        let parts = Parallel.map(count: groups.count, threads: threads, batch: 1) { g -> [(Int, Alignment?)] in
            let members = groups[g]
            guard let a = plane(candidates[members[0]].original) else { return members.map { ($0, nil) } }
            return members.map { k in
                let hint = (Int(votes[k].x), Int(votes[k].y))
                return (k, plane(candidates[k].copy).flatMap { align(copy: $0, original: a, near: hint) })
            }
        }
        var out = [Alignment?](repeating: nil, count: candidates.count)
        for part in parts { for (k, al) in part { out[k] = al } }
        return out
    }
}
