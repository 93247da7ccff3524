import Foundation

/// A floating-point drawing surface: `channels` (1 or 3) interleaved values per pixel, nominally 0…255.
///
/// Every primitive touches only the bounding box of what it draws, so a shape costs O(its area) and a
/// full-frame operation O(width × height × channels). Painters draw in floats; `quantized()` rounds and
/// clamps once at the end.
struct Raster: Sendable {
    let width: Int
    let height: Int
    let channels: Int
    var data: [Float]

    init(width: Int, height: Int, channels: Int, fill: Float = 0) {
        precondition(width > 0 && height > 0 && (channels == 1 || channels == 3))
        self.width = width; self.height = height; self.channels = channels
        data = [Float](repeating: fill, count: width * height * channels)
    }

    init(width: Int, height: Int, channels: Int, data: [Float]) {
        precondition(data.count == width * height * channels)
        self.width = width; self.height = height; self.channels = channels; self.data = data
    }

    var minSide: Float { Float(min(width, height)) }

    /// How a shape's colour combines with what is already there, weighted by the shape's coverage.
    enum Blend: Sendable {
        case mix, add, multiply

        /// Blends `col` into the `ch` channels at `px` with coverage `a`; `.add` adds `addScale`·`a`·col.
        @inline(__always)
        func apply(_ px: UnsafeMutablePointer<Float>, _ col: [Float], _ ch: Int, _ a: Float, addScale: Float = 1) {
            for c in 0..<ch {
                let old = px[c]
                switch self {
                case .mix: px[c] = old + (col[c] - old) * a
                case .add: px[c] = old + col[c] * a * addScale
                case .multiply: px[c] = old * (1 + (col[c] - 1) * a)
                }
            }
        }
    }

    /// Fills a (rotated) ellipse with an anti-aliased edge `soft` pixels wide.
    /// `color` has `channels` entries (or one, used for every channel). O(rx·ry).
    mutating func ellipse(
        cx: Float, cy: Float, rx: Float, ry: Float, angle: Float = 0, color: [Float],
        opacity: Float = 1, soft: Float = 1.0, blend: Blend = .mix
    ) {
        guard rx > 0.2, ry > 0.2 else { return }
        let reach = max(rx, ry) + soft + 1
        let x0 = max(0, Int(cx - reach)), x1 = min(width - 1, Int(cx + reach))
        let y0 = max(0, Int(cy - reach)), y1 = min(height - 1, Int(cy + reach))
        guard x0 <= x1, y0 <= y1 else { return }
        let ca = cosf(angle), sa = sinf(angle)
        let inner = min(rx, ry)
        let invSoft = 1 / max(soft, 0.3)
        let col = expand(color)
        let ch = channels, w = width
        data.withUnsafeMutableBufferPointer { p in
            for y in y0...y1 {
                let dy = Float(y) + 0.5 - cy
                for x in x0...x1 {
                    let dx = Float(x) + 0.5 - cx
                    let u = (dx * ca + dy * sa) / rx
                    let v = (-dx * sa + dy * ca) / ry
                    let d = (u * u + v * v).squareRoot()
                    let a = min(1, max(0, (1 - d) * inner * invSoft + 0.5)) * opacity
                    if a <= 0 { continue }
                    blend.apply(p.baseAddress! + (y * w + x) * ch, col, ch, a)
                }
            }
        }
    }

    /// Strokes a polyline as round-capped segments `thickness` pixels wide. O(length × thickness).
    mutating func stroke(
        _ points: [(Float, Float)], thickness: Float, color: [Float], opacity: Float = 1,
        soft: Float = 1, blend: Blend = .mix
    ) {
        guard points.count >= 2 else { return }
        let col = expand(color)
        let half = thickness / 2
        let invSoft = 1 / max(soft, 0.3)
        let ch = channels, w = width, h = height
        data.withUnsafeMutableBufferPointer { p in
            for i in 0..<(points.count - 1) {
                let (ax, ay) = points[i], (bx, by) = points[i + 1]
                let reach = half + soft + 1
                let x0 = max(0, Int(min(ax, bx) - reach)), x1 = min(w - 1, Int(max(ax, bx) + reach))
                let y0 = max(0, Int(min(ay, by) - reach)), y1 = min(h - 1, Int(max(ay, by) + reach))
                guard x0 <= x1, y0 <= y1 else { continue }
                let ex = bx - ax, ey = by - ay
                let len2 = max(ex * ex + ey * ey, 1e-6)
                for y in y0...y1 {
                    let py = Float(y) + 0.5
                    for x in x0...x1 {
                        let px = Float(x) + 0.5
                        let t = min(1, max(0, ((px - ax) * ex + (py - ay) * ey) / len2))
                        let qx = ax + t * ex - px, qy = ay + t * ey - py
                        let d = (qx * qx + qy * qy).squareRoot()
                        let a = min(1, max(0, (half - d) * invSoft + 0.5)) * opacity
                        if a <= 0 { continue }
                        // Segments of one polyline overlap at joints: adding half keeps joints even.
                        blend.apply(p.baseAddress! + (y * w + x) * ch, col, ch, a, addScale: 0.5)
                    }
                }
            }
        }
    }

    /// Points along an elliptical arc from angle `a0` to `a1` (radians), for `stroke`.
    static func arc(cx: Float, cy: Float, rx: Float, ry: Float, from a0: Float, to a1: Float, steps: Int = 24) -> [(
        Float, Float
    )] {
        (0...steps).map { i in
            let t = a0 + (a1 - a0) * Float(i) / Float(steps)
            return (cx + rx * cosf(t), cy + ry * sinf(t))
        }
    }

