import Foundation

/// The crop-robust signature of `pairdx-phash-v2` (`docs/pairdx-phash-v2.md`): 256-bit codes of nine fixed
/// windows of one 128×128 Lanczos plane of the whole image.
///
/// Window 0 is the whole plane; windows 1–4 are centred, keeping 96, 92, 88 and 84% of each side (a copy
/// trimmed by 4–16% of its width and height looks like one of them); windows 5–8 are the left, right, top
/// and bottom halves (a panel cut from a two-panel figure). Each window's code is four low-frequency 64-bit
/// hashes of it (`code`).
/// A copy cropped from image A matches when its window 0 is near one of A's windows 1–8.
/// Cost per image: one more row resize (to 128²), and per window four small area resamples and an 8×8 DCT.
public enum CropSignature {
    /// Side of the plane the windows are cut from.
    public static let planeSide = 128
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
    }

    /// The nine windows, in the order their hashes are stored.
    public static let windows: [Window] = [
        .centred(keep: 1), .centred(keep: 0.96), .centred(keep: 0.92),
        .centred(keep: 0.88), .centred(keep: 0.84),
        .half(.left), .half(.right), .half(.top), .half(.bottom)
    ]

    /// Hex of a signature: 9 × 64 digits.
    public static let hexDigits = 9 * 64

    /// The nine window codes of a 128×128 plane, 36 words (window-major).
    public static func signature(plane: [UInt8]) -> [UInt64] {
        precondition(plane.count == planeSide * planeSide)
        var out = [UInt64]()
        out.reserveCapacity(windows.count * wordsPerWindow)
        for w in windows { out += code(plane, box: w.box) }
        return out
    }

    /// One window's 256-bit code: four 64-bit hashes of low spatial frequency, each computed from the window
    /// area-resampled to its own size (so a shift or scale error of a few percent moves few bits):
    /// pHash (32×32, low 8×8 DCT-II, median threshold), horizontal dHash (9×8: right > left), vertical dHash
    /// (8×9: below > above), aHash (8×8: > mean).
    static func code(_ plane: [UInt8], box: (Double, Double, Double, Double)) -> [UInt64] {
        let p32 = resampleWindow(plane, box: box, width: 32, height: 32)
        let h98 = resampleWindow(plane, box: box, width: 9, height: 8)
        let v89 = resampleWindow(plane, box: box, width: 8, height: 9)
        let a88 = resampleWindow(plane, box: box, width: 8, height: 8)
        let phash = PerceptualHash.dctBits(p32, size: 32, low: 8, cosines: PerceptualHash.cos32)[0]
        let dh = PerceptualHash.pack(64) { i in h98[(i / 8) * 9 + i % 8 + 1] > h98[(i / 8) * 9 + i % 8] }
        let dv = PerceptualHash.pack(64) { i in v89[(i / 8 + 1) * 8 + i % 8] > v89[(i / 8) * 8 + i % 8] }
        let mean = a88.reduce(0, +) / 64
        let ah = PerceptualHash.pack(64) { a88[$0] > mean }
        return [phash, dh, dv, ah]
    }

    /// Box weights mapping `[lo, hi)` of a `planeSide` axis onto `cells` cells: per output cell the first source
    /// index and the overlap of each source pixel with the cell, divided by the cell width.
    static func weights(lo: Double, hi: Double, cells: Int) -> (first: [Int], w: [[Double]]) {
        let n = Double(planeSide)
        let a = lo * n, b = hi * n
        let step = (b - a) / Double(cells)
        var first = [Int](), w = [[Double]]()
        for o in 0..<cells {
            let s = a + Double(o) * step, e = s + step
            let i0 = Int(s.rounded(.down)), i1 = min(planeSide, Int(e.rounded(.up)))
            first.append(i0)
            w.append((i0..<i1).map { i in (min(e, Double(i + 1)) - max(s, Double(i))) / step })
        }
        return (first, w)
    }

    /// Separable area resample of the window `box` of the plane to `width × height` (horizontal pass over
    /// every plane row, then vertical), row-major.
    static func resampleWindow(_ p: [UInt8], box: (Double, Double, Double, Double), width ow: Int, height oh: Int)
        -> [Double]
    {
        let (xs, ys) = (weights(lo: box.0, hi: box.2, cells: ow), weights(lo: box.1, hi: box.3, cells: oh))
        let side = planeSide
        var rows = [Double](repeating: 0, count: side * ow)
        var out = [Double](repeating: 0, count: ow * oh)
        p.withUnsafeBufferPointer { p in
            rows.withUnsafeMutableBufferPointer { r in
                for y in 0..<side {
                    for o in 0..<ow {
                        let f = xs.first[o]
                        var s = 0.0
                        for (k, wk) in xs.w[o].enumerated() { s += wk * Double(p[y &* side &+ f &+ k]) }
                        r[y &* ow &+ o] = s
                    }
                }
            }
        }
        rows.withUnsafeBufferPointer { r in
            out.withUnsafeMutableBufferPointer { d in
                for o in 0..<oh {
                    let f = ys.first[o]
                    for (k, wk) in ys.w[o].enumerated() {
                        let src = (f &+ k) &* ow
                        for x in 0..<ow { d[o &* ow &+ x] += wk * r[src &+ x] }
                    }
                }
            }
        }
        return out
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
            guard let v = UInt64(String(decoding: u[(k * 16)..<(k * 16 + 16)], as: UTF8.self), radix: 16) else {
                return nil
            }
            out.append(v)
        }
        return out
    }
}
