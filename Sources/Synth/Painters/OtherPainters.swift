import Foundation

/// Procedural charts, diagrams, blots, photographs and micrographs for the PMC-like profile.
enum OtherPainters {
    static let palette: [[Float]] = [
        [31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189], [90, 90, 90]
    ]

    /// White canvas with x and y axes, ticks and text-like dashes; returns the plot box.
    private static func axes(_ r: inout Raster, _ rng: inout SynthRandom) -> (
        x0: Float, y0: Float, x1: Float, y1: Float
    ) {
        let W = Float(r.width), H = Float(r.height)
        let x0 = W * rng.float(0.1, 0.16), y1 = H * rng.float(0.84, 0.9), x1 = W * 0.95, y0 = H * 0.07
        r.stroke([(x0, y0), (x0, y1), (x1, y1)], thickness: 2, color: [20])
        for k in 0...5 {
            let y = y1 - (y1 - y0) * Float(k) / 5
            r.stroke([(x0 - 6, y), (x0, y)], thickness: 1.5, color: [20])
            r.stroke([(x0 - W * 0.08, y), (x0 - 10, y)], thickness: 5, color: [70], opacity: 0.7, soft: 1)
        }
        r.stroke(
            [(x0 + (x1 - x0) * 0.3, H * 0.96), (x0 + (x1 - x0) * 0.7, H * 0.96)], thickness: 6, color: [70],
            opacity: 0.7, soft: 1)
        return (x0, y0, x1, y1)
    }

    static func lineChart(_ w: Int, _ h: Int, _ rng: inout SynthRandom) -> Raster {
        var r = Raster(width: w, height: h, channels: 3, fill: 255)
        let b = axes(&r, &rng)
        let series = rng.int(2...4), steps = rng.int(6...24)
        let stepwise = rng.chance(0.35)
        for s in 0..<series {
            var v = rng.float(0.5, 0.95)
            var pts: [(Float, Float)] = []
            for k in 0...steps {
                let x = b.x0 + (b.x1 - b.x0) * Float(k) / Float(steps)
                let y = b.y1 - (b.y1 - b.y0) * v
                if stepwise, let last = pts.last { pts.append((x, last.1)) }
                pts.append((x, y))
                v = max(0.02, min(1, v + (stepwise ? -rng.float(0, 0.08) : rng.float(-0.12, 0.1))))
            }
            let col = palette[s % palette.count]
            r.stroke(pts, thickness: rng.float(1.5, 3), color: col)
            if !stepwise { for p in pts { r.ellipse(cx: p.0, cy: p.1, rx: 3, ry: 3, color: col) } }
            let ly = b.y0 + 14 + Float(s) * 16
            r.stroke([(b.x1 - 90, ly), (b.x1 - 70, ly)], thickness: 3, color: col)
            r.stroke([(b.x1 - 62, ly), (b.x1 - 20, ly)], thickness: 5, color: [70], opacity: 0.7, soft: 1)
        }
        return r
    }

    static func barChart(_ w: Int, _ h: Int, _ rng: inout SynthRandom) -> Raster {
        var r = Raster(width: w, height: h, channels: 3, fill: 255)
        let b = axes(&r, &rng)
        let groups = rng.int(2...6), per = rng.int(1...3)
        let slot = (b.x1 - b.x0) / Float(groups)
        let bw = slot * 0.7 / Float(per)
        for g in 0..<groups {
            for k in 0..<per {
                let v = rng.float(0.15, 0.9)
                let x = b.x0 + slot * Float(g) + slot * 0.15 + bw * Float(k)
                let top = b.y1 - (b.y1 - b.y0) * v
                r.rect(x, top, x + bw * 0.9, b.y1 - 1, color: palette[k % palette.count])
                let err = (b.y1 - b.y0) * rng.float(0.02, 0.08), cx = x + bw * 0.45
                r.stroke([(cx, top - err), (cx, top + err)], thickness: 1.5, color: [20])
                r.stroke([(cx - bw * 0.2, top - err), (cx + bw * 0.2, top - err)], thickness: 1.5, color: [20])
            }
        }
        return r
    }

