import CJPEG
import Foundation
import PairDxCore
import PairDxTestSupport
import Testing
@testable import Imaging

/// Image bombs the tests build themselves: each must be refused quickly, with its own reason.
enum Bombs {
    /// A zlib stream of `count` zero bytes: fixed-Huffman deflate, one literal 0 then length-258,
    /// distance-1 copies (13 bits per 258 bytes), so 100 MB of zeros take about 630 KB.
    static func zlibZeros(_ count: Int) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var acc: UInt64 = 0, bits = 0
        func put(_ value: UInt64, _ n: Int) {  // LSB-first
            acc |= value << UInt64(bits); bits += n
            while bits >= 8 { out.append(UInt8(acc & 0xFF)); acc >>= 8; bits -= 8 }
        }
        func code(_ c: UInt64, _ n: Int) {  // Huffman codes go MSB-first
            var r: UInt64 = 0
            for i in 0..<n { r |= ((c >> UInt64(i)) & 1) << UInt64(n - 1 - i) }
            put(r, n)
        }
        put(1, 1); put(1, 2)  // final block, fixed Huffman
        var left = count
        if left > 0 { code(0x30, 8); left -= 1 }  // literal 0
        while left >= 258 { code(0xC5, 8); code(0, 5); left -= 258 }  // length 258 (code 285), distance 1
        while left > 0 { code(0x30, 8); left -= 1 }
        code(0, 7)  // end of block
        if bits > 0 { put(0, 8 - bits) }
        let adler = UInt32(count % 65_521) << 16 | 1
        return out + be32(adler)
    }

    static func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + body
        return be32(UInt32(body.count)) + typed + be32(crc32(typed))
    }

    /// An 8-bit grey PNG of `width`×`height` whose IDAT inflates to `zeros` zero bytes.
    static func png(width: Int, height: Int, interlaced: Bool, zeros: Int) -> Data {
        var bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        bytes += chunk("IHDR", be32(UInt32(width)) + be32(UInt32(height)) + [8, 0, 0, 0, interlaced ? 1 : 0])
        bytes += chunk("IDAT", zlibZeros(zeros))
        bytes += chunk("IEND", [])
        return Data(bytes)
    }

    /// Offsets of every SOS marker, and of the EOI, in a JPEG.
    static func markers(_ j: [UInt8], _ code: UInt8) -> [Int] {
        (0..<(j.count - 1)).filter { j[$0] == 0xFF && j[$0 + 1] == code }
    }

    /// A progressive JPEG followed by its first scans (those with Ah = 0, which read no earlier state, each
    /// with the tables before it) `times` more times: a valid stream of many scans.
    static func manyScans(times: Int) throws -> Data {
        let j = [UInt8](
            try ImageEncoder.jpeg(
                pixels: pattern(width: 64, height: 64, channels: 3), width: 64, height: 64,
                channels: 3, quality: 80, progressive: true))
        let sof = try #require(markers(j, 0xC2).first)
        // Table and scan markers after the frame header (entropy-coded data never holds FF C4/DA/D9).
        let cuts = (sof..<(j.count - 1)).filter { j[$0] == 0xFF && [0xC4, 0xDA, 0xD9].contains(j[$0 + 1]) }
        var units = [[UInt8]](), firstScans = [[UInt8]]()
        var unitStart = cuts[0]
        for (i, m) in cuts.enumerated() where j[m + 1] == 0xDA {
            let end = cuts[i + 1]
            let unit = Array(j[unitStart..<end])
            units.append(unit)
            let ns = Int(j[m + 4])
            if j[m + 5 + 2 * ns + 2] >> 4 == 0 { firstScans.append(unit) }
            unitStart = end
        }
        var out = Array(j[..<cuts[0]]) + units.joined()
        for _ in 0..<times { out += firstScans.joined() }
        return Data(out + [0xFF, 0xD9])
    }
}

