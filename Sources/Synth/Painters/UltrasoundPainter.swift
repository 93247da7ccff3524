import Foundation

/// B-mode ultrasound: a fan (sector) or rectangle (linear probe) on black, Rayleigh-like speckle elongated
/// laterally, depth bands and depth-gain falloff, an anechoic cyst with posterior enhancement, depth marks;
/// sometimes a colour-Doppler box (the result is then RGB). O(w·h).
enum UltrasoundPainter {
    static func paint(width w: Int, height h: Int, rng: inout SynthRandom) -> Raster {
        let W = Float(w), H = Float(h)
        let sector = rng.chance(0.75)
        let apexX = W / 2 + rng.float(-0.03, 0.03) * W, apexY = H * rng.float(0.02, 0.07)
        let half = rng.float(0.55, 0.78), r0 = H * rng.float(0.04, 0.1), r1 = H * rng.float(0.86, 0.95)
        let lx0 = W * rng.float(0.12, 0.2), lx1 = W - W * rng.float(0.12, 0.2), ly0 = H * 0.06, ly1 = H * 0.94
        // Echo map: depth bands + blobs from smooth noise, then speckle.
        let bands = Texture.fractal(width: w, height: h, cell: H * rng.float(0.08, 0.16), octaves: 3, rng: &rng)
        var sp1 = Raster(width: w, height: h, channels: 1), sp2 = Raster(width: w, height: h, channels: 1)
        sp1.addNoise(sigma: 1, rng: &rng); sp2.addNoise(sigma: 1, rng: &rng)
        let grain = max(1, Int(Float(min(w, h)) / 260))
        sp1.boxBlur(radius: grain); sp2.boxBlur(radius: grain)
        var img = Raster(width: w, height: h, channels: 1, fill: 0)
        let cystA = rng.float(-0.5, 0.5) * half, cystD = rng.float(0.35, 0.7)
        let cystR = H * rng.float(0.05, 0.13)
        let hasCyst = rng.chance(0.8)
        let cyx = sector ? apexX + sinf(cystA) * (r0 + (r1 - r0) * cystD) : lx0 + (lx1 - lx0) * (0.5 + cystA)
        let cyy = sector ? apexY + cosf(cystA) * (r0 + (r1 - r0) * cystD) : ly0 + (ly1 - ly0) * cystD
        let gain = rng.float(150, 230)
        let norm = Float(grain * 2 + 1)
        img.data.withUnsafeMutableBufferPointer { p in
            for y in 0..<h {
                let fy = Float(y) + 0.5
                for x in 0..<w {
                    let fx = Float(x) + 0.5
                    var depth: Float, edge: Float
                    if sector {
                        let dx = fx - apexX, dy = fy - apexY
                        let rr = (dx * dx + dy * dy).squareRoot()
                        let ang = atan2f(dx, dy)
                        depth = (rr - r0) / (r1 - r0)
                        edge = min(min(rr - r0, r1 - rr), (half - abs(ang)) * rr)
                    } else {
                        depth = (fy - ly0) / (ly1 - ly0)
                        edge = min(min(fx - lx0, lx1 - fx), min(fy - ly0, ly1 - fy))
                    }
                    if edge <= -1 { continue }
                    let i = y * w + x
                    let a = sp1.data[i] * norm, b = sp2.data[i] * norm
                    let speckle = (a * a + b * b).squareRoot() * 0.7
                    var echo = 0.35 + 0.9 * bands[i] * bands[i] + 0.25 * sinf(depth * 9 + bands[i] * 4)
                    if hasCyst {
                        let cdx = (fx - cyx) / cystR, cdy = (fy - cyy) / (cystR * 0.75)
                        let cd = cdx * cdx + cdy * cdy
                        if cd < 1 {
                            echo *= 0.04 + 0.1 * cd * cd
                        } else if abs(cdx) < 1 && fy > cyy {
                            echo *= 1 + 0.6 * (1 - abs(cdx)) * max(0, 1 - (fy - cyy) / (H * 0.35))
                        } else if cd < 1.3 {
                            echo *= 1.6
                        }
                    }
                    let tgc = 1.05 - 0.55 * depth
                    let v = gain * echo * speckle * tgc * min(1, max(0, edge + 0.5))
                    p[i] = v
                }
            }
        }
        // Depth marks beside the image and a probe-label bar at the top left.
        let marks = rng.int(4...7)
        for k in 0...marks {
            let y = (sector ? apexY + r0 : ly0) + (sector ? r1 - r0 : ly1 - ly0) * Float(k) / Float(marks)
            img.ellipse(cx: W * 0.93, cy: y, rx: 1.6, ry: 1.6, color: [230], soft: 0.8)
        }
        for k in 0..<rng.int(2...4) {
            img.stroke(
                [(W * 0.03, H * (0.04 + 0.035 * Float(k))), (W * rng.float(0.08, 0.2), H * (0.04 + 0.035 * Float(k)))],
                thickness: max(2, H * 0.012), color: [200], soft: 0.8)
        }
        if rng.chance(0.15) { return doppler(img, cx: cyx, cy: cyy, size: cystR * 2.2, rng: &rng) }
        return img
    }

    /// Colour Doppler: red/blue flow blobs inside a box outline; returns RGB.
    private static func doppler(_ gray: Raster, cx: Float, cy: Float, size: Float, rng: inout SynthRandom) -> Raster {
        var rgb = Raster(width: gray.width, height: gray.height, channels: 3)
        for i in 0..<(gray.width * gray.height) {
            let v = gray.data[i]
            rgb.data[3 * i] = v; rgb.data[3 * i + 1] = v; rgb.data[3 * i + 2] = v
        }
        let x0 = cx - size, x1 = cx + size, y0 = cy - size * 0.8, y1 = cy + size * 0.8
        rgb.stroke(
            [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)], thickness: 1.5, color: [220, 220, 220], soft: 0.8)
        for _ in 0..<rng.int(2...4) {
            let bx = rng.float(x0, x1), by = rng.float(y0, y1)
            let red = rng.chance(0.5)
            rgb.ellipse(
                cx: bx, cy: by, rx: size * rng.float(0.15, 0.4), ry: size * rng.float(0.08, 0.2),
                angle: rng.float(0, 3),
                color: red ? [220, 40, 30] : [40, 90, 230], opacity: 0.85, soft: 3)
            rgb.ellipse(
                cx: bx, cy: by, rx: size * 0.08, ry: size * 0.05, color: red ? [255, 220, 60] : [80, 230, 255],
                opacity: 0.7, soft: 2)
        }
        return rgb
    }
}