    static func diagram(_ w: Int, _ h: Int, _ rng: inout SynthRandom) -> Raster {
        var r = Raster(width: w, height: h, channels: 3, fill: 255)
        let W = Float(w), H = Float(h)
        let rows = rng.int(2...4), cols = rng.int(1...3)
        var centres: [(Float, Float)] = []
        let fill = palette[rng.int(0...4)].map { 255 - (255 - $0) * 0.3 }
        for i in 0..<rows {
            for j in 0..<cols {
                let cx = W * (Float(j) + 0.5) / Float(cols), cy = H * (Float(i) + 0.5) / Float(rows)
                let bw = W / Float(cols) * rng.float(0.5, 0.75), bh = H / Float(rows) * rng.float(0.35, 0.55)
                r.rect(cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2, color: fill)
                r.stroke(
                    [
                        (cx - bw / 2, cy - bh / 2), (cx + bw / 2, cy - bh / 2), (cx + bw / 2, cy + bh / 2),
                        (cx - bw / 2, cy + bh / 2),
                        (cx - bw / 2, cy - bh / 2)
                    ], thickness: 2, color: [30])
                for l in 0..<rng.int(1...2) {
                    let y = cy - 6 + Float(l) * 12
                    r.stroke(
                        [(cx - bw * 0.35, y), (cx - bw * 0.35 + bw * rng.float(0.3, 0.7), y)], thickness: 5,
                        color: [50], opacity: 0.75, soft: 1)
                }
                centres.append((cx, cy + bh / 2))
            }
        }
        for i in 0..<(centres.count - 1) where rng.chance(0.8) {
            let a = centres[i], b = centres[i + 1]
            let end = (b.0, b.1 - H / Float(rows) * 0.5)
            r.stroke([a, end], thickness: 2, color: [30])
            r.stroke([(end.0 - 6, end.1 - 8), end, (end.0 + 6, end.1 - 8)], thickness: 2, color: [30])
        }
        return r
    }

    static func blot(_ w: Int, _ h: Int, _ rng: inout SynthRandom) -> Raster {
        let background = rng.float(200, 235)
        var r = Raster(width: w, height: h, channels: 1, fill: background)
        let lanes = rng.int(4...12), rows = rng.int(1...4)
        let W = Float(w), H = Float(h)
        for row in 0..<rows {
            let y = H * (Float(row) + 0.5) / Float(rows) + rng.float(-4, 4)
            for l in 0..<lanes {
                let x = W * (Float(l) + 0.5) / Float(lanes)
                let strength = rng.float(0.1, 1)
                r.ellipse(
                    cx: x, cy: y, rx: W / Float(lanes) * 0.38, ry: H / Float(rows) * rng.float(0.05, 0.12),
                    color: [background * (1 - 0.85 * strength)], soft: 4)
            }
        }
        r.boxBlur(radius: 1)
        r.addNoise(sigma: 4, rng: &rng)
        return r
    }