@Suite struct HostileImageTests {
    /// Takes under a second of this thread's CPU time (printed on failure): the work done, not the wait for a core.
    func quick<T>(_ what: String, _ body: () throws -> T) rethrows -> T {
        let (value, seconds) = try ThreadCPUTime.measure(body)
        #expect(seconds < 1, "\(what) took \(seconds) s of CPU time")
        return value
    }

    func reason(_ data: Data, budget: DecodeBudget = DecodeBudget()) -> String {
        do {
            _ = try ImageHasher.hash(data, budget: budget, pixelDigest: true, wide: true)
            return "ok"
        } catch { return error.reason }
    }

    @Test func interlacedZeroBombNeedsMoreThanTheDecodeMemory() {
        // 10,000² interlaced grey, within the pixel limit; its IDAT inflates to 100 MB of zeros (~630 KB).
        let rows = 10_000
        let data = Bombs.png(width: rows, height: rows, interlaced: true, zeros: 100_000_000 + 2 * rows)
        let memory = DecodeMemory(capacity: 64 << 20)
        let r = quick("interlaced bomb") { reason(data, budget: DecodeBudget(memory: memory)) }
        #expect(r.hasPrefix("over-budget: "), "\(r)")
        #expect(r.contains("interlaced PNG of 10000x10000 needs 100000000 bytes buffered"), "\(r)")
        #expect(memory.inUse == 0)
        // The same file through the full-size decode API is refused the same way.
        #expect(throws: ImagingError(.overBudget, String(r.dropFirst("over-budget: ".count)))) {
            try ImageDecoder.decode(data, budget: DecodeBudget(memory: memory))
        }
    }

    @Test func sequentialZeroBombStreamsInRows() throws {
        // 4,000 × 2,500 grey zeros: a row at a time, same hashes as the whole-image path.
        let data = Bombs.png(width: 4_000, height: 2_500, interlaced: false, zeros: 2_500 * 4_001)
        let memory = DecodeMemory(capacity: 1 << 20)
        let h = try quick("sequential bomb") {
            try ImageHasher.hash(data, budget: DecodeBudget(memory: memory), wide: true)
        }
        #expect(
            h.width == 4_000 && h.height == 2_500 && h.hashes.dhash == 0 && h.hashes.ahash == 0 && memory.inUse == 0)
    }

    @Test func sideOf65535IsRefusedFromTheHeader() throws {
        // PNG: 65,535² with 8 MB of zeros in its IDAT; JPEG: a progressive frame header patched to 65,535².
        let png = Bombs.png(width: 65_535, height: 65_535, interlaced: false, zeros: 8 << 20)
        var jpeg = [UInt8](try Bombs.manyScans(times: 0))
        let sof = try #require(Bombs.markers(jpeg, 0xC2).first)
        for i in 5...8 { jpeg[sof + i] = 0xFF }
        for (data, expected) in [
            (png, "65535x65535 is 4294836225 pixels, above the limit of 100000000"),
            (Data(jpeg), "65535x65535 has a side above 65500, libjpeg's limit")
        ] {
            let r = quick("65535² header") { reason(data) }
            #expect(r == "too-large: \(expected)")
            let record = HashStage.record(sha256: SHA256.hex(data), data: data, budget: DecodeBudget())
            #expect(record.reject == r)
        }
    }

    @Test func manyScansStopAtTheScanLimit() throws {
        let bomb = try Bombs.manyScans(times: 400)  // 2,000 scans and more
        let r = quick("scan bomb") { reason(bomb) }
        #expect(r == "too-many-scans: jpeg: more than 100 scans", "\(r)")
        // An ordinary progressive file (about ten scans) decodes, and a raised limit lets the bomb through.
        let one = try Bombs.manyScans(times: 0)
        #expect(reason(one) == "ok")
        let raised = reason(bomb, budget: DecodeBudget(maxScans: 100_000))
        #expect(raised == "ok")
    }

    @Test func multiScanCoefficientsComeFromTheDecodeMemory() throws {
        // 2,048² progressive grey: 256 × 256 blocks × 128 bytes = 8 MiB of coefficients.
        let side = 2_048
        let grey = [UInt8](repeating: 90, count: side * side)
        let data = try ImageEncoder.jpeg(pixels: grey, width: side, height: side, channels: 1, progressive: true)
        var info = try JPEGCodec.info(data)
        #expect(info.multiscan == 1 && info.coefficient_bytes == 8 << 20)
        let small = DecodeMemory(capacity: 4 << 20)
        let r = quick("coefficients over budget") { reason(data, budget: DecodeBudget(memory: small)) }
        #expect(
            r
                == "over-budget: a multi-scan JPEG of 2048x2048 needs 8388608 bytes buffered, above the decode memory of 4194304 bytes",
            "\(r)")
        #expect(reason(data, budget: DecodeBudget(memory: DecodeMemory(capacity: 9 << 20))) == "ok")
        // A baseline file of the same size streams and needs none of it.
        let baseline = try ImageEncoder.jpeg(pixels: grey, width: side, height: side, channels: 1)
        info = try JPEGCodec.info(baseline)
        #expect(info.multiscan == 0 && info.coefficient_bytes == 0)
        #expect(reason(baseline, budget: DecodeBudget(memory: small)) == "ok")
    }

    @Test func endOfDataSegmentMeansTruncated() throws {
        // A baseline stream cut inside its entropy-coded data and closed with EOI: libjpeg warns
        // "Corrupt JPEG data: premature end of data segment" and fills the rest with grey.
        let j = [UInt8](
            try ImageEncoder.jpeg(
                pixels: pattern(width: 256, height: 256, channels: 3), width: 256,
                height: 256, channels: 3, quality: 90))
        let sos = try #require(Bombs.markers(j, 0xDA).first)
        let cut = Data(Array(j[..<(sos + (j.count - sos) / 2)]) + [0xFF, 0xD9])
        let r = reason(cut)
        #expect(r.hasPrefix("truncated: jpeg: "), "\(r)")
        #expect(r.lowercased().contains("premature end of data segment"), "\(r)")
        // Cut without EOI: "premature end of JPEG file".
        let eof = Data(Array(j[..<(sos + (j.count - sos) / 2)]))
        #expect(reason(eof).lowercased().hasPrefix("truncated: jpeg: premature end of jpeg file"))
    }

    @Test func waitingDecodesShareTheMemory() async throws {
        // Four threads decode a 1 MiB-coefficient progressive JPEG under a 1.5 MiB pool: they take turns.
        let grey = [UInt8](repeating: 7, count: 1_024 * 512)
        let data = try ImageEncoder.jpeg(pixels: grey, width: 1_024, height: 512, channels: 1, progressive: true)
        #expect(try JPEGCodec.info(data).coefficient_bytes == 1 << 20)
        let memory = DecodeMemory(capacity: 3 << 19)
        let results = Parallel.map(count: 8, threads: 4, batch: 1) { _ in
            (try? ImageHasher.hash(data, budget: DecodeBudget(memory: memory))) != nil
        }
        #expect(results == Array(repeating: true, count: 8))
        #expect(memory.inUse == 0)
    }
}

