import Foundation
import Testing
@testable import Imaging

/// Packs samples of `bits` bits (1, 2, 4, 8 or 16) into PNG raw rows of `perRow` samples each.
func packRows(_ samples: [Int], perRow: Int, bits: Int) -> [UInt8] {
    var out = [UInt8]()
    for row in stride(from: 0, to: samples.count, by: perRow) {
        let r = samples[row..<(row + perRow)]
        if bits == 16 {
            for s in r { out += [UInt8(s >> 8), UInt8(s & 0xFF)] }
        } else if bits == 8 {
            out += r.map { UInt8($0) }
        } else {
            var byte = 0, used = 0
            for s in r {
                byte = (byte << bits) | s
                used += bits
                if used == 8 { out.append(UInt8(byte)); byte = 0; used = 0 }
            }
            if used > 0 { out.append(UInt8(byte << (8 - used))) }
        }
    }
    return out
}

/// CRC-32 (IEEE) for hand-built PNG chunks.
func crc32(_ bytes: [UInt8]) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for b in bytes {
        c ^= UInt32(b)
        for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
    }
    return ~c
}

func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

@Suite struct DecoderTests {
    let w = 5, h = 3

    @Test(arguments: [(1, false), (2, false), (4, true), (8, false), (8, true), (16, false), (16, true)])
    func greyAtEveryDepth(bits: Int, interlaced: Bool) throws {
        let maxv = (1 << bits) - 1
        let samples = (0..<(w * h)).map { ($0 * 7) % (maxv + 1) }
        let data = try PNGCodec.encodeRaw(
            packRows(samples, perRow: w, bits: bits), width: w, height: h, colorType: 0,
            bitDepth: bits, interlaced: interlaced)
        let img = try ImageDecoder.decode(data)
        #expect(img.channels == 1 && img.width == w && img.height == h)
        // Low depths are scaled to 8 bits by bit replication; 16-bit keeps the high byte.
        let expected = samples.map { s -> UInt8 in
            bits == 16 ? UInt8(s >> 8) : UInt8(s * 255 / maxv)
        }
        #expect(img.pixels == expected)
    }

    @Test(arguments: [(8, false), (8, true), (16, false)])
    func rgbAndRGBA(bits: Int, interlaced: Bool) throws {
        let n = w * h
        let rgb = (0..<(n * 3)).map { i in bits == 16 ? (i * 2_917) % 65_536 : (i * 37) % 256 }
        var rgba = [Int]()
        for p in 0..<n { rgba += rgb[(p * 3)..<(p * 3 + 3)] + [p % 2 == 0 ? 0 : (bits == 16 ? 65_535 : 255)] }
        let expected = rgb.map { bits == 16 ? UInt8($0 >> 8) : UInt8($0) }
        for (ct, samples, per) in [(2, rgb, 3), (6, rgba, 4)] {
            let data = try PNGCodec.encodeRaw(
                packRows(samples, perRow: w * per, bits: bits), width: w, height: h,
                colorType: ct, bitDepth: bits, interlaced: interlaced)
            let img = try ImageDecoder.decode(data)
            #expect(img.channels == 3)
            #expect(img.pixels == expected, "colour type \(ct), \(bits)-bit")
        }
    }

    @Test func greyAlphaDropsAlpha() throws {
        let samples = (0..<(w * h)).flatMap { [($0 * 17) % 256, 255 - $0] }
        let data = try PNGCodec.encodeRaw(
            packRows(samples, perRow: w * 2, bits: 8), width: w, height: h, colorType: 4,
            bitDepth: 8, interlaced: false)
        let img = try ImageDecoder.decode(data)
        #expect(img.channels == 1 && img.pixels == (0..<(w * h)).map { UInt8(($0 * 17) % 256) })
    }

    @Test(arguments: [1, 2, 4, 8])
    func paletteWithTransparency(bits: Int) throws {
        let entries = min(1 << bits, 6)
        var palette = [UInt8]()
        for e in 0..<entries {
            let r = UInt8(e * 40), g = UInt8(255 - e * 30), b = UInt8(e * 7 + 3)
            palette += [r, g, b]
        }
        let index = (0..<(w * h)).map { $0 % entries }
        let data = try PNGCodec.encodeRaw(
            packRows(index, perRow: w, bits: bits), width: w, height: h, colorType: 3,
            bitDepth: bits, interlaced: bits == 4, palette: palette, trns: [0, 128])
        let img = try ImageDecoder.decode(data)
        #expect(img.channels == 3)
        #expect(img.pixels == index.flatMap { Array(palette[($0 * 3)..<($0 * 3 + 3)]) })
    }

    @Test func greyAndRGBWithColourKeyTransparency() throws {
        let grey = try PNGCodec.encodeRaw(
            [10, 20, 30, 40], width: 2, height: 2, colorType: 0, bitDepth: 8,
            interlaced: false, trns: [0, 20])
        #expect(try ImageDecoder.decode(grey).pixels == [10, 20, 30, 40])
        let rgb = try PNGCodec.encodeRaw(
            [1, 2, 3, 4, 5, 6], width: 2, height: 1, colorType: 2, bitDepth: 8,
            interlaced: false, trns: [0, 1, 0, 2, 0, 3])
        let img = try ImageDecoder.decode(rgb)
        #expect(img.channels == 3 && img.pixels == [1, 2, 3, 4, 5, 6])
    }

