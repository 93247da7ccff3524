import CPNG
import Foundation

/// PNG through the C layer in `CPNG`: our decoder (libdeflate or zlib inflate), libpng for encoding and as the
/// reference decoder (status codes, never a longjmp through Swift).
enum PNGCodec {
    static let messageCapacity = 256

    private static func error(_ status: Int32, _ message: String) -> ImagingError {
        switch Int(status) {
        case Int(PDX_PNG_NOT_PNG): return ImagingError(.notAnImage, "no PNG signature")
        case Int(PDX_PNG_TRUNCATED): return ImagingError(.truncated, "png: \(message)")
        case Int(PDX_PNG_TOO_LARGE): return ImagingError(.tooLarge, message)
        case Int(PDX_PNG_NO_MEMORY): return ImagingError(.outOfMemory, message)
        case Int(PDX_PNG_BAD_ARGUMENT): return ImagingError(.invalidArgument, message)
        case Int(PDX_PNG_OVER_BUDGET): return ImagingError(.overBudget, "png: \(message)")
        default: return ImagingError(.corrupt, "png: \(message)")
        }
    }

    /// Width and height from IHDR. O(1): reads 33 bytes.
    static func header(_ data: Data) throws(ImagingError) -> (width: Int, height: Int) {
        let result: Result<(Int, Int), ImagingError> = data.withUnsafeBytes { raw in
            var header = pdx_png_header()
            var message = [CChar](repeating: 0, count: messageCapacity)
            let status = pdx_png_read_header(
                raw.baseAddress?.assumingMemoryBound(to: UInt8.self), raw.count,
                &header, &message, messageCapacity)
            guard status == PDX_PNG_OK else { return .failure(error(status, Self.string(message))) }
            return .success((Int(header.width), Int(header.height)))
        }
        return try result.get()
    }

    /// Which decoder runs (tests compare them; everything else uses `.ours`).
    enum Decoder {
        /// Ours: libdeflate over the whole stream when `budget.memory` grants it at once, else zlib row by row.
        case ours
        /// Ours, always row by row through zlib.
        case oursStreaming
        /// libpng's reader (the reference).
        case libpng
    }

    /// Decodes to 8-bit grey or RGB rows handed to `consumer` one at a time (see `pdx_png_decode_rows`).
    /// Memory: two rows of the width; for Adam7, width × height × channels from `budget.memory`; for a sequential
    /// image, its inflated stream ((bytes per row + 1) × height, plus the compressed bytes when they span several
    /// chunks) when `budget.memory` has that free at once, released when the decode returns. O(width × height).
    static func decodeRows(
        _ data: Data, budget: DecodeBudget, into consumer: any RowConsumer,
        decoder: Decoder = .ours
    ) throws(ImagingError) {
        let bridge = RowBridge(consumer, budget: budget, format: .png)
        let result: ImagingError? = data.withUnsafeBytes { raw in
            var header = pdx_png_header()
            var channels: UInt32 = 0
            var message = [CChar](repeating: 0, count: messageCapacity)
            var sink = pdx_png_sink(
                context: Unmanaged.passUnretained(bridge).toOpaque(),
                begin: { ctx, w, h, c, b in
                    Unmanaged<RowBridge>.fromOpaque(ctx!).takeUnretainedValue().begin(
                        width: w, height: h, channels: c, buffered: b)
                },
                row: { ctx, px, y in Unmanaged<RowBridge>.fromOpaque(ctx!).takeUnretainedValue().row(px, y: y) },
                try_reserve: decoder == .ours
                    ? { ctx, bytes in Unmanaged<RowBridge>.fromOpaque(ctx!).takeUnretainedValue().tryReserve(bytes) }
                    : nil)
            let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self)
            let maxPixels = UInt64(max(0, budget.maxPixels)), maxSide = UInt32(clamping: max(0, budget.maxSide))
            let status =
                decoder == .libpng
                ? pdx_png_decode_rows_libpng(
                    base, raw.count, maxPixels, maxSide, &sink, &header, &channels, &message, messageCapacity)
                : pdx_png_decode_rows(
                    base, raw.count, maxPixels, maxSide, &sink, &header, &channels, &message, messageCapacity)
            if let e = bridge.error { return e }
            return status == PDX_PNG_OK ? nil : error(status, Self.string(message))
        }
        if let result { throw result }
    }

    /// Encodes grey, RGB or RGBA pixels; deterministic for given inputs (no time or text chunks).
    static func encode(_ pixels: [UInt8], width: Int, height: Int, channels: Int, level: Int) throws(ImagingError)
        -> Data
    {
        guard width > 0, height > 0, width <= Int(UInt32.max), height <= Int(UInt32.max), [1, 3, 4].contains(channels),
            pixels.count == width * height * channels
        else {
            throw ImagingError(
                .invalidArgument, "png encode: \(width)x\(height)x\(channels) does not match \(pixels.count) bytes")
        }
        let result: Result<Data, ImagingError> = pixels.withUnsafeBufferPointer { buf in
            var out: UnsafeMutablePointer<UInt8>?
            var size = 0
            var message = [CChar](repeating: 0, count: messageCapacity)
            let status = pdx_png_encode(
                buf.baseAddress, UInt32(width), UInt32(height), UInt32(channels), Int32(level),
                &out, &size, &message, messageCapacity)
            guard status == PDX_PNG_OK, let out else { return .failure(error(status, Self.string(message))) }
            defer { pdx_free(out) }
            return .success(Data(bytes: out, count: size))
        }
        return try result.get()
    }

    static func string(_ message: [CChar]) -> String {
        String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension PNGCodec {
    /// Rows in PNG's raw layout (see `pdx_png_encode_raw`), for building test images of every kind.
    static func encodeRaw(
        _ raw: [UInt8], width: Int, height: Int, colorType: Int, bitDepth: Int, interlaced: Bool,
        palette: [UInt8] = [], trns: [UInt8] = []
    ) throws(ImagingError) -> Data {
        let result: Result<Data, ImagingError> = raw.withUnsafeBufferPointer { buf in
            palette.withUnsafeBufferPointer { pal in
                trns.withUnsafeBufferPointer { tr in
                    var out: UnsafeMutablePointer<UInt8>?
                    var size = 0
                    var message = [CChar](repeating: 0, count: messageCapacity)
                    let status = pdx_png_encode_raw(
                        buf.baseAddress, UInt32(width), UInt32(height), Int32(colorType),
                        Int32(bitDepth), interlaced ? 1 : 0,
                        palette.isEmpty ? nil : pal.baseAddress, Int32(palette.count / 3),
                        trns.isEmpty ? nil : tr.baseAddress, Int32(trns.count), &out, &size,
                        &message, messageCapacity)
                    guard status == PDX_PNG_OK, let out else {
                        return .failure(ImagingError(.invalidArgument, "png raw encode: \(string(message))"))
                    }
                    defer { pdx_free(out) }
                    return .success(Data(bytes: out, count: size))
                }
            }
        }
        return try result.get()
    }
}