/// Row streaming gives the whole-image path's bytes: decoder rows against TurboJPEG's whole-image
/// decode, and streamed hashes and pixel digests against full decodes resized whole.
@Suite struct RowStreamingTests {
    static let sizes = [(64, 64), (8, 300), (301, 9), (257, 129), (1_000, 37)]

    /// Hashes from a whole decode and `Resample.resize` on the whole luma plane.
    func wholeImageHashes(_ img: Image, crops: Bool = false) -> ImageHashes {
        let l = Luma.plane(img)
        func r(_ w: Int, _ h: Int) -> [UInt8] {
            Resample.resize(l, width: img.width, height: img.height, channels: 1, toWidth: w, toHeight: h)
        }
        return PerceptualHash.hashes(
            p32: r(32, 32), p98: r(9, 8), p88: r(8, 8), p64: r(64, 64), p128: crops ? r(128, 128) : nil)
    }

    func samples() throws -> [(String, Data)] {
        var out = [(String, Data)]()
        for (w, h) in Self.sizes {
            for c in [1, 3] {
                let px = pattern(width: w, height: h, channels: c)
                out.append(("png \(w)x\(h)x\(c)", try ImageEncoder.png(pixels: px, width: w, height: h, channels: c)))
                out.append(("jpeg \(w)x\(h)x\(c)", try ImageEncoder.jpeg(pixels: px, width: w, height: h, channels: c)))
                out.append(
                    (
                        "progressive \(w)x\(h)x\(c)",
                        try ImageEncoder.jpeg(pixels: px, width: w, height: h, channels: c, progressive: true)
                    ))
            }
            let raw = (0..<(w * h)).map { UInt8(($0 * 7 + $0 / w) % 256) }
            out.append(
                (
                    "interlaced \(w)x\(h)",
                    try PNGCodec.encodeRaw(
                        raw, width: w, height: h, colorType: 0, bitDepth: 8,
                        interlaced: true)
                ))
            let cmyk = pattern(width: w, height: h, channels: 4)
            out.append(("cmyk \(w)x\(h)", try ImageEncoder.jpeg(pixels: cmyk, width: w, height: h, channels: 4)))
        }
        return out
    }

