import Foundation
import PairDxCore
import Testing
@testable import Imaging

/// `AnchorKeys.anchors` (row passes over unsafe buffers) against the definition written out directly.
@Suite struct AnchorKeysTests {
    /// The anchors of `p` as `AnchorKeys`'s description defines them, pixel by pixel with clipped windows: the
    /// 7×7 and 25×25 box means, |d|, its maximum over ±6 px, the first maximum of a plateau, the ring key, then
    /// the strongest of each cell. Slow and plain; the library's version must return exactly this.
    static func definition(_ p: SubImage.Plane) -> [AnchorKeys.Anchor] {
        let w = p.width, h = p.height, m = AnchorKeys.margin, r = AnchorKeys.suppress
        guard w > 2 * m + 2, h > 2 * m + 2 else { return [] }
        func box(_ x: Int, _ y: Int, _ radius: Int) -> Float {
            let s = p.sums, stride = w + 1
            let x0 = x - radius, y0 = y - radius, x1 = x + radius + 1, y1 = y + radius + 1
            let v = s[y1 * stride + x1] - s[y1 * stride + x0] - s[y0 * stride + x1] + s[y0 * stride + x0]
            return Float(v) / Float((2 * radius + 1) * (2 * radius + 1))
        }
        var s = [Float](repeating: 0, count: w * h), d = s
        let lo = AnchorKeys.largeRadius
        for y in lo..<(h - lo) {
            for x in lo..<(w - lo) {
                s[y * w + x] = box(x, y, AnchorKeys.smallRadius)
                d[y * w + x] = s[y * w + x] - box(x, y, lo)
            }
        }
        let a = d.map { abs($0) }
        var found = [AnchorKeys.Anchor]()
        for y in m..<(h - m) {
            for x in m..<(w - m) {
                let v = a[y * w + x]
                guard v >= AnchorKeys.contrast else { continue }
                var isMax = true, isFirst = true
                for yy in max(0, y - r)...min(h - 1, y + r) {
                    for xx in max(0, x - r)...min(w - 1, x + r) {
                        let o = a[yy * w + xx]
                        if o > v { isMax = false }
                        if o == v && (yy < y || (yy == y && xx < x)) { isFirst = false }
                    }
                }
                guard isMax, isFirst else { continue }
                var key: UInt32 = d[y * w + x] > 0 ? 1 : 0
                for (k, (dx, dy)) in AnchorKeys.ring.enumerated() where k > 0 {
                    if s[(y + dy) * w + x + dx] > s[y * w + x] { key |= 1 << UInt32(k) }
                }
                found.append(AnchorKeys.Anchor(key: key, x: Int32(x), y: Int32(y), strength: v))
            }
        }
        let g = AnchorKeys.grid
        var cells = [[AnchorKeys.Anchor]](repeating: [], count: g * g)
        for an in found { cells[Int(an.y) * g / h * g + Int(an.x) * g / w].append(an) }
        return cells.flatMap { c in
            c.sorted { ($0.strength, $1.y, $1.x) > ($1.strength, $0.y, $0.x) }.prefix(AnchorKeys.limit / (g * g))
        }
    }

    /// A plane of `w`×`h` with smooth shapes, noise of `noise` grey levels and flat plateaus (equal maxima, so
    /// the first-of-a-plateau rule is exercised), from `seed`.
    static func plane(_ w: Int, _ h: Int, seed: UInt64, noise: Int, levels: Int) -> SubImage.Plane {
        var rng = SplitMix64(state: seed)
        let blobs = (0..<12).map { _ in
            (Double(rng.next() % UInt64(w)), Double(rng.next() % UInt64(h)), Double(4 + rng.next() % 30))
        }
        var luma = [UInt8](repeating: 0, count: w * h)
        for y in 0..<h {
            for x in 0..<w {
                var v = 40.0
                for (bx, by, br) in blobs {
                    let q = ((Double(x) - bx) * (Double(x) - bx) + (Double(y) - by) * (Double(y) - by)) / (br * br)
                    v += 160 * exp(-q)
                }
                if noise > 0 { v += Double(Int(rng.next() % UInt64(2 * noise + 1)) - noise) }
                // Quantised to `levels` grey levels: wide flat steps, many equal box means.
                let step = 256.0 / Double(levels)
                luma[y * w + x] = UInt8(max(0, min(255, (v / step).rounded(.down) * step)))
            }
        }
        return SubImage.Plane(luma: luma, width: w, height: h)
    }

    /// Sizes from the smallest plane that can hold an anchor up, odd and even, wide and tall; noisy, smooth and
    /// posterised content.
    @Test(arguments: [
        (53, 53), (54, 60), (64, 200), (200, 64), (97, 131), (160, 120), (257, 190), (311, 77)
    ])
    func fastAnchorsAreTheDefinitionsOnSyntheticPlanes(size: (Int, Int)) {
        for (seed, noise, levels) in [(UInt64(1), 0, 256), (2, 6, 256), (3, 30, 256), (4, 0, 6), (5, 2, 3)] {
            let p = Self.plane(size.0, size.1, seed: seed &* 7919 &+ UInt64(size.0), noise: noise, levels: levels)
            let fast = AnchorKeys.anchors(p), plain = Self.definition(p)
            #expect(fast == plain, "\(size.0)×\(size.1), noise \(noise), \(levels) levels")
            if size.0 >= 97 && size.1 >= 97 && noise > 0 { #expect(!plain.isEmpty) }
        }
    }

    @Test(.enabled(if: sharedImagesDirectory() != nil, "../shared/data/images is absent"))
    func fastAnchorsAreTheDefinitionsOnRealImages() throws {
        var textured = 0
        let images = try SubImageTests.originals()
        for image in images {
            let p = SubImage.Plane(image)
            let fast = AnchorKeys.anchors(p)
            #expect(fast == Self.definition(p), "\(image.width)×\(image.height)")
            if fast.count > 40 { textured += 1 }
        }
        #expect(textured * 2 > images.count, "\(textured) of \(images.count) images have more than 40 anchors")
    }
}
