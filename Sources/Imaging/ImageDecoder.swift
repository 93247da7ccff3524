import Foundation

/// Decodes PNG and JPEG bytes; everything else gets a specific reason.
///
/// Never crashes on bad input: zero bytes → `empty-file`; HTML/XML/PDF/SVG → `not-an-image: …`;
/// GIF, TIFF, BMP, WebP → `unsupported-format: …`; a short stream → `truncated: …`; more than
/// `maxPixels` pixels (or a side above the limit) in the header → `too-large: …` before any pixel memory is
/// allocated; a whole-image buffer larger than the decode memory → `over-budget: …`; more JPEG scans than
/// the limit → `too-many-scans: …` (`DecodeBudget`).
public enum ImageDecoder {
    /// 100 megapixels (`DecodeBudget.defaultMaxPixels`).
    public static let defaultMaxPixels = DecodeBudget.defaultMaxPixels

    /// The recognised decodable format, or the specific reason it is not one.
    public static func format(of data: Data) throws(ImagingError) -> ImageFormat {
        if data.isEmpty { throw ImagingError(.empty) }
        switch FormatSniffer.sniff(data) {
        case .png?: return .png
        case .jpeg?: return .jpeg
        case .gif?, .tiff?, .bmp?, .webp?:
            throw ImagingError(.unsupportedFormat, FormatSniffer.sniff(data)!.rawValue)
        case let other?: throw ImagingError(.notAnImage, other.rawValue)
        case nil: throw ImagingError(.notAnImage, "unrecognised leading bytes")
        }
    }

    /// Format, width and height from the headers alone. O(header size).
    public static func header(_ data: Data) throws(ImagingError) -> (format: ImageFormat, width: Int, height: Int) {
        let f = try format(of: data)
        let (w, h) = f == .png ? try PNGCodec.header(data) : try JPEGCodec.header(data)
        return (f, w, h)
    }

    /// Full-size decode to 8-bit grey or RGB (alpha dropped). O(width × height) memory: for callers that
    /// need every pixel; hashing streams rows instead (`decodeRows`).
    public static func decode(_ data: Data, maxPixels: Int = defaultMaxPixels) throws(ImagingError) -> Image {
        try decode(data, budget: DecodeBudget(maxPixels: maxPixels))
    }

    /// Full-size decode under `budget`.
    public static func decode(_ data: Data, budget: DecodeBudget) throws(ImagingError) -> Image {
        let collector = ImageCollector()
        try decodeRows(data, budget: budget, into: collector)
        return collector.image()
    }

    /// Decodes for a small target: JPEGs use DCT scaling to the smallest M/8 that keeps both sides
    /// at least `minSide` (so no full-size pixels are produced and thrown away); PNGs decode at full
    /// size. The pixel guard still applies to the full size in the header.
    public static func decode(_ data: Data, minSide: Int, maxPixels: Int = defaultMaxPixels) throws(ImagingError)
        -> Image
    {
        let collector = ImageCollector()
        try decodeRows(data, budget: DecodeBudget(maxPixels: maxPixels), minSide: minSide, into: collector)
        return collector.image()
    }

    /// Streams the decoded rows (8-bit grey or RGB, top to bottom) to `consumer` without a full-size buffer;
    /// with `minSide`, JPEGs are DCT-scaled as in `decode(_:minSide:maxPixels:)`. Memory: a few rows of the
    /// width, plus a whole-image buffer from `budget.memory` for interlaced PNGs and multi-scan JPEGs.
    public static func decodeRows(
        _ data: Data, budget: DecodeBudget, minSide: Int? = nil,
        into consumer: any RowConsumer
    ) throws(ImagingError) {
        switch try format(of: data) {
        case .png: try PNGCodec.decodeRows(data, budget: budget, into: consumer)
        default: try JPEGCodec.decodeRows(data, budget: budget, minSide: minSide, into: consumer)
        }
    }
}

/// Encodes pixels as PNG or JPEG (used by the synthetic corpus and thumbnails).
public enum ImageEncoder {
    /// PNG of 8-bit grey (1), RGB (3) or RGBA (4) pixels, zlib level 6, no ancillary chunks:
    /// the bytes depend only on the inputs and the libpng/zlib versions.
    public static func png(pixels: [UInt8], width: Int, height: Int, channels: Int) throws(ImagingError) -> Data {
        try PNGCodec.encode(pixels, width: width, height: height, channels: channels, level: 6)
    }

    /// JPEG of grey (1) or RGB (3) pixels (4 = CMYK, inverted-ink convention), quality 1...100,
    /// 4:2:0 chroma, accurate DCT, baseline or progressive.
    public static func jpeg(
        pixels: [UInt8], width: Int, height: Int, channels: Int, quality: Int = 90,
        progressive: Bool = false
    ) throws(ImagingError) -> Data {
        try JPEGCodec.encode(
            pixels, width: width, height: height, channels: channels, quality: quality,
            progressive: progressive)
    }
}