    static func photograph(_ w: Int, _ h: Int, _ rng: inout SynthRandom) -> Raster {
        var r = Raster(width: w, height: h, channels: 3)
        let skin: [Float] = [rng.float(170, 230), rng.float(120, 170), rng.float(95, 140)]
        let drape: [Float] = [rng.float(40, 90), rng.float(110, 160), rng.float(120, 170)]
        let base = rng.chance(0.5) ? skin : drape
        for i in 0..<(w * h) { for c in 0..<3 { r.data[3 * i + c] = base[c] } }
        let tex = Texture.fractal(width: w, height: h, cell: r.minSide * rng.float(0.1, 0.3), octaves: 3, rng: &rng)
        r.modulate(by: tex, amount: 0.35)
        let W = Float(w), H = Float(h)
        r.ellipse(
            cx: W * rng.float(0.3, 0.7), cy: H * rng.float(0.3, 0.7), rx: W * rng.float(0.1, 0.3),
            ry: H * rng.float(0.1, 0.3),
            angle: rng.float(0, 3), color: [rng.float(120, 200), rng.float(50, 110), rng.float(50, 100)], opacity: 0.85,
            soft: 8)
        if rng.chance(0.5) {  // a ruler
            let y = H * 0.9
            r.rect(W * 0.05, y - 10, W * 0.6, y + 10, color: [235, 235, 225])
            for k in 0..<20 {
                let x = W * 0.05 + Float(k) * W * 0.0275;
                r.stroke([(x, y - 10), (x, y - (k % 5 == 0 ? 0 : 4))], thickness: 1, color: [20])
            }
        }
        r.addNoise(sigma: 3, rng: &rng, perChannel: true)
        return r
    }

    static func fluorescence(_ w: Int, _ h: Int, _ rng: inout SynthRandom) -> Raster {
        var r = Raster(width: w, height: h, channels: 3, fill: 4)
        let W = Float(w), H = Float(h)
        let green: [Float] = rng.chance(0.5) ? [30, 220, 60] : [230, 40, 40]
        for _ in 0..<rng.int(15...60) {
            let x = rng.float(0, W), y = rng.float(0, H), s = r.minSide * rng.float(0.02, 0.05)
            r.ellipse(
                cx: x, cy: y, rx: s * rng.float(1.5, 3), ry: s * rng.float(1.2, 2.5), angle: rng.float(0, 3),
                color: green.map { $0 * 0.5 },
                soft: s, blend: .add)
            r.ellipse(
                cx: x, cy: y, rx: s, ry: s * rng.float(0.7, 1), angle: rng.float(0, 3), color: [20, 40, 210], soft: 2,
                blend: .add)
        }
        r.boxBlur(radius: 1)
        r.addNoise(sigma: 3, rng: &rng, perChannel: true)
        return r
    }

    static func electron(_ w: Int, _ h: Int, _ rng: inout SynthRandom) -> Raster {
        var r = Raster(width: w, height: h, channels: 1, fill: rng.float(120, 170))
        let tex = Texture.fractal(width: w, height: h, cell: r.minSide * 0.05, octaves: 4, rng: &rng)
        r.modulate(by: tex, amount: 0.4)
        let W = Float(w), H = Float(h)
        for _ in 0..<rng.int(4...14) {
            let cx = rng.float(0, W), cy = rng.float(0, H), rx = r.minSide * rng.float(0.04, 0.14),
                ry = rx * rng.float(0.4, 0.9)
            let a = rng.float(0, 3)
            r.ellipse(cx: cx, cy: cy, rx: rx, ry: ry, angle: a, color: [rng.float(60, 110)], soft: 2)
            r.ellipse(
                cx: cx, cy: cy, rx: rx * 0.85, ry: ry * 0.8, angle: a, color: [rng.float(150, 200)], opacity: 0.8,
                soft: 2)
            for k in 0..<rng.int(2...5) {  // cristae
                let t = Float(k) * 0.4 - 0.8
                r.stroke(
                    [
                        (cx + cosf(a) * rx * t - sinf(a) * ry * 0.6, cy + sinf(a) * rx * t + cosf(a) * ry * 0.6),
                        (cx + cosf(a) * rx * t + sinf(a) * ry * 0.6, cy + sinf(a) * rx * t - cosf(a) * ry * 0.6)
                    ],
                    thickness: 1.5, color: [70], opacity: 0.8)
            }
        }
        r.rect(W * 0.75, H * 0.93, W * 0.93, H * 0.95, color: [0])  // scale bar
        r.addNoise(sigma: 7, rng: &rng)
        return r
    }
}
