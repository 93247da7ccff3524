import Foundation

/// Stained tissue photomicrographs, full frame RGB: eosin-pink stroma with fibrous texture, clear spaces
/// (lumens, fat), and many hematoxylin-purple nuclei clustered around gland-like centres; sometimes an
/// immunohistochemistry look (brown nuclei on a pale blue counterstain). O(w·h + nuclei·r²).
enum HistologyPainter {
    static func paint(width w: Int, height h: Int, rng: inout SynthRandom) -> Raster {
        let W = Float(w), H = Float(h)
        let ihc = rng.chance(0.2)
        let hue = rng.float(-18, 18)
        let stroma: [Float] = ihc ? [222, 222, 232] : [236 - hue * 0.3, 172 + hue * 0.5, 206 - hue * 0.4]
        let deep: [Float] = ihc ? [190, 190, 210] : [212, 110 + hue, 168]
        let nucleus: [Float] = ihc ? [140 + hue, 88, 48] : [92 + hue, 48, 138 - hue * 0.5]
        let counter: [Float] = [90, 90, 170]
        var r = Raster(width: w, height: h, channels: 3)
        for i in 0..<(w * h) { r.data[3 * i] = stroma[0]; r.data[3 * i + 1] = stroma[1]; r.data[3 * i + 2] = stroma[2] }
        let fibres = Texture.ridged(
            Texture.fractal(width: w, height: h, cell: r.minSide * rng.float(0.04, 0.1), octaves: 3, rng: &rng),
            power: 2)
        r.mix(toward: deep, weights: fibres, scale: rng.float(0.5, 0.9))
        // Clear spaces.
        for _ in 0..<rng.int(0...7) {
            let sr = r.minSide * rng.float(0.03, 0.12)
            r.ellipse(
                cx: rng.float(0, W), cy: rng.float(0, H), rx: sr, ry: sr * rng.float(0.5, 1), angle: rng.float(0, 3),
                color: [246, 240, 246], soft: 2)
        }
        // Nuclei: gland-like clusters plus scattered stromal cells.
        let spacing = rng.float(9, 16) * max(1, r.minSide / 500)
        let total = Int(W * H / (spacing * spacing) * rng.float(0.5, 0.9))
        let clusters = (0..<rng.int(2...7)).map { _ in
            (rng.float(0, W), rng.float(0, H), r.minSide * rng.float(0.08, 0.22))
        }
        let nr = spacing * rng.float(0.22, 0.32)
        for k in 0..<total {
            var x: Float, y: Float
            if k % 3 != 0, let c = clusters.isEmpty ? nil : clusters[k % clusters.count] {
                let a = rng.float(0, 2 * .pi), d = c.2 * (0.75 + 0.3 * rng.gaussian() * 0.5)
                x = c.0 + cosf(a) * d; y = c.1 + sinf(a) * d
            } else {
                x = rng.float(0, W); y = rng.float(0, H)
            }
            let rr = nr * rng.float(0.7, 1.35)
            let col = (ihc && rng.chance(0.55)) ? counter : nucleus
            r.ellipse(
                cx: x, cy: y, rx: rr, ry: rr * rng.float(0.55, 1), angle: rng.float(0, 3.14), color: col,
                opacity: rng.float(0.65, 0.95), soft: 1)
        }
        r.boxBlur(radius: 1)
        r.addNoise(sigma: rng.float(2, 5), rng: &rng, perChannel: true)
        return r
    }
}
