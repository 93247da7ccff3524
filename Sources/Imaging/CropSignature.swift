import Foundation

/// The crop-robust signature of `pairdx-phash-v2` (`docs/pairdx-phash-v2.md`): 256-bit pHashes of nine fixed
/// windows of one 128×128 Lanczos plane of the whole image.
///
/// Window 0 is the whole plane; windows 1–4 are centred, keeping 96, 92, 88 and 84% of each side (a copy
/// trimmed by 4–16% of its width and height looks like one of them); windows 5–8 are the left, right, top
/// and bottom halves (a panel cut from a two-panel figure). Each window is area-resampled to 64×64 (exact
/// fractional box weights), then hashed as the 256-bit pHash: unnormalised 2-D DCT-II, low 16×16 block
/// including DC, bit = coefficient > median, row-major, first bit = most significant.
/// A copy cropped from image A matches when its window 0 is near one of A's windows 1–8.
/// Cost per image: one more row resize (to 128²) and nine 64×64 resamples + partial DCTs (≈ 0.8 M flops).
public enum CropSignature {
    /// Side of the plane the windows are cut from.
    public static let planeSide = 128
    /// Side of a window's resampled plane.
    static let windowSide = 64
    /// Words per window hash.
    public static let wordsPerWindow = 4

    /// What each window is: a centred crop keeping a fraction of each side, or a half.
    public enum Window: Sendable, Equatable {
        case centred(keep: Double)
        case half(Side)
        public enum Side: String, Sendable { case left, right, top, bottom }

        /// The window in plane coordinates as fractions: (x0, y0, x1, y1).
        var box: (Double, Double, Double, Double) {
            switch self {
            case .centred(let k): let m = (1 - k) / 2; return (m, m, 1 - m, 1 - m)
            case .half(.left): return (0, 0, 0.5, 1)
            case .half(.right): return (0.5, 0, 1, 1)
            case .half(.top): return (0, 0, 1, 0.5)
            case .half(.bottom): return (0, 0.5, 1, 1)
            }
        }

        /// `whole`, `crop96` … `crop84`, `left` … `bottom`: the name reports use.
        public var name: String {
            switch self {
            case .centred(let k) where k >= 1: return "whole"
            case .centred(let k): return "crop" + String(Int((k * 100).rounded()))
            case .half(let s): return s.rawValue
            }
        }

        public var isHalf: Bool { if case .half = self { return true } else { return false } }
    }

    /// The nine windows, in the order their hashes are stored.
    public static let windows: [Window] = [.centred(keep: 1), .centred(keep: 0.96), .centred(keep: 0.92),
                                           .centred(keep: 0.88), .centred(keep: 0.84),
                                           .half(.left), .half(.right), .half(.top), .half(.bottom)]

    /// Hex of a signature: 9 × 64 digits.
    public static let hexDigits = 9 * 64

    /// The nine window hashes of a 128×128 plane, 36 words (window-major, most significant word first).
    public static func signature(plane: [UInt8]) -> [UInt64] {
        precondition(plane.count == planeSide * planeSide)
        var out = [UInt64]()
        out.reserveCapacity(windows.count * wordsPerWindow)
        var window = [Double](repeating: 0, count: windowSide * windowSide)
        for w in windows {
            resampleWindow(plane, box: w.box, into: &window)
            out += dctBits(window)
        }
        return out
    }

    /// The 256-bit pHash of a 64×64 window: the same coefficients as `PerceptualHash.dctBits` (low 16×16 of the
    /// unnormalised DCT-II, median threshold), the first pass summed row by row so it vectorises.
    static func dctBits(_ p: [Double]) -> [UInt64] {
        let size = windowSide, low = 16
        var a = [Double](repeating: 0, count: low * size)
        var d = [Double](repeating: 0, count: low * low)
        p.withUnsafeBufferPointer { p in
        PerceptualHash.cos64.withUnsafeBufferPointer { c in
        a.withUnsafeMutableBufferPointer { a in
            for k in 0..<low {
                let ak = a.baseAddress! + k &* size
                for n in 0..<size {
                    let ck = 2 * c[k &* size &+ n]
                    let pn = p.baseAddress! + n &* size
                    for j in 0..<size { ak[j] += ck * pn[j] }
                }
            }
            for k in 0..<low {
                for l in 0..<low {
                    var s = 0.0
                    for j in 0..<size { s += c[l &* size &+ j] * a[k &* size &+ j] }
                    d[k &* low &+ l] = 2 * s
                }
            }
        }}}
        let sorted = d.sorted()
        let median = (sorted[127] + sorted[128]) / 2
        return (0..<4).map { w in PerceptualHash.pack(64) { d[w &* 64 &+ $0] > median } }
    }

    /// Box weights mapping `[lo, hi)` of a `planeSide` axis onto `windowSide` cells: per output cell the
    /// first source index and the overlap of each source pixel with the cell, divided by the cell width.
    static func weights(lo: Double, hi: Double) -> (first: [Int], w: [[Double]]) {
        let n = Double(planeSide)
        let a = lo * n, b = hi * n
        let step = (b - a) / Double(windowSide)
        var first = [Int](), w = [[Double]]()
        for o in 0..<windowSide {
            let s = a + Double(o) * step, e = s + step
            let i0 = Int(s.rounded(.down)), i1 = min(planeSide, Int(e.rounded(.up)))
            first.append(i0)
            w.append((i0..<i1).map { i in (min(e, Double(i + 1)) - max(s, Double(i))) / step })
        }
        return (first, w)
    }

    /// Separable area resample of the window `box` of the plane to `windowSide`².
    static func resampleWindow(_ p: [UInt8], box: (Double, Double, Double, Double), into out: inout [Double]) {
        let (xs, ys) = (weights(lo: box.0, hi: box.2), weights(lo: box.1, hi: box.3))
        let side = planeSide, ws = windowSide
        var rows = [Double](repeating: 0, count: side * ws)   // every plane row, resampled horizontally
        p.withUnsafeBufferPointer { p in
            rows.withUnsafeMutableBufferPointer { r in
                for y in 0..<side {
                    for o in 0..<ws {
                        let f = xs.first[o]
                        var s = 0.0
                        for (k, wk) in xs.w[o].enumerated() { s += wk * Double(p[y &* side &+ f &+ k]) }
                        r[y &* ws &+ o] = s
                    }
                }
            }
        }
        rows.withUnsafeBufferPointer { r in
            out.withUnsafeMutableBufferPointer { d in
                for o in 0..<ws {
                    let f = ys.first[o]
                    for x in 0..<ws { d[o &* ws &+ x] = 0 }
                    for (k, wk) in ys.w[o].enumerated() {
                        let src = (f &+ k) &* ws
                        for x in 0..<ws { d[o &* ws &+ x] += wk * r[src &+ x] }
                    }
                }
            }
        }
    }

    /// Hex of the 36 words; nil when empty.
    public static func hex(_ words: [UInt64]) -> String? {
        words.isEmpty ? nil : words.map(ImageHashes.hex).joined()
    }

    /// Parses 576 hex digits into 36 words.
    public static func words(_ hex: String) -> [UInt64]? {
        let u = Array(hex.utf8)
        guard u.count == hexDigits else { return nil }
        var out = [UInt64]()
        out.reserveCapacity(36)
        for k in 0..<36 {
            guard let v = UInt64(String(decoding: u[(k * 16)..<(k * 16 + 16)], as: UTF8.self), radix: 16) else { return nil }
            out.append(v)
        }
        return out
    }
}
