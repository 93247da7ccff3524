import Foundation

/// Axial CT slices: dark field, elliptical body cross-section on a curved table, fat rim, bright bone
/// (spine, ribs or skull), organ blobs, quantum noise, then a display window (soft tissue or lung).
/// Drawn in Hounsfield-like units and windowed at the end. O(w·h).
enum CTPainter {
    static func paint(width w: Int, height h: Int, rng: inout SynthRandom) -> Raster {
        var r = Raster(width: w, height: h, channels: 1, fill: -1000)
        let region = rng.weighted([0.55, 0.33, 0.12])  // abdomen, chest, head
        let s = r.minSide
        let cx = Float(w) / 2 + rng.float(-0.04, 0.04) * Float(w)
        let cy = Float(h) / 2 + rng.float(-0.03, 0.05) * Float(h)
        if region == 2 {
            head(&r, cx: cx, cy: cy, s: s, rng: &rng)
        } else {
            let rx = s * rng.float(0.38, 0.46), ry = s * rng.float(0.27, 0.33)
            // Table: a curved bright line under the patient.
            let ty = cy + ry + s * rng.float(0.03, 0.06)
            r.stroke(
                Raster.arc(cx: cx, cy: ty - s * 0.8, rx: s * 1.4, ry: s * 0.8, from: 1.25, to: 1.89),
                thickness: s * 0.012, color: [250])
            r.ellipse(cx: cx, cy: cy, rx: rx, ry: ry, color: [-100], soft: 1.2)  // subcutaneous fat
            let fat = rng.float(0.86, 0.94)
            r.ellipse(cx: cx, cy: cy + ry * 0.02, rx: rx * fat, ry: ry * fat, color: [45], soft: 2)  // muscle wall
            r.ellipse(cx: cx, cy: cy, rx: rx * (fat - 0.05), ry: ry * (fat - 0.07), color: [-60], opacity: 0.7, soft: 3)
            if region == 0 {
                abdomen(&r, cx: cx, cy: cy, rx: rx, ry: ry, rng: &rng)
            } else {
                chest(&r, cx: cx, cy: cy, rx: rx, ry: ry, rng: &rng)
            }
            spine(&r, cx: cx, cy: cy + ry * 0.62, s: s, rng: &rng)
            ribs(&r, cx: cx, cy: cy, rx: rx * 0.9, ry: ry * 0.88, count: region == 1 ? 12 : 7, s: s, rng: &rng)
        }
        r.addNoise(sigma: rng.float(8, 22), rng: &rng)
        r.boxBlur(radius: 1)
        if region == 1 && rng.chance(0.45) {
            r.window(level: -600, width: 1500)
        } else if region == 2 {
            r.window(level: 40, width: rng.float(90, 160))
        } else {
            r.window(level: rng.float(30, 60), width: rng.float(350, 450))
        }
        r.addNoise(sigma: 2, rng: &rng)
        return r
    }

    private static func abdomen(_ r: inout Raster, cx: Float, cy: Float, rx: Float, ry: Float, rng: inout SynthRandom) {
        // Liver on the image left (patient right), spleen opposite, kidneys beside the spine, aorta.
        r.ellipse(
            cx: cx - rx * 0.38, cy: cy - ry * 0.1, rx: rx * rng.float(0.38, 0.5), ry: ry * rng.float(0.5, 0.65),
            angle: rng.float(-0.4, 0.2), color: [rng.float(55, 75)], soft: 2)
        r.ellipse(cx: cx + rx * 0.55, cy: cy + ry * 0.05, rx: rx * 0.17, ry: ry * 0.3, angle: 0.5, color: [50], soft: 2)
        for side: Float in [-1, 1] {
            let kx = cx + side * rx * 0.33, ky = cy + ry * 0.45
            r.ellipse(
                cx: kx, cy: ky, rx: rx * 0.11, ry: ry * 0.2, angle: side * 0.5, color: [rng.float(140, 190)], soft: 1.5)
            r.ellipse(cx: kx + side * rx * 0.02, cy: ky, rx: rx * 0.04, ry: ry * 0.07, color: [20], soft: 1.5)
        }
        r.ellipse(
            cx: cx + rx * 0.06, cy: cy + ry * 0.3, rx: rx * 0.055, ry: rx * 0.055, color: [rng.float(160, 260)], soft: 1
        )
        r.ellipse(cx: cx - rx * 0.1, cy: cy + ry * 0.3, rx: rx * 0.05, ry: rx * 0.07, color: [110], soft: 1)
        // Bowel loops, some holding gas; an occasional lesion.
        for _ in 0..<rng.int(5...11) {
            let a = rng.float(0, 2 * .pi), d = rng.float(0.1, 0.6)
            let bx = cx + cosf(a) * rx * d * 0.9, by = cy - ry * 0.2 + sinf(a) * ry * d * 0.6
            let br = rx * rng.float(0.05, 0.12)
            r.ellipse(
                cx: bx, cy: by, rx: br, ry: br * rng.float(0.6, 1), angle: rng.float(0, 3), color: [rng.float(10, 70)],
                soft: 1.5)
            if rng.chance(0.4) {
                r.ellipse(cx: bx, cy: by - br * 0.3, rx: br * 0.5, ry: br * 0.35, color: [-900], soft: 1)
            }
        }
        if rng.chance(0.5) {
            r.ellipse(
                cx: cx - rx * 0.4, cy: cy - ry * 0.1, rx: rx * rng.float(0.05, 0.12), ry: rx * rng.float(0.05, 0.1),
                color: [rng.chance(0.5) ? 15 : 120], soft: 2)
        }
    }

