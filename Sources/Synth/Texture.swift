import Foundation

/// Smooth random fields for organic texture (gyri, stroma, mucosa, speckle envelopes).
enum Texture {
    /// Value noise: uniform random values on a grid of `cell`-pixel squares, smoothstep-interpolated.
    /// Returns `width*height` values in [0, 1]. O(w·h).
    static func value(width: Int, height: Int, cell: Float, rng: inout SynthRandom) -> [Float] {
        let c = max(cell, 1)
        let gw = Int(Float(width) / c) + 3, gh = Int(Float(height) / c) + 3
        var grid = [Float](repeating: 0, count: gw * gh)
        for i in 0..<grid.count { grid[i] = Float(rng.unit()) }
        var out = [Float](repeating: 0, count: width * height)
        let inv = 1 / c
        grid.withUnsafeBufferPointer { g in
            out.withUnsafeMutableBufferPointer { o in
                for y in 0..<height {
                    let fy = Float(y) * inv
                    let iy = Int(fy)
                    var ty = fy - Float(iy)
                    ty = ty * ty * (3 - 2 * ty)
                    let r0 = iy * gw, r1 = (iy + 1) * gw
                    for x in 0..<width {
                        let fx = Float(x) * inv
                        let ix = Int(fx)
                        var tx = fx - Float(ix)
                        tx = tx * tx * (3 - 2 * tx)
                        let a = g[r0 + ix] + (g[r0 + ix + 1] - g[r0 + ix]) * tx
                        let b = g[r1 + ix] + (g[r1 + ix + 1] - g[r1 + ix]) * tx
                        o[y * width + x] = a + (b - a) * ty
                    }
                }
            }
        }
        return out
    }

    /// Fractal (multi-octave) value noise normalised to [0, 1]; each octave halves the cell size.
    /// O(w·h·octaves).
    static func fractal(
        width: Int, height: Int, cell: Float, octaves: Int, rng: inout SynthRandom,
        persistence: Float = 0.5
    ) -> [Float] {
        var sum = [Float](repeating: 0, count: width * height)
        var amp: Float = 1, total: Float = 0, c = cell
        for _ in 0..<max(1, octaves) {
            let layer = value(width: width, height: height, cell: c, rng: &rng)
            sum.withUnsafeMutableBufferPointer { s in
                layer.withUnsafeBufferPointer { l in
                    for i in 0..<s.count { s[i] += amp * l[i] }
                }
            }
            total += amp
            amp *= persistence
            c = max(1, c / 2)
        }
        let inv = 1 / total
        for i in 0..<sum.count { sum[i] *= inv }
        return sum
    }

    /// Ridged transform: 1 − |2v − 1|, sharpened by `power`; turns smooth noise into fold-like lines.
    static func ridged(_ field: [Float], power: Float) -> [Float] {
        field.map { v in
            let r = 1 - abs(2 * v - 1)
            return power == 1 ? r : powf(r, power)
        }
    }
}
