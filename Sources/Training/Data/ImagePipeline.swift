import Foundation
import Imaging
import PairDxCore

/// Decode → resize → augment → normalise for one figure.
///
/// Images are decoded at reduced size where the codec allows (JPEG DCT scaling), squashed to R×R with
/// Imaging's antialiased resampler (the whole figure is kept; aspect is not preserved), grey replicated to
/// three channels, and normalised with ImageNet's mean and standard deviation into planar [3, R, R].
/// Light augmentation (training only): a horizontal flip with probability ½ and a shift of up to R/16 pixels
/// in each direction (edges replicated), drawn from a keyed hash of (seed, epoch, id) so it never depends on
/// thread scheduling.
public enum ImagePipeline {
    public static let mean: [Float] = [0.485, 0.456, 0.406]
    public static let std: [Float] = [0.229, 0.224, 0.225]

    /// Decoded and resized interleaved RGB bytes (R·R·3).
    public static func prepare(_ data: Data, resolution r: Int) throws -> [UInt8] {
        let image: Image
        do { image = try ImageDecoder.decode(data, minSide: r) } catch { throw PairDxError.badInput("\(error)") }
        let resized = Resample.resize(image, width: r, height: r)
        if resized.channels == 3 { return resized.pixels }
        var rgb = [UInt8](repeating: 0, count: r * r * 3)
        for i in 0..<(r * r) {
            let v = resized.pixels[i * resized.channels]; rgb[3 * i] = v; rgb[3 * i + 1] = v; rgb[3 * i + 2] = v
        }
        return rgb
    }

    /// Writes the normalised planar image into `out` (3·R·R floats), augmenting when `augment` holds a key.
    public static func normalise(
        _ rgb: [UInt8], resolution r: Int, augment: (seed: UInt64, epoch: Int, id: String)?,
        into out: UnsafeMutablePointer<Float>
    ) {
        var flip = false, dx = 0, dy = 0
        if let a = augment {
            let h = KeyedHash.value(seed: a.seed, domain: "augment-\(a.epoch)", id: a.id)
            let maxShift = max(0, r / 16)
            flip = h & 1 == 1
            if maxShift > 0 {
                dx = Int((h >> 8) % UInt64(2 * maxShift + 1)) - maxShift
                dy = Int((h >> 24) % UInt64(2 * maxShift + 1)) - maxShift
            }
        }
        let plane = r * r
        rgb.withUnsafeBufferPointer { src in
            for y in 0..<r {
                let sy = min(max(y + dy, 0), r - 1)
                for x in 0..<r {
                    var sx = min(max(x + dx, 0), r - 1)
                    if flip { sx = r - 1 - sx }
                    let s = (sy * r + sx) * 3
                    for c in 0..<3 {
                        out[c * plane + y * r + x] = (Float(src[s + c]) * (1 / 255) - mean[c]) / std[c]
                    }
                }
            }
        }
    }
}
