/// A decoded raster: 8-bit samples, row-major, interleaved, no padding.
///
/// Invariant: `pixels.count == width * height * channels`, `channels` is 1 (grey) or 3 (RGB);
/// alpha is dropped at decode time.
public struct Image: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var pixels: [UInt8]
    /// The container the pixels came from (`.raw` for images built in memory).
    public var format: ImageFormat

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8], format: ImageFormat = .raw) {
        precondition(width > 0 && height > 0 && (channels == 1 || channels == 3), "invalid image geometry")
        precondition(pixels.count == width * height * channels, "pixel buffer does not match the geometry")
        self.width = width; self.height = height; self.channels = channels; self.pixels = pixels; self.format = format
    }

    /// The sample at column `x`, row `y`, channel `c`.
    public subscript(x: Int, y: Int, c: Int) -> UInt8 { pixels[(y * width + x) * channels + c] }
}

/// Containers the decoder understands, and those it recognises only to reject.
public enum ImageFormat: String, Sendable, Codable, CaseIterable {
    case png, jpeg, raw
    // Recognised by their magic bytes, never decoded:
    case gif, tiff, bmp, webp, pdf, html, svg, xml, zip
}
