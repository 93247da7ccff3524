import Foundation

/// Projection radiographs: mostly a tall chest field (dark lungs, bright mediastinum and heart,
/// rib arcs, clavicles, diaphragm domes), sometimes a limb with long bones. Bright = attenuating.
/// O(w·h + ribs·length).
enum XRayPainter {
    static func paint(width w: Int, height h: Int, rng: inout SynthRandom) -> Raster {
        var r = Raster(width: w, height: h, channels: 1, fill: rng.float(5, 25))
        if rng.chance(0.78) { chest(&r, rng: &rng) } else { limb(&r, rng: &rng) }
        r.boxBlur(radius: max(1, Int(r.minSide / 300)), passes: 2)
        r.addNoise(sigma: rng.float(3, 7), rng: &rng)
        r.contrast(center: 110, gain: rng.float(0.85, 1.15), offset: rng.float(-12, 12))
        return r
    }

    private static func chest(_ r: inout Raster, rng: inout SynthRandom) {
        let W = Float(r.width), H = Float(r.height)
        let cx = W / 2 + rng.float(-0.03, 0.03) * W
        // Soft-tissue torso with shoulders; outside stays dark.
        r.ellipse(
            cx: cx, cy: H * 0.62, rx: W * rng.float(0.46, 0.52), ry: H * 0.62, color: [rng.float(140, 165)], soft: 8)
        r.ellipse(cx: cx, cy: H * 0.1, rx: W * 0.58, ry: H * 0.12, color: [150], opacity: 0.8, soft: 10)
        let lungTop = H * rng.float(0.14, 0.2), lungBottom = H * rng.float(0.72, 0.8)
        let lry = (lungBottom - lungTop) / 2, lcy = (lungTop + lungBottom) / 2
        for side: Float in [-1, 1] {
            let lx = cx + side * W * rng.float(0.19, 0.23)
            r.ellipse(
                cx: lx, cy: lcy, rx: W * rng.float(0.15, 0.19), ry: lry, angle: side * 0.06, color: [rng.float(35, 60)],
                soft: 6)
        }
        // Lung markings.
        var tex = rng
        let marks = Texture.fractal(width: r.width, height: r.height, cell: r.minSide * 0.04, octaves: 2, rng: &tex)
        rng = tex
        r.modulate(by: marks, amount: 0.25)
        // Mediastinum, spine shadow and heart (to the image right).
        r.ellipse(cx: cx, cy: lcy, rx: W * 0.075, ry: lry * 1.05, color: [rng.float(185, 210)], soft: 5)
        r.ellipse(
            cx: cx + W * rng.float(0.05, 0.1), cy: lcy + lry * 0.45, rx: W * rng.float(0.14, 0.2), ry: lry * 0.42,
            angle: -0.35,
            color: [rng.float(180, 205)], soft: 6)
        r.stroke([(cx, 0), (cx, H)], thickness: W * 0.05, color: [30], opacity: 0.5, soft: 4, blend: .add)
        // Diaphragm and abdomen below the lungs.
        for side: Float in [-1, 1] {
            r.ellipse(
                cx: cx + side * W * 0.2, cy: lungBottom + H * 0.12, rx: W * 0.2, ry: H * 0.14, color: [175], soft: 5)
        }
        // Posterior ribs: arcs from the spine outwards and down, 9–11 per side.
        let ribs = rng.int(9...11)
        let step = (lungBottom - lungTop) / Float(ribs)
        for side: Float in [-1, 1] {
            for i in 0..<ribs {
                let y0 = lungTop + step * (Float(i) - 0.3)
                let pts = Raster.arc(
                    cx: cx + side * W * 0.04, cy: y0 + step * 1.6, rx: W * 0.34, ry: step * 1.9,
                    from: side < 0 ? -Float.pi / 2 : -Float.pi / 2, to: side < 0 ? -Float.pi * 0.98 : -Float.pi * 0.02,
                    steps: 20)
                r.stroke(
                    pts, thickness: step * rng.float(0.28, 0.38), color: [rng.float(38, 55)], opacity: 0.9, soft: 2,
                    blend: .add)
            }
            // Clavicle.
            r.stroke(
                [
                    (cx + side * W * 0.05, lungTop - H * 0.01), (cx + side * W * 0.2, lungTop - H * 0.05),
                    (cx + side * W * 0.4, lungTop - H * 0.07)
                ],
                thickness: H * 0.018, color: [70], soft: 2, blend: .add)
        }
        if rng.chance(0.4) {
            let side: Float = rng.chance(0.5) ? -1 : 1
            r.ellipse(
                cx: cx + side * W * 0.22, cy: lcy + lry * rng.float(0.1, 0.6), rx: W * rng.float(0.05, 0.12),
                ry: H * rng.float(0.04, 0.1),
                color: [rng.float(60, 90)], opacity: 0.7, soft: 10, blend: .add)
        }
    }

    private static func limb(_ r: inout Raster, rng: inout SynthRandom) {
        let W = Float(r.width), H = Float(r.height)
        let x0 = W * rng.float(0.4, 0.6), tilt = W * rng.float(-0.12, 0.12)
        r.stroke(
            [(x0 - tilt, -5), (x0 + tilt, H + 5)], thickness: W * rng.float(0.45, 0.6), color: [rng.float(95, 125)],
            soft: 12)
        let jointY = H * rng.float(0.4, 0.6)
        let bones = rng.int(1...2)
        for b in 0..<bones {
            let off = bones == 1 ? 0 : (Float(b) - 0.5) * W * 0.14
            let thick = W * (bones == 1 ? 0.16 : 0.1)
            let top = [(x0 - tilt + off, -5), (x0 + off, jointY - H * 0.015)]
            let bottom = [(x0 + off, jointY + H * 0.015), (x0 + tilt + off, H + 5)]
            for seg in [top, bottom] {
                r.stroke(seg, thickness: thick, color: [rng.float(205, 235)], soft: 2)
                r.stroke(seg, thickness: thick * 0.45, color: [rng.float(160, 185)], soft: 3)
            }
            r.ellipse(cx: x0 + off, cy: jointY - H * 0.03, rx: thick * 0.75, ry: H * 0.04, color: [215], soft: 2)
            r.ellipse(cx: x0 + off, cy: jointY + H * 0.03, rx: thick * 0.75, ry: H * 0.04, color: [215], soft: 2)
        }
    }
}
