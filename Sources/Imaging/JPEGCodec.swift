import CJPEG
import Foundation

/// libjpeg-turbo: decoding by scanlines through the C layer in `CJPEG` (status codes, never a longjmp
/// through Swift), encoding through the TurboJPEG API.
enum JPEGCodec {
    static let messageCapacity = 256

    private static func message(_ handle: tjhandle?) -> String {
        guard let cstr = tjGetErrorStr2(handle) else { return "unknown error" }
        return String(cString: cstr)
    }

    private static func error(_ status: Int32, _ message: String) -> ImagingError {
        switch Int(status) {
        case Int(PDX_JPEG_TRUNCATED): return ImagingError(.truncated, "jpeg: \(message)")
        case Int(PDX_JPEG_TOO_LARGE): return ImagingError(.tooLarge, message)
        case Int(PDX_JPEG_OVER_BUDGET): return ImagingError(.overBudget, "jpeg: \(message)")
        case Int(PDX_JPEG_TOO_MANY_SCANS): return ImagingError(.tooManyScans, "jpeg: \(message)")
        default: return ImagingError(.corrupt, "jpeg: \(message)")
        }
    }

    /// The headers up to the first scan: O(size of the headers).
    static func info(_ data: Data) throws(ImagingError) -> pdx_jpeg_info {
        let result: Result<pdx_jpeg_info, ImagingError> = data.withUnsafeBytes { raw in
            guard let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
                return .failure(ImagingError(.empty))
            }
            var info = pdx_jpeg_info()
            var text = [CChar](repeating: 0, count: messageCapacity)
            let status = pdx_jpeg_read_header(base, raw.count, &info, &text, messageCapacity)
            guard status == PDX_JPEG_OK else { return .failure(error(status, PNGCodec.string(text))) }
            return .success(info)
        }
        return try result.get()
    }

    /// Width and height from the headers.
    static func header(_ data: Data) throws(ImagingError) -> (width: Int, height: Int) {
        let i = try info(data)
        return (Int(i.width), Int(i.height))
    }

    /// The smallest DCT scale M/8 (M in 1...8) whose output keeps both sides at least `minSide`
    /// (or 8/8 when the image is already smaller).
    static func scale(width: Int, height: Int, minSide: Int) -> Int {
        for m in 1...8 {
            let sw = (width * m + 7) / 8, sh = (height * m + 7) / 8
            if sw >= minSide && sh >= minSide { return m }
        }
        return 8
    }

    /// Decodes to grey (grey JPEGs) or RGB (YCbCr, RGB, CMYK and YCCK JPEGs) rows handed to `consumer`,
    /// DCT-scaled to the smallest M/8 keeping both sides at least `minSide` when given. The pixel guard
    /// uses the header's full size, before any allocation; a stream that ends early (libjpeg's
    /// end-of-file or end-of-data-segment warning) is `truncated`, not silently grey-filled; more than
    /// `budget.maxScans` scans is `too-many-scans`. Memory: libjpeg's rows of the width, plus the
    /// coefficients of the whole image from `budget.memory` when the file has several scans.
    /// O(output pixels + scans × coefficients).
    /// `scaleEighths` forces a scale (1...8) instead.
    static func decodeRows(
        _ data: Data, budget: DecodeBudget, minSide: Int? = nil,
        into consumer: any RowConsumer, scaleEighths: Int? = nil
    ) throws(ImagingError) {
        var m = 8
        let header = try info(data)
        if let minSide { m = scale(width: Int(header.width), height: Int(header.height), minSide: minSide) }
        if let scaleEighths { m = min(8, max(1, scaleEighths)) }
        let bridge = RowBridge(consumer, budget: budget, format: .jpeg)
        bridge.fullWidth = Int(header.width)
        bridge.fullHeight = Int(header.height)
        let result: ImagingError? = data.withUnsafeBytes { raw in
            guard let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return ImagingError(.empty) }
            var info = pdx_jpeg_info()
            var text = [CChar](repeating: 0, count: messageCapacity)
            var sink = pdx_jpeg_sink(
                context: Unmanaged.passUnretained(bridge).toOpaque(),
                begin: { ctx, w, h, c, b in
                    Unmanaged<RowBridge>.fromOpaque(ctx!).takeUnretainedValue().begin(
                        width: w, height: h, channels: c, buffered: b)
                },
                row: { ctx, px, y in Unmanaged<RowBridge>.fromOpaque(ctx!).takeUnretainedValue().row(px, y: y) })
            let status = pdx_jpeg_decode_rows(
                base, raw.count, UInt64(max(0, budget.maxPixels)), Int32(clamping: budget.maxScans),
                Int32(m), &sink, &info, &text, messageCapacity)
            if let e = bridge.error { return e }
            return status == PDX_JPEG_OK ? nil : error(status, PNGCodec.string(text))
        }
        if let result { throw result }
    }

    /// Baseline or progressive JPEG with 4:2:0 chroma for RGB, accurate DCT. Deterministic for the
    /// same library version and inputs.
    static func encode(
        _ pixels: [UInt8], width: Int, height: Int, channels: Int, quality: Int,
        progressive: Bool
    ) throws(ImagingError) -> Data {
        guard width > 0, height > 0, width <= 65_500, height <= 65_500, [1, 3, 4].contains(channels),
            pixels.count == width * height * channels, (1...100).contains(quality)
        else {
            throw ImagingError(
                .invalidArgument,
                "jpeg encode: \(width)x\(height)x\(channels) q\(quality) does not match \(pixels.count) bytes")
        }
        guard let handle = tjInitCompress() else { throw ImagingError(.outOfMemory, "jpeg: cannot create an encoder") }
        defer { tjDestroy(handle) }
        let format: TJPF = channels == 1 ? TJPF_GRAY : (channels == 3 ? TJPF_RGB : TJPF_CMYK)
        let sub: TJSAMP = channels == 1 ? TJSAMP_GRAY : TJSAMP_420
        var flags = Int32(TJFLAG_ACCURATEDCT)
        if progressive { flags |= Int32(TJFLAG_PROGRESSIVE) }
        var out: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        let rc = pixels.withUnsafeBufferPointer { src in
            tjCompress2(
                handle, src.baseAddress, Int32(width), 0, Int32(height), Int32(format.rawValue), &out, &size,
                Int32(sub.rawValue), Int32(quality), flags)
        }
        defer { if let out { tjFree(out) } }
        guard rc == 0, let out else { throw ImagingError(.invalidArgument, "jpeg encode: \(message(handle))") }
        return Data(bytes: out, count: Int(size))
    }
}