    private static func chest(_ r: inout Raster, cx: Float, cy: Float, rx: Float, ry: Float, rng: inout SynthRandom) {
        for side: Float in [-1, 1] {
            let lx = cx + side * rx * 0.45, ly = cy - ry * 0.02
            r.ellipse(
                cx: lx, cy: ly, rx: rx * rng.float(0.36, 0.42), ry: ry * rng.float(0.66, 0.76), angle: side * 0.15,
                color: [-860], soft: 2)
            // Vessels and bronchi as small dots fanning out of the hila.
            for _ in 0..<rng.int(14...30) {
                let a = rng.float(0, 2 * .pi), d = rng.float(0.1, 0.8)
                let vr = rx * rng.float(0.008, 0.025) * (1.2 - d)
                r.ellipse(
                    cx: lx + cosf(a) * rx * 0.36 * d, cy: ly + sinf(a) * ry * 0.66 * d, rx: vr, ry: vr,
                    color: [rng.float(-300, 40)], soft: 1)
            }
        }
        r.ellipse(
            cx: cx + rx * 0.1, cy: cy + ry * 0.05, rx: rx * rng.float(0.22, 0.3), ry: ry * rng.float(0.38, 0.48),
            angle: -0.3, color: [rng.float(40, 140)], soft: 2)
        r.ellipse(
            cx: cx - rx * 0.05, cy: cy + ry * 0.35, rx: rx * 0.07, ry: rx * 0.07, color: [rng.float(150, 260)], soft: 1)
        r.ellipse(cx: cx, cy: cy - ry * 0.82, rx: rx * 0.08, ry: ry * 0.06, color: [600], soft: 1)  // sternum
        if rng.chance(0.45) {
            let a = rng.float(0, 2 * .pi)
            let side: Float = rng.chance(0.5) ? -1 : 1
            let nr = rx * rng.float(0.03, 0.08)
            r.ellipse(
                cx: cx + side * rx * 0.45 + cosf(a) * rx * 0.2, cy: cy + sinf(a) * ry * 0.4, rx: nr, ry: nr,
                color: [30], soft: 1.5)
        }
    }

    private static func spine(_ r: inout Raster, cx: Float, cy: Float, s: Float, rng: inout SynthRandom) {
        let vr = s * rng.float(0.055, 0.075)
        r.ellipse(cx: cx, cy: cy - vr * 0.6, rx: vr, ry: vr * 0.85, color: [900], soft: 1)
        r.ellipse(cx: cx, cy: cy - vr * 0.6, rx: vr * 0.78, ry: vr * 0.65, color: [300], soft: 1.5)
        r.ellipse(cx: cx, cy: cy + vr * 0.55, rx: vr * 0.35, ry: vr * 0.3, color: [-20], soft: 1)  // canal
        r.stroke(
            [(cx - vr * 0.9, cy + vr * 0.4), (cx, cy + vr * 1.2), (cx + vr * 0.9, cy + vr * 0.4)], thickness: vr * 0.3,
            color: [800])
        r.stroke([(cx, cy + vr * 1.1), (cx, cy + vr * 1.8)], thickness: vr * 0.3, color: [800])
    }

    private static func ribs(
        _ r: inout Raster, cx: Float, cy: Float, rx: Float, ry: Float, count: Int, s: Float, rng: inout SynthRandom
    ) {
        for i in 0..<count {
            let a = Float.pi * (0.15 + 0.7 * Float(i) / Float(max(1, count - 1))) + (i % 2 == 0 ? 0 : .pi)
            let rr = s * rng.float(0.012, 0.02)
            let px = cx + cosf(a) * rx, py = cy + sinf(a) * ry
            r.ellipse(cx: px, cy: py, rx: rr * 1.8, ry: rr, angle: a + .pi / 2, color: [rng.float(500, 900)], soft: 1)
        }
    }

    private static func head(_ r: inout Raster, cx: Float, cy: Float, s: Float, rng: inout SynthRandom) {
        let rx = s * rng.float(0.34, 0.4), ry = rx * rng.float(1.12, 1.25)
        r.ellipse(cx: cx, cy: cy, rx: rx * 1.04, ry: ry * 1.04, color: [30], soft: 1.5)  // scalp
        r.ellipse(cx: cx, cy: cy, rx: rx, ry: ry, color: [1000], soft: 1)  // calvarium
        let t = rng.float(0.90, 0.94)
        r.ellipse(cx: cx, cy: cy, rx: rx * t, ry: ry * t, color: [36], soft: 1.5)  // brain
        for side: Float in [-1, 1] {
            r.ellipse(
                cx: cx + side * rx * 0.12, cy: cy - ry * 0.05, rx: rx * 0.06, ry: ry * rng.float(0.18, 0.26),
                angle: side * 0.25, color: [4], soft: 1.5)
        }
        r.stroke([(cx, cy - ry * t), (cx, cy - ry * 0.25)], thickness: 2, color: [70], opacity: 0.7)
        if rng.chance(0.5) {
            let a = rng.float(0, 2 * .pi)
            r.ellipse(
                cx: cx + cosf(a) * rx * 0.45, cy: cy + sinf(a) * ry * 0.45, rx: rx * rng.float(0.08, 0.18),
                ry: rx * rng.float(0.06, 0.14),
                color: [rng.chance(0.6) ? 70 : 15], soft: 2)
        }
    }
}
