import Foundation

/// MR images: mostly axial brain (head oval, bright scalp fat, dark skull, gyri-like folded cortex,
/// ventricles; T1 or T2 contrast), sometimes a sagittal spine/knee-like soft-tissue slab. Soft contrast,
/// smooth bias field, low background noise. O(w·h·octaves).
enum MRIPainter {
    static func paint(width w: Int, height h: Int, rng: inout SynthRandom) -> Raster {
        var r = Raster(width: w, height: h, channels: 1, fill: 6)
        if rng.chance(0.8) { brain(&r, rng: &rng) } else { joint(&r, rng: &rng) }
        // Smooth coil-sensitivity bias and mild blur give the soft MR look.
        let bias = Texture.value(width: w, height: h, cell: r.minSide * 0.6, rng: &rng)
        r.modulate(by: bias, amount: rng.float(0.15, 0.35))
        r.boxBlur(radius: 1)
        r.addNoise(sigma: rng.float(2, 6), rng: &rng)
        r.contrast(center: 128, gain: rng.float(0.85, 1.1), offset: rng.float(-10, 10))
        return r
    }

    private static func brain(_ r: inout Raster, rng: inout SynthRandom) {
        let w = r.width, h = r.height, s = r.minSide
        let t2 = rng.chance(0.45)
        let gm: Float = t2 ? 135 : 105, wm: Float = t2 ? 90 : 160, csf: Float = t2 ? 235 : 28
        let cx = Float(w) / 2 + rng.float(-0.03, 0.03) * Float(w), cy = Float(h) / 2 + rng.float(-0.03, 0.03) * Float(h)
        let rx = s * rng.float(0.32, 0.38), ry = rx * rng.float(1.15, 1.3)
        r.ellipse(cx: cx, cy: cy, rx: rx * 1.1, ry: ry * 1.08, color: [t2 ? 150 : 215], soft: 1.5)  // scalp fat
        r.ellipse(cx: cx, cy: cy, rx: rx * 1.05, ry: ry * 1.04, color: [12], soft: 1.5)  // skull (no signal)
        r.ellipse(cx: cx, cy: cy, rx: rx * 1.01, ry: ry * 1.01, color: [csf], soft: 1.5)
        // Folded cortex: ridged fractal noise decides grey vs white matter, denser towards the rim.
        let folds = Texture.ridged(
            Texture.fractal(width: w, height: h, cell: s * rng.float(0.05, 0.08), octaves: 3, rng: &rng), power: 3)
        let invRx = 1 / rx, invRy = 1 / ry
        r.data.withUnsafeMutableBufferPointer { p in
            folds.withUnsafeBufferPointer { f in
                for y in 0..<h {
                    let v = (Float(y) + 0.5 - cy) * invRy
                    for x in 0..<w {
                        let u = (Float(x) + 0.5 - cx) * invRx
                        let d2 = u * u + v * v
                        if d2 >= 1 { continue }
                        let i = y * w + x
                        let rim = min(1, max(0, (d2 - 0.25) / 0.55))
                        let fold = f[i]
                        var val = wm + (gm - wm) * min(1, rim * 0.8 + fold * rim)
                        if fold > 0.72 && rim > 0.5 { val += (csf - val) * (fold - 0.72) * 3 * rim }
                        let edge = min(1, max(0, (1 - d2.squareRoot()) * rx * 0.7))
                        p[i] += (val - p[i]) * edge
                    }
                }
            }
        }
        for side: Float in [-1, 1] {
            r.ellipse(
                cx: cx + side * rx * 0.13, cy: cy - ry * 0.08, rx: rx * rng.float(0.06, 0.1),
                ry: ry * rng.float(0.2, 0.3),
                angle: side * rng.float(0.15, 0.4), color: [csf], soft: 1.5)
            r.ellipse(
                cx: cx + side * rx * 0.3, cy: cy + ry * 0.25, rx: rx * 0.04, ry: ry * 0.09, angle: -side * 0.6,
                color: [csf], opacity: 0.8, soft: 1.5)
        }
        r.stroke([(cx, cy - ry), (cx, cy - ry * 0.32)], thickness: max(1.5, s * 0.006), color: [csf], opacity: 0.8)
        r.stroke([(cx, cy + ry * 0.35), (cx, cy + ry)], thickness: max(1.5, s * 0.006), color: [csf], opacity: 0.8)
        if rng.chance(0.5) {
            let a = rng.float(0, 2 * .pi), d = rng.float(0.2, 0.6)
            r.ellipse(
                cx: cx + cosf(a) * rx * d, cy: cy + sinf(a) * ry * d, rx: rx * rng.float(0.06, 0.16),
                ry: rx * rng.float(0.06, 0.14),
                color: [t2 ? 220 : 60], soft: 3)
        }
    }

    /// A sagittal joint/spine-like view: stacked rounded bone blocks with marrow signal in soft tissue.
    private static func joint(_ r: inout Raster, rng: inout SynthRandom) {
        let w = r.width, h = r.height, s = r.minSide
        let cx = Float(w) / 2
        let tissue = Texture.fractal(width: w, height: h, cell: s * 0.1, octaves: 3, rng: &rng)
        r.ellipse(
            cx: cx, cy: Float(h) / 2, rx: Float(w) * 0.42, ry: Float(h) * 0.55, color: [rng.float(90, 120)], soft: 4)
        r.mix(toward: [150], weights: tissue, scale: 0.5)
        let n = rng.int(4...6)
        let bh = Float(h) / Float(n + 1)
        for i in 0..<n {
            let by = bh * (Float(i) + 1)
            let bx = cx + rng.float(-0.03, 0.03) * Float(w)
            r.ellipse(cx: bx, cy: by, rx: s * 0.14, ry: bh * 0.38, color: [20], soft: 1.5)  // cortex (dark)
            r.ellipse(cx: bx, cy: by, rx: s * 0.125, ry: bh * 0.33, color: [rng.float(150, 200)], soft: 2)  // marrow
            // disc
            r.ellipse(cx: bx, cy: by + bh * 0.5, rx: s * 0.12, ry: bh * 0.08, color: [rng.float(60, 200)], soft: 2)
        }
        r.stroke(
            [(cx + s * 0.2, 0), (cx + s * 0.22, Float(h))], thickness: s * 0.05, color: [rng.float(170, 230)],
            opacity: 0.8, soft: 3)
    }
}
