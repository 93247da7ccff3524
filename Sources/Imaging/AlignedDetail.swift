import Foundation

/// The confirmation step of `pairdx-phash-v2` (`docs/pairdx-phash-v2.md` §2): a 32×32 thumbnail of every
/// image, and a score that aligns one image's thumbnail inside a region of another's and correlates their
/// detail there.
///
/// The hashes find candidates from low spatial frequencies, where distinct figures of one kind (the same
/// anatomy, the same layout) look alike. Copies agree also on the finer structure once aligned, look-alikes do
/// not; the alignment is searched, so the window ladder's 2% steps and an off-centre trim do not matter.
///
/// Score of `a` (the whole copy) against `b` over a starting box (fractions of `b`, from the hash match) with a
/// slack s: the box's left/right edges are searched within ±s by matching column profiles (the mean of each
/// column of `a` against the same of `b` over the box's rows, linear interpolation between `b`'s cells, Pearson
/// correlation), coarse steps of 1/128 then fine steps of 1/512; then the top/bottom edges the same way on row
/// profiles; then the columns once more; then the edges move by 1/128 or 1/256 while the score rises (at most six
/// rounds). `b` is sampled over the aligned box at `a`'s 32×32 cell centres (bilinear), and the score is the
/// Pearson correlation of the two **detail** bands (`detail`). Flat planes score 0. About 1 ms per pair.
public enum AlignedDetail {
    public static let side = 32
    public static let count = side * side
    /// Hex of a thumbnail: 2048 digits.
    public static let hexDigits = 2 * count

    /// The thumbnail: the 128×128 crop-signature plane averaged over 4×4 blocks, rounded half up.
    public static func thumbnail(plane: [UInt8]) -> [UInt8] {
        precondition(plane.count == CropSignature.planeSide * CropSignature.planeSide)
        let n = CropSignature.planeSide, f = n / side
        var out = [UInt8](repeating: 0, count: count)
        plane.withUnsafeBufferPointer { p in
            for y in 0..<side {
                for x in 0..<side {
                    var s = 0
                    for dy in 0..<f { for dx in 0..<f { s &+= Int(p[(y &* f &+ dy) &* n &+ x &* f &+ dx]) } }
                    out[y &* side &+ x] = UInt8((s &+ f &* f / 2) / (f &* f))
                }
            }
        }
        return out
    }

