import Foundation
import Imaging
import PairDxCore

/// CLIP's test-time image transform: decode, resize so the shorter side is `size` (aspect kept, Imaging's
/// antialiased resampler — open_clip uses bicubic, so pixels differ slightly), centre crop `size`×`size`,
/// grey replicated to RGB, then (v/255 − mean)/std per channel with CLIP's constants, planar `[3, size, size]`.
/// O(decoded pixels).
public enum CLIPImagePreprocess {
    public static let mean: [Float] = [0.481_454_66, 0.457_827_5, 0.408_210_73]
    public static let std: [Float] = [0.268_629_54, 0.261_302_58, 0.275_777_11]

    /// Decodes `data` and writes the normalised planar image into `out` (3·size·size floats).
    /// Throws `PairDxError.badInput` naming `source` when the image cannot be decoded.
    public static func prepare(_ data: Data, size: Int, source: String, into out: UnsafeMutablePointer<Float>) throws {
        let image: Image
        do { image = try ImageDecoder.decode(data, minSide: size) } catch {
            throw PairDxError.badInput("\(source): cannot decode the image for CLIP: \(error)")
        }
        normalise(image, size: size, into: out)
    }

    /// Resize-shorter-side, centre-crop and normalise an already decoded image.
    public static func normalise(_ image: Image, size: Int, into out: UnsafeMutablePointer<Float>) {
        normalise(pixels: image.pixels, width: image.width, height: image.height, channels: image.channels, size: size, into: out)
    }

    /// The same on interleaved 8-bit pixels (1 grey or ≥ 3 channels, extra channels ignored).
    public static func normalise(pixels: [UInt8], width: Int, height: Int, channels: Int, size: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(pixels.count == width * height * channels && size > 0, "pixels do not fit \(width)×\(height)×\(channels)")
        let scale = Double(size) / Double(min(width, height))
        let w = max(size, Int((Double(width) * scale).rounded())), h = max(size, Int((Double(height) * scale).rounded()))
        let resized = (w == width && h == height) ? pixels
            : Resample.resize(pixels, width: width, height: height, channels: channels, toWidth: w, toHeight: h)
        let left = (w - size) / 2, top = (h - size) / 2, plane = size * size, ch = channels
        resized.withUnsafeBufferPointer { src in
            for y in 0..<size {
                for x in 0..<size {
                    let s = ((top + y) * w + left + x) * ch
                    for c in 0..<3 {
                        let v = Float(src[s + (ch >= 3 ? c : 0)]) * (1 / 255)
                        out[c * plane + y * size + x] = (v - mean[c]) / std[c]
                    }
                }
            }
        }
    }
}