    @Test func onePixelImagesDecode() throws {
        let png = try ImageEncoder.png(pixels: [200, 100, 50], width: 1, height: 1, channels: 3)
        let img = try ImageDecoder.decode(png)
        #expect(img.width == 1 && img.height == 1 && img.pixels == [200, 100, 50])
        let jpeg = try ImageEncoder.jpeg(pixels: [128], width: 1, height: 1, channels: 1, quality: 100)
        let j = try ImageDecoder.decode(jpeg)
        #expect(j.width == 1 && abs(Int(j.pixels[0]) - 128) <= 1)
        // Hashing refuses it with a specific reason.
        #expect(throws: ImagingError.self) { try ImageHasher.hash(png) }
        do { _ = try ImageHasher.hash(png) } catch { #expect(error.kind == .tooSmall) }
    }

    @Test func cmykJPEGBecomesRGB() throws {
        // Inverted-ink CMYK (255 = no ink): pure K=128 on white gives mid grey, C=0 gives no red.
        var cmyk = [UInt8]()
        for _ in 0..<(16 * 16) { cmyk += [255, 255, 255, 128] }
        for i in 0..<(16 * 16) where i % 16 >= 8 { cmyk[i * 4] = 0; cmyk[i * 4 + 3] = 255 }
        let data = try ImageEncoder.jpeg(pixels: cmyk, width: 16, height: 16, channels: 4, quality: 100)
        let img = try ImageDecoder.decode(data)
        #expect(img.channels == 3 && img.format == .jpeg)
        #expect(abs(Int(img[2, 2, 0]) - 128) <= 3 && abs(Int(img[2, 2, 1]) - 128) <= 3)
        #expect(Int(img[12, 5, 0]) <= 4 && Int(img[12, 5, 1]) >= 250 && Int(img[12, 5, 2]) >= 250)
    }

    @Test func hugePNGHeaderIsRefusedBeforeAllocation() throws {
        var bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        let ihdr = Array("IHDR".utf8) + be32(60_000) + be32(60_000) + [8, 2, 0, 0, 0]
        bytes += be32(13) + ihdr + be32(crc32(ihdr))
        let idat = Array("IDAT".utf8) + [0x78, 0x9C]
        bytes += be32(2) + idat + be32(crc32(idat))
        do {
            _ = try ImageDecoder.decode(Data(bytes))
            Issue.record("a 60000x60000 header must be refused")
        } catch {
            #expect(error.kind == .tooLarge)
            #expect(error.reason.contains("60000x60000"))
        }
        // Under a larger limit the same header gets as far as the (missing) pixel data.
        do { _ = try ImageDecoder.decode(Data(bytes), maxPixels: 4_000_000_000) } catch {
            #expect(error.kind != .tooLarge)
        }
    }

    @Test func hugeJPEGHeaderIsRefusedBeforeAllocation() throws {
        var jpeg = [UInt8](
            try ImageEncoder.jpeg(
                pixels: pattern(width: 16, height: 16, channels: 3), width: 16,
                height: 16, channels: 3, quality: 80))
        // Patch the SOF0 frame size to 60000x60000.
        let sof = try #require((0..<(jpeg.count - 9)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 })
        jpeg[sof + 5] = 0xEA; jpeg[sof + 6] = 0x60; jpeg[sof + 7] = 0xEA; jpeg[sof + 8] = 0x60
        do {
            _ = try ImageDecoder.decode(Data(jpeg))
            Issue.record("a 60000x60000 header must be refused")
        } catch {
            #expect(error.kind == .tooLarge)
        }
        let header = try ImageDecoder.header(Data(jpeg))
        #expect(header.width == 60_000 && header.height == 60_000 && header.format == .jpeg)
    }

    @Test(.enabled(if: sharedImagesDirectory() != nil, "../shared/data/images is absent"))
    func knownPixelValuesOfSharedSamples() throws {
        let dir = try #require(sharedImagesDirectory())
        // Values read with an independent decoder (Pillow) for the same files.
        let camera = try ImageDecoder.decode(Data(contentsOf: dir.appendingPathComponent("camera.png")))
        #expect(camera.width == 512 && camera.height == 512 && camera.channels == 1)
        let retina = try ImageDecoder.decode(Data(contentsOf: dir.appendingPathComponent("retina.jpg")))
        #expect(retina.width == 1411 && retina.height == 1411 && retina.channels == 3)
        let rgba = try ImageDecoder.decode(Data(contentsOf: dir.appendingPathComponent("imagehash.png")))
        #expect(rgba.width == 1200 && rgba.height == 600 && rgba.channels == 3)
        for (img, x, y, expected) in [
            (camera, 0, 0, cameraPixel00), (camera, 100, 200, cameraPixel100_200),
            (retina, 700, 700, retinaPixel700), (rgba, 600, 300, rgbaPixel600_300)
        ] {
            #expect((0..<img.channels).map { img[x, y, $0] } == expected, "pixel \(x),\(y)")
        }
    }
}

// Pillow 11.3 `getpixel` on the same files (JPEG: libjpeg-turbo, accurate integer IDCT, fancy upsampling).
let cameraPixel00: [UInt8] = [200]
let cameraPixel100_200: [UInt8] = [23]
let retinaPixel700: [UInt8] = [183, 42, 24]
let rgbaPixel600_300: [UInt8] = [72, 104, 127]