    @Test func streamedHashesEqualWholeImageHashes() throws {
        for (name, data) in try samples() {
            for mode in HashMode.allCases {
                let streamed = try ImageHasher.hash(data, mode: mode, pixelDigest: true, wide: true)
                let full = try ImageDecoder.decode(data)
                let scaled =
                    mode != .imagehash && full.format == .jpeg ? try ImageDecoder.decode(data, minSide: 64) : full
                #expect(streamed.pixelSHA256 == SHA256.hex(full.pixels), "\(name) \(mode)")
                #expect(streamed.hashes == wholeImageHashes(scaled, crops: mode == .v2), "\(name) \(mode)")
                #expect(streamed.width == full.width && streamed.height == full.height, "\(name)")
            }
        }
    }

    @Test func scanlinesEqualTurboJPEG() throws {
        for (name, data) in try samples()
        where name.hasPrefix("jpeg") || name.hasPrefix("progressive") || name.hasPrefix("cmyk") {
            let header = try ImageDecoder.header(data)
            for m in 1...8 {
                let collector = ImageCollector()
                try JPEGCodec.decodeRows(data, budget: DecodeBudget(), minSide: nil, into: collector, scaleEighths: m)
                let mine = collector.image()
                let w = (header.width * m + 7) / 8, h = (header.height * m + 7) / 8
                #expect(mine.width == w && mine.height == h, "\(name) \(m)/8")
                #expect(
                    mine.pixels
                        == turbo(data, width: w, height: h, channels: mine.channels, cmyk: name.hasPrefix("cmyk")),
                    "\(name) at \(m)/8")
            }
        }
    }

    /// TurboJPEG's whole-image decode (no flags), CMYK turned to RGB with the same rounding.
    func turbo(_ data: Data, width: Int, height: Int, channels: Int, cmyk: Bool) -> [UInt8] {
        let handle = tjInitDecompress()
        defer { tjDestroy(handle) }
        let bpp = cmyk ? 4 : channels
        var out = [UInt8](repeating: 0, count: width * height * bpp)
        let format: TJPF = cmyk ? TJPF_CMYK : (channels == 1 ? TJPF_GRAY : TJPF_RGB)
        _ = data.withUnsafeBytes { raw in
            out.withUnsafeMutableBufferPointer { dst in
                tjDecompress2(
                    handle, raw.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt(raw.count), dst.baseAddress,
                    Int32(width), 0, Int32(height), Int32(format.rawValue), 0)
            }
        }
        guard cmyk else { return out }
        var rgb = [UInt8]()
        for i in 0..<(width * height) {
            let k = UInt32(out[4 * i + 3])
            for c in 0..<3 {
                let v: UInt32 = UInt32(out[4 * i + c]) * k + 127
                rgb.append(UInt8(v / 255))
            }
        }
        return rgb
    }
}
