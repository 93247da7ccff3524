import Foundation
import Imaging
import PairDxCore

/// CLIP's test-time image transform, step for step open_clip's `image_transform(size, is_train=False)`:
/// torchvision's `Resize(size, BICUBIC)` (shorter side to `size`, longer side `int(size·long/short)`, Pillow's
/// antialiased bicubic on the full-size decode), `CenterCrop(size)` (offsets `round((side − size)/2)`, halves to
/// even as Python rounds), grey replicated to RGB, then (v/255 − mean)/std per channel with CLIP's constants,
/// planar `[3, size, size]`.
///
/// The crop is byte-identical to open_clip's on 8-bit grey, RGB and opaque RGBA PNGs and on JPEGs (the test
/// compares digests on real figures). Pillow resizes palette PNGs with nearest-neighbour, images with
/// transparency premultiplied and 16-bit grey in another mode, so those may differ in the last levels.
/// O(decoded pixels).
public enum CLIPImagePreprocess {
    public static let mean: [Float] = [0.481_454_66, 0.457_827_5, 0.408_210_73]
    public static let std: [Float] = [0.268_629_54, 0.261_302_58, 0.275_777_11]

    /// Decodes `data` at full size and writes the normalised planar image into `out` (3·size·size floats).
    /// Throws `PairDxError.badInput` naming `source` when the image cannot be decoded.
    public static func prepare(_ data: Data, size: Int, source: String, into out: UnsafeMutablePointer<Float>) throws {
        let image: Image
        do { image = try ImageDecoder.decode(data) } catch {
            throw PairDxError.badInput("\(source): cannot decode the image for CLIP: \(error)")
        }
        normalise(image, size: size, into: out)
    }

    /// Resize-shorter-side, centre-crop and normalise an already decoded image.
    public static func normalise(_ image: Image, size: Int, into out: UnsafeMutablePointer<Float>) {
        normalise(
            pixels: image.pixels, width: image.width, height: image.height, channels: image.channels, size: size,
            into: out)
    }

    /// The same on interleaved 8-bit pixels (1 grey or ≥ 3 channels, extra channels ignored).
    public static func normalise(
        pixels: [UInt8], width: Int, height: Int, channels: Int, size: Int, into out: UnsafeMutablePointer<Float>
    ) {
        let rgb = crop(pixels: pixels, width: width, height: height, channels: channels, size: size),
            plane = size * size
        for i in 0..<plane {
            // ToTensor divides, then Normalize
            for c in 0..<3 { out[c &* plane &+ i] = (Float(rgb[i &* 3 &+ c]) / 255 - mean[c]) / std[c] }
        }
    }

    /// torchvision's `Resize(size)` then `CenterCrop(size)` and Pillow's `convert("RGB")`: the interleaved 8-bit RGB
    /// crop, `size·size·3` bytes (what open_clip's transform hands to `ToTensor`).
    public static func crop(pixels: [UInt8], width: Int, height: Int, channels: Int, size: Int) -> [UInt8] {
        precondition(
            pixels.count == width * height * channels && size > 0 && (channels == 1 || channels >= 3),
            "pixels do not fit \(width)×\(height)×\(channels)")
        let (w, h) = resizedSize(width: width, height: height, size: size)
        let resized =
            (w == width && h == height)
            ? pixels
            : Resample.resize(
                pixels, width: width, height: height, channels: channels, toWidth: w, toHeight: h, filter: .bicubic)
        let left = cropOffset(w, size), top = cropOffset(h, size), ch = channels
        var rgb = [UInt8](repeating: 0, count: size * size * 3)
        for y in 0..<size {
            for x in 0..<size {
                let s = ((top + y) * w + left + x) * ch, d = (y * size + x) * 3
                for c in 0..<3 { rgb[d + c] = resized[s + (ch >= 3 ? c : 0)] }
            }
        }
        return rgb
    }

    /// torchvision's output size for `Resize(size)`: the shorter side becomes `size`, the longer
    /// `int(size·long/short)` (Python's true division, truncated).
    static func resizedSize(width: Int, height: Int, size: Int) -> (width: Int, height: Int) {
        let short = min(width, height), long = max(width, height)
        let newLong = Int(Double(size * long) / Double(short))
        return width <= height ? (size, newLong) : (newLong, size)
    }

    /// torchvision's `CenterCrop` offset along a side: `int(round((side − size)/2))`, ties to even.
    static func cropOffset(_ side: Int, _ size: Int) -> Int {
        Int((Double(side - size) / 2).rounded(.toNearestOrEven))
    }
}