    /// Applies `f(x, y, value, channel)` to every sample. O(w·h·c).
    mutating func apply(_ f: (Int, Int, Float, Int) -> Float) {
        let ch = channels, w = width
        data.withUnsafeMutableBufferPointer { p in
            for y in 0..<height {
                for x in 0..<w {
                    let base = (y * w + x) * ch
                    for c in 0..<ch { p[base + c] = f(x, y, p[base + c], c) }
                }
            }
        }
    }

    /// Blends towards `color` with a per-pixel weight field (`field.count == width*height`).
    mutating func mix(toward color: [Float], weights field: [Float], scale: Float = 1) {
        let col = expand(color)
        let ch = channels
        data.withUnsafeMutableBufferPointer { p in
            field.withUnsafeBufferPointer { f in
                for i in 0..<f.count {
                    let a = min(1, max(0, f[i] * scale))
                    for c in 0..<ch { p[i * ch + c] += (col[c] - p[i * ch + c]) * a }
                }
            }
        }
    }

    /// Multiplies every pixel by `1 + amount·(field−0.5)` (texture modulation).
    mutating func modulate(by field: [Float], amount: Float) {
        let ch = channels
        data.withUnsafeMutableBufferPointer { p in
            field.withUnsafeBufferPointer { f in
                for i in 0..<f.count {
                    let m = 1 + amount * (f[i] - 0.5)
                    for c in 0..<ch { p[i * ch + c] *= m }
                }
            }
        }
    }

    /// Adds zero-mean noise of standard deviation `sigma` (independent per sample, or shared across
    /// channels when `perChannel` is false). O(w·h·c).
    mutating func addNoise(sigma: Float, rng: inout SynthRandom, perChannel: Bool = false) {
        let ch = channels
        let n = width * height
        data.withUnsafeMutableBufferPointer { p in
            for i in 0..<n {
                if perChannel || ch == 1 {
                    for c in 0..<ch { p[i * ch + c] += sigma * rng.gaussian() }
                } else {
                    let g = sigma * rng.gaussian()
                    for c in 0..<ch { p[i * ch + c] += g }
                }
            }
        }
    }

    /// Separable box blur of radius `r` (window 2r+1), edges clamped; two passes approximate a Gaussian.
    /// O(w·h·c) per pass whatever `r`.
    mutating func boxBlur(radius r: Int, passes: Int = 1) {
        guard r > 0 else { return }
        for _ in 0..<passes {
            blurPass(horizontal: true, r: r)
            blurPass(horizontal: false, r: r)
        }
    }

    private mutating func blurPass(horizontal: Bool, r: Int) {
        let ch = channels, w = width, h = height
        let lines = horizontal ? h : w, len = horizontal ? w : h
        let stride = horizontal ? ch : w * ch
        let lineStep = horizontal ? w * ch : ch
        var tmp = [Float](repeating: 0, count: len)
        let inv = 1 / Float(2 * r + 1)
        data.withUnsafeMutableBufferPointer { p in
            tmp.withUnsafeMutableBufferPointer { t in
                for line in 0..<lines {
                    for c in 0..<ch {
                        let start = line * lineStep + c
                        @inline(__always) func at(_ i: Int) -> Float { p[start + min(len - 1, max(0, i)) * stride] }
                        var acc: Float = 0
                        for i in -r...r { acc += at(i) }
                        for i in 0..<len {
                            t[i] = acc * inv
                            acc += at(i + r + 1) - at(i - r)
                        }
                        for i in 0..<len { p[start + i * stride] = t[i] }
                    }
                }
            }
        }
    }

    /// Linear contrast around `center`: v' = center + (v − center)·gain + offset.
    mutating func contrast(center: Float, gain: Float, offset: Float = 0) {
        data.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { p[i] = center + (p[i] - center) * gain + offset }
        }
    }

    /// A CT-style window: maps [level − width/2, level + width/2] to [0, 255], clamping outside.
    mutating func window(level: Float, width wnd: Float) {
        let lo = level - wnd / 2, k = 255 / wnd
        data.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { p[i] = min(255, max(0, (p[i] - lo) * k)) }
        }
    }

    /// Rounds and clamps to 8 bits. O(w·h·c).
    func quantized() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: data.count)
        data.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                for i in 0..<p.count { o[i] = UInt8(min(255, max(0, p[i] + 0.5))) }
            }
        }
        return out
    }

    /// A colour given as one value or one per channel, widened to `channels` entries.
    func expand(_ color: [Float]) -> [Float] {
        if color.count == channels { return color }
        if channels == 1 {
            return [color.count == 3 ? 0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2] : color[0]]
        }
        return [color[0], color[0], color[0]]
    }
}

extension Raster {
    /// Fills an axis-aligned rectangle (clipped to the raster). O(its area).
    mutating func rect(_ x0: Float, _ y0: Float, _ x1: Float, _ y1: Float, color: [Float], opacity: Float = 1) {
        let xa = max(0, Int(min(x0, x1))), xb = min(width - 1, Int(max(x0, x1)))
        let ya = max(0, Int(min(y0, y1))), yb = min(height - 1, Int(max(y0, y1)))
        guard xa <= xb, ya <= yb else { return }
        let col = expand(color), ch = channels, w = width
        data.withUnsafeMutableBufferPointer { p in
            for y in ya...yb {
                for x in xa...xb {
                    let base = (y * w + x) * ch
                    for c in 0..<ch { p[base + c] += (col[c] - p[base + c]) * opacity }
                }
            }
        }
    }
}
