/// Resizing and cropping of rasters, used for the hard (off-centre crop) variants and near duplicates.
enum Geometry {
    /// Separable resize with a triangle filter widened by the scale factor when shrinking (antialiased
    /// bilinear). O(w·h·c·support).
    static func resize(_ src: Raster, width: Int, height: Int) -> Raster {
        let horizontal = resample1D(src, newLength: width, horizontal: true)
        return resample1D(horizontal, newLength: height, horizontal: false)
    }

    private static func resample1D(_ src: Raster, newLength: Int, horizontal: Bool) -> Raster {
        let oldLength = horizontal ? src.width : src.height
        if oldLength == newLength { return src }
        let ch = src.channels
        let outW = horizontal ? newLength : src.width, outH = horizontal ? src.height : newLength
        var out = Raster(width: outW, height: outH, channels: ch)
        let scale = Float(oldLength) / Float(newLength)
        let support = max(1, scale)
        // Precompute taps per output position.
        var starts = [Int](repeating: 0, count: newLength)
        var weights: [[Float]] = []
        weights.reserveCapacity(newLength)
        for o in 0..<newLength {
            let center = (Float(o) + 0.5) * scale
            let lo = max(0, Int((center - support).rounded(.down))),
                hi = min(oldLength - 1, Int((center + support).rounded(.up)))
            var ws: [Float] = []
            var total: Float = 0
            for i in lo...max(lo, hi) {
                let wv = max(0, 1 - abs((Float(i) + 0.5 - center) / support))
                ws.append(wv); total += wv
            }
            if total <= 0 { ws = [1] + [Float](repeating: 0, count: ws.count - 1); total = 1 }
            starts[o] = lo
            weights.append(ws.map { $0 / total })
        }
        let lines = horizontal ? src.height : src.width
        src.data.withUnsafeBufferPointer { s in
            out.data.withUnsafeMutableBufferPointer { d in
                for line in 0..<lines {
                    for o in 0..<newLength {
                        let ws = weights[o], st = starts[o]
                        for c in 0..<ch {
                            var acc: Float = 0
                            for (k, wv) in ws.enumerated() {
                                let i = st + k
                                let idx =
                                    horizontal ? ((line * src.width + i) * ch + c) : ((i * src.width + line) * ch + c)
                                acc += s[idx] * wv
                            }
                            let oidx = horizontal ? ((line * outW + o) * ch + c) : ((o * outW + line) * ch + c)
                            d[oidx] = acc
                        }
                    }
                }
            }
        }
        return out
    }

    /// The sub-rectangle [x, x+w) × [y, y+h), clamped to the raster.
    static func crop(_ src: Raster, x: Int, y: Int, width: Int, height: Int) -> Raster {
        let x0 = max(0, min(src.width - 1, x)), y0 = max(0, min(src.height - 1, y))
        let w = max(1, min(width, src.width - x0)), h = max(1, min(height, src.height - y0))
        let ch = src.channels
        var out = Raster(width: w, height: h, channels: ch)
        for row in 0..<h {
            let from = ((y0 + row) * src.width + x0) * ch
            out.data.replaceSubrange(row * w * ch..<(row + 1) * w * ch, with: src.data[from..<(from + w * ch)])
        }
        return out
    }

    /// Widens a grayscale raster to three identical channels (grayscale saved as RGB).
    static func toRGB(_ src: Raster) -> Raster {
        guard src.channels == 1 else { return src }
        var out = Raster(width: src.width, height: src.height, channels: 3)
        for i in 0..<(src.width * src.height) {
            let v = src.data[i]
            out.data[3 * i] = v; out.data[3 * i + 1] = v; out.data[3 * i + 2] = v
        }
        return out
    }

    /// A raster from 8-bit interleaved pixels.
    static func raster(from pixels: [UInt8], width: Int, height: Int, channels: Int) -> Raster {
        Raster(width: width, height: height, channels: channels, data: pixels.map { Float($0) })
    }
}

/// The "hard" treatments that make image-only classification imperfect.
enum Hardening: String, CaseIterable, Sendable {
    case lowContrast, heavyNoise, offCentreCrop, blur

    /// Removes colour, keeping three channels (a stained slide or endoscope frame printed in grey), so colour
    /// alone does not give the class away on hard figures. O(w·h).
    static func desaturate(_ r: inout Raster) {
        guard r.channels == 3 else { return }
        for i in 0..<(r.width * r.height) {
            let y = 0.299 * r.data[3 * i] + 0.587 * r.data[3 * i + 1] + 0.114 * r.data[3 * i + 2]
            r.data[3 * i] = y; r.data[3 * i + 1] = y; r.data[3 * i + 2] = y
        }
    }

    /// Applies this treatment; the raster keeps its size. O(w·h·c).
    func apply(to r: inout Raster, rng: inout SynthRandom) {
        switch self {
        case .lowContrast:
            var mean: Float = 0
            for v in r.data { mean += v }
            mean /= Float(r.data.count)
            r.contrast(center: mean, gain: rng.float(0.06, 0.14), offset: rng.float(-20, 30))
        case .heavyNoise:
            r.addNoise(sigma: rng.float(60, 95), rng: &rng, perChannel: r.channels == 3 && rng.chance(0.5))
        case .offCentreCrop:
            let f = rng.float(0.12, 0.25)
            let cw = max(16, Int(Float(r.width) * f)), chh = max(16, Int(Float(r.height) * f))
            let x = rng.int(0...(r.width - cw)), y = rng.int(0...(r.height - chh))
            let c = Geometry.crop(r, x: x, y: y, width: cw, height: chh)
            r = Geometry.resize(c, width: r.width, height: r.height)
        case .blur:
            r.boxBlur(radius: max(5, Int(r.minSide * rng.float(0.04, 0.08))), passes: 2)
        }
    }
}
