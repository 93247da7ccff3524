import Foundation

/// Endoscope video frames, RGB: reddish mucosa with texture and vessels inside a circular (or clipped)
/// vignette on black, a dark lumen with concentric folds, and specular highlights. O(w·h).
enum EndoscopyPainter {
    static func paint(width w: Int, height h: Int, rng: inout SynthRandom) -> Raster {
        let W = Float(w), H = Float(h)
        let base: [Float] = [rng.float(185, 225), rng.float(75, 120), rng.float(60, 90)]
        var r = Raster(width: w, height: h, channels: 3)
        for i in 0..<(w * h) { r.data[3 * i] = base[0]; r.data[3 * i + 1] = base[1]; r.data[3 * i + 2] = base[2] }
        let tex = Texture.fractal(width: w, height: h, cell: r.minSide * rng.float(0.05, 0.12), octaves: 3, rng: &rng)
        r.modulate(by: tex, amount: rng.float(0.3, 0.5))
        let cx = W / 2, cy = H / 2, R = r.minSide * rng.float(0.45, 0.5)
        // Lumen: dark, off-centre, with folds around it.
        let la = rng.float(0, 2 * .pi), ld = R * rng.float(0, 0.45)
        let lx = cx + cosf(la) * ld, ly = cy + sinf(la) * ld
        let lr = R * rng.float(0.12, 0.3)
        for k in 0..<rng.int(3...5) {
            let fr = lr * (1.4 + Float(k) * rng.float(0.45, 0.7))
            let pts = Raster.arc(
                cx: lx, cy: ly, rx: fr, ry: fr * rng.float(0.7, 1), from: rng.float(0, 2), to: rng.float(3.5, 6),
                steps: 30)
            r.stroke(pts, thickness: R * 0.03, color: [0.72, 0.62, 0.6], opacity: 0.7, soft: 4, blend: .multiply)
            r.stroke(
                pts.map { ($0.0, $0.1 - R * 0.025) }, thickness: R * 0.02, color: [255, 190, 170], opacity: 0.35,
                soft: 3)
        }
        for k in 0..<5 {
            let t = Float(k) / 4
            r.ellipse(
                cx: lx, cy: ly, rx: lr * (1.6 - t * 0.8), ry: lr * (1.4 - t * 0.7),
                color: [0.55 - 0.1 * t, 0.45 - 0.1 * t, 0.45 - 0.1 * t],
                soft: lr * 0.3, blend: .multiply)
        }
        r.ellipse(cx: lx, cy: ly, rx: lr * 0.7, ry: lr * 0.6, color: [25, 8, 6], opacity: 0.9, soft: lr * 0.4)
        // Vessels: thin dark random walks.
        for _ in 0..<rng.int(3...10) {
            var x = rng.float(0, W), y = rng.float(0, H), a = rng.float(0, 2 * .pi)
            var pts: [(Float, Float)] = [(x, y)]
            for _ in 0..<rng.int(8...20) {
                a += rng.float(-0.5, 0.5); x += cosf(a) * R * 0.05; y += sinf(a) * R * 0.05
                pts.append((x, y))
            }
            r.stroke(pts, thickness: rng.float(1, 2.5), color: [130, 30, 35], opacity: 0.45, soft: 1)
        }
        // Specular highlights.
        for _ in 0..<rng.int(3...12) {
            let a = rng.float(0, 2 * .pi), d = R * rng.float(0.2, 0.9)
            let sr = R * rng.float(0.01, 0.04)
            r.ellipse(
                cx: cx + cosf(a) * d, cy: cy + sinf(a) * d, rx: sr * rng.float(1, 3), ry: sr, angle: a + .pi / 2,
                color: [255, 252, 245], opacity: 0.95, soft: 1.5)
        }
        // Vignette, circular field stop (sometimes clipped top/bottom), black outside.
        let clip = rng.chance(0.4) ? R * rng.float(0.82, 0.92) : R * 2
        let inv = 1 / R
        r.data.withUnsafeMutableBufferPointer { p in
            for y in 0..<h {
                let dy = Float(y) + 0.5 - cy
                for x in 0..<w {
                    let dx = Float(x) + 0.5 - cx
                    let d = (dx * dx + dy * dy).squareRoot() * inv
                    let inside = min(1, max(0, (1 - d) * R * 0.5)) * min(1, max(0, (clip - abs(dy)) * 0.5))
                    let v = (1 - 0.55 * d * d) * inside
                    let i = (y * w + x) * 3
                    p[i] *= v; p[i + 1] *= v; p[i + 2] *= v
                }
            }
        }
        r.addNoise(sigma: rng.float(2, 4), rng: &rng)
        return r
    }
}
