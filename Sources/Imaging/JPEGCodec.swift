import CJPEG
import Foundation

/// libjpeg-turbo through its TurboJPEG API (errors are return codes plus a message, no longjmp).
enum JPEGCodec {
    struct Header { var width: Int; var height: Int; var colorspace: Int32 }

    private static func message(_ handle: tjhandle?) -> String {
        guard let cstr = tjGetErrorStr2(handle) else { return "unknown error" }
        return String(cString: cstr)
    }

    private static func readHeader(_ handle: tjhandle, _ base: UnsafePointer<UInt8>, _ count: Int) -> Result<Header, ImagingError> {
        var w: Int32 = 0, h: Int32 = 0, sub: Int32 = 0, cs: Int32 = 0
        if tjDecompressHeader3(handle, base, UInt(count), &w, &h, &sub, &cs) != 0 {
            let text = message(handle)
            if count < 200 || text.contains("end of") || text.contains("Premature") {
                return .failure(ImagingError(.truncated, "jpeg: \(text)"))
            }
            return .failure(ImagingError(.corrupt, "jpeg: \(text)"))
        }
        return .success(Header(width: Int(w), height: Int(h), colorspace: cs))
    }

    /// Header only: O(size of the headers).
    static func header(_ data: Data) throws(ImagingError) -> (width: Int, height: Int) {
        guard let handle = tjInitDecompress() else { throw ImagingError(.outOfMemory, "jpeg: cannot create a decoder") }
        defer { tjDestroy(handle) }
        let result: Result<Header, ImagingError> = data.withUnsafeBytes { raw in
            guard let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
                return .failure(ImagingError(.empty))
            }
            return readHeader(handle, base, raw.count)
        }
        let h = try result.get()
        return (h.width, h.height)
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

    /// Decodes to grey (grey JPEGs) or RGB (YCbCr, RGB, CMYK and YCCK JPEGs), optionally DCT-scaled by
    /// `scaleEighths`/8 (1...8). The pixel guard uses the header's full size, before any allocation.
    /// A stream that ends early is `truncated`, not silently grey-filled. O(output pixels).
    static func decode(_ data: Data, maxPixels: Int, minSide: Int? = nil) throws(ImagingError) -> Image {
        guard let handle = tjInitDecompress() else { throw ImagingError(.outOfMemory, "jpeg: cannot create a decoder") }
        defer { tjDestroy(handle) }
        let result: Result<Image, ImagingError> = data.withUnsafeBytes { raw in
            guard let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
                return .failure(ImagingError(.empty))
            }
            let header: Header
            switch readHeader(handle, base, raw.count) {
            case .failure(let e): return .failure(e)
            case .success(let h): header = h
            }
            guard header.width > 0, header.height > 0 else {
                return .failure(ImagingError(.corrupt, "jpeg: zero width or height"))
            }
            let count = header.width.multipliedReportingOverflow(by: header.height)
            if count.overflow || count.partialValue > maxPixels {
                return .failure(ImagingError(.tooLarge, "\(header.width)x\(header.height) is \(count.partialValue) pixels, above the limit of \(maxPixels)"))
            }
            let m = minSide.map { scale(width: header.width, height: header.height, minSide: $0) } ?? 8
            let w = (header.width * m + 7) / 8, h = (header.height * m + 7) / 8
            let cmyk = header.colorspace == TJCS_CMYK.rawValue || header.colorspace == TJCS_YCCK.rawValue
            let grey = header.colorspace == TJCS_GRAY.rawValue
            let format: TJPF = grey ? TJPF_GRAY : (cmyk ? TJPF_CMYK : TJPF_RGB)
            let bpp = grey ? 1 : (cmyk ? 4 : 3)
            var out = [UInt8](repeating: 0, count: w * h * bpp)
            let rc = out.withUnsafeMutableBufferPointer { dst in
                tjDecompress2(handle, base, UInt(raw.count), dst.baseAddress, Int32(w), 0, Int32(h),
                              Int32(format.rawValue), 0)
            }
            if rc != 0 {
                let text = message(handle)
                let fatal = tjGetErrorCode(handle) == Int32(TJERR_FATAL.rawValue)
                if text.contains("Premature end") { return .failure(ImagingError(.truncated, "jpeg: \(text)")) }
                if fatal { return .failure(ImagingError(.corrupt, "jpeg: \(text)")) }
                // Other warnings (extraneous bytes and the like) leave a complete image.
            }
            if cmyk { out = cmykToRGB(out, pixels: w * h) }
            return .success(Image(width: w, height: h, channels: grey ? 1 : 3, pixels: out, format: .jpeg))
        }
        return try result.get()
    }

    /// TurboJPEG's CMYK buffers hold inverted ink (255 = none, the Adobe convention):
    /// R = C·K/255 rounded, likewise G from M and B from Y.
    static func cmykToRGB(_ cmyk: [UInt8], pixels n: Int) -> [UInt8] {
        var rgb = [UInt8](repeating: 0, count: n * 3)
        cmyk.withUnsafeBufferPointer { src in
            rgb.withUnsafeMutableBufferPointer { dst in
                for i in 0..<n {
                    let k = UInt32(src[4 &* i &+ 3])
                    for c in 0..<3 {
                        let v = UInt32(src[4 &* i &+ c]) &* k
                        dst[3 &* i &+ c] = UInt8((v &+ 127) / 255)
                    }
                }
            }
        }
        return rgb
    }

    /// Baseline or progressive JPEG with 4:2:0 chroma for RGB, accurate DCT. Deterministic for the
    /// same library version and inputs.
    static func encode(_ pixels: [UInt8], width: Int, height: Int, channels: Int, quality: Int,
                       progressive: Bool) throws(ImagingError) -> Data {
        guard width > 0, height > 0, width <= 65_500, height <= 65_500, [1, 3, 4].contains(channels),
              pixels.count == width * height * channels, (1...100).contains(quality) else {
            throw ImagingError(.invalidArgument,
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
            tjCompress2(handle, src.baseAddress, Int32(width), 0, Int32(height), Int32(format.rawValue), &out, &size,
                        Int32(sub.rawValue), Int32(quality), flags)
        }
        defer { if let out { tjFree(out) } }
        guard rc == 0, let out else { throw ImagingError(.invalidArgument, "jpeg encode: \(message(handle))") }
        return Data(bytes: out, count: Int(size))
    }
}