    public static func hex(_ t: [UInt8]) -> String? {
        guard !t.isEmpty else { return nil }
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(2 * t.count)
        for b in t { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses 2048 hex digits; nil when malformed.
    public static func parse(_ hex: String) -> [UInt8]? {
        let u = Array(hex.utf8)
        guard u.count == hexDigits else { return nil }
        func v(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            default: return nil
            }
        }
        var out = [UInt8](repeating: 0, count: count)
        for i in 0..<count {
            guard let hi = v(u[2 * i]), let lo = v(u[2 * i + 1]) else { return nil }
            out[i] = hi << 4 | lo
        }
        return out
    }

    /// Whether two thumbnails differ by at most `levels` grey levels, root mean square, once each is centred on its
    /// own mean (a copy that is only brighter or darker differs by 0). Exact in integers: with d = a − b over the
    /// n cells, n·Σd² − (Σd)² ≤ (levels·n)². O(n).
    public static func centredDifference(_ a: [UInt8], _ b: [UInt8], atMost levels: Int) -> Bool {
        precondition(a.count == b.count)
        var sum = 0, squares = 0
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                for i in 0..<a.count {
                    let d = Int(a[i]) &- Int(b[i])
                    sum &+= d
                    squares &+= d &* d
                }
            }
        }
        let n = a.count
        return n &* squares &- sum &* sum <= (levels &* n) &* (levels &* n)
    }

    /// A region of an image as fractions of its sides.
    public struct Box: Sendable, Equatable {
        public var x0: Double, y0: Double, x1: Double, y1: Double
        public init(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double) {
            self.x0 = x0; self.y0 = y0; self.x1 = x1; self.y1 = y1
        }
        public static let whole = Box(0, 0, 1, 1)
    }

    /// Detail correlation of `a` (whole) with `b` over `box` searched within ±`slack`; in [−1, 1].
    public static func score(_ a: [UInt8], _ b: [UInt8], box: Box, slack: Double) -> Double {
        precondition(a.count == count && b.count == count)
        let fa = a.map(Float.init), fb = b.map(Float.init)
        var colA = [Float](repeating: 0, count: side), rowA = [Float](repeating: 0, count: side)
        for y in 0..<side { for x in 0..<side { colA[x] += fa[y * side + x]; rowA[y] += fa[y * side + x] } }
        var r = box
        (r.x0, r.x1) = alignEdges(colA, fb, axis: .x, box: box, slack: slack)
        (r.y0, r.y1) = alignEdges(rowA, fb, axis: .y, box: r, slack: slack)
        (r.x0, r.x1) = alignEdges(colA, fb, axis: .x, box: r, slack: slack, around: box)
        // Refinement on the score itself: each edge in turn moves by ±1/128 or ±1/256 while that raises the
        // detail correlation (at most 6 rounds), staying within the slack.
        let da = detail(fa)
        func eval(_ q: Box) -> Double { pearson(da, detail(sample(fb, q))) }
        var best = eval(r)
        for _ in 0..<6 {
            var moved = false
            for edge in 0..<4 {
                for step in [1.0 / 128, -1.0 / 128, 1.0 / 256, -1.0 / 256] {
                    var q = r
                    switch edge {
                    case 0: q.x0 += step
                    case 1: q.x1 += step
                    case 2: q.y0 += step
                    default: q.y1 += step
                    }
                    guard q.x0 >= box.x0 - slack, q.x1 <= box.x1 + slack, q.y0 >= box.y0 - slack,
                        q.y1 <= box.y1 + slack,
                        q.x0 >= -0.001, q.y0 >= -0.001, q.x1 <= 1.001, q.y1 <= 1.001
                    else { continue }
                    let s = eval(q)
                    if s > best { best = s; r = q; moved = true; break }
                }
            }
            if !moved { break }
        }
        return best
    }

    enum Axis { case x, y }

    /// Searches the `axis` edges of `box` within ±slack of `around` (default: `box`) so that `b`'s profile over
    /// the box matches `profile`; returns the best (lo, hi).
    static func alignEdges(_ profile: [Float], _ b: [Float], axis: Axis, box: Box, slack: Double, around: Box? = nil)
        -> (Double, Double)
    {
        let centre = around ?? box
        // b collapsed across the other axis over the box's extent there: one value per cell along `axis`.
        let (oLo, oHi) = axis == .x ? (box.y0, box.y1) : (box.x0, box.x1)
        var collapsed = [Float](repeating: 0, count: side)
        for i in 0..<side {
            let v = oLo + (Double(i) + 0.5) / Double(side) * (oHi - oLo)
            let (c0, c1, w) = cell(v)
            for k in 0..<side {
                let s =
                    axis == .x
                    ? b[c0 * side + k] * (1 - w) + b[c1 * side + k] * w
                    : b[k * side + c0] * (1 - w) + b[k * side + c1] * w
                collapsed[k] += s
            }
        }
        let (lo0, hi0) = axis == .x ? (centre.x0, centre.x1) : (centre.y0, centre.y1)
        var best = (score: -2.0, lo: lo0, hi: hi0)
        func tryEdges(_ lo: Double, _ hi: Double) {
            guard lo >= -0.001, hi <= 1.001, hi - lo >= 0.3 else { return }
            var sampled = [Float](repeating: 0, count: side)
            for j in 0..<side {
                let (c0, c1, w) = cell(lo + (Double(j) + 0.5) / Double(side) * (hi - lo))
                sampled[j] = collapsed[c0] * (1 - w) + collapsed[c1] * w
            }
            let s = pearson(profile, sampled)
            if s > best.score { best = (s, lo, hi) }
        }
        let coarse = 1.0 / 128, steps = Int((slack / coarse).rounded(.up))
        for i in -steps...steps {
            for j in -steps...steps { tryEdges(lo0 + Double(i) * coarse, hi0 + Double(j) * coarse) }
        }
        let (clo, chi) = (best.lo, best.hi)
        let fine = 1.0 / 512
        for i in -3...3 {
            for j in -3...3 where i != 0 || j != 0 { tryEdges(clo + Double(i) * fine, chi + Double(j) * fine) }
        }
        return (best.lo, best.hi)
    }

    /// The two cells around fraction `v` and the weight of the second (linear interpolation between cell
    /// centres, clamped at the edges).
    @inline(__always) static func cell(_ v: Double) -> (Int, Int, Float) {
        let t = min(Double(side - 1), max(0, v * Double(side) - 0.5))
        let c0 = min(side - 2, Int(t))
        return (c0, c0 + 1, Float(t - Double(c0)))
    }

    /// `b` sampled at the 32×32 cell centres of `box` (bilinear).
    static func sample(_ b: [Float], _ box: Box) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        let xs = (0..<side).map { cell(box.x0 + (Double($0) + 0.5) / Double(side) * (box.x1 - box.x0)) }
        for y in 0..<side {
            let (r0, r1, wy) = cell(box.y0 + (Double(y) + 0.5) / Double(side) * (box.y1 - box.y0))
            for x in 0..<side {
                let (c0, c1, wx) = xs[x]
                let top = b[r0 * side + c0] * (1 - wx) + b[r0 * side + c1] * wx
                let bottom = b[r1 * side + c0] * (1 - wx) + b[r1 * side + c1] * wx
                out[y * side + x] = top * (1 - wy) + bottom * wy
            }
        }
        return out
    }

    /// The detail band of a plane: its 3×3 box mean minus three 3×3 box means in a row (edges clamped), a
    /// band-pass that leaves out the cell-size frequencies an interpolated resample blurs, and the layout.
    static func detail(_ p: [Float]) -> [Float] {
        let once = box3(p)
        let thrice = box3(box3(once))
        return zip(once, thrice).map { $0 - $1 }
    }

    /// 3×3 box mean, edges clamped.
    static func box3(_ p: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        for y in 0..<side {
            for x in 0..<side {
                var s: Float = 0
                for dy in -1...1 {
                    for dx in -1...1 {
                        s += p[min(side - 1, max(0, y + dy)) * side + min(side - 1, max(0, x + dx))]
                    }
                }
                out[y * side + x] = s / 9
            }
        }
        return out
    }

    /// Pearson correlation; 0 when either side is flat.
    static func pearson(_ a: [Float], _ b: [Float]) -> Double {
        let n = Double(a.count)
        var sa = 0.0, sb = 0.0, saa = 0.0, sbb = 0.0, sab = 0.0
        for i in a.indices {
            let x = Double(a[i]), y = Double(b[i])
            sa += x; sb += y; saa += x * x; sbb += y * y; sab += x * y
        }
        let va = saa - sa * sa / n, vb = sbb - sb * sb / n
        guard va > 1e-9, vb > 1e-9 else { return 0 }
        return (sab - sa * sb / n) / (va * vb).squareRoot()
    }
}
