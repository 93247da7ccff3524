import Foundation
import Testing
@testable import Imaging

/// A deterministic test pattern: smooth gradients plus a bright square, so JPEG stays close.
func pattern(width: Int, height: Int, channels: Int) -> [UInt8] {
    var p = [UInt8](repeating: 0, count: width * height * channels)
    for y in 0..<height {
        for x in 0..<width {
            for c in 0..<channels {
                var v = (x * 255 / max(1, width - 1) + c * 60 + y * 2) % 256
                if x >= width / 4 && x < width / 2 && y >= height / 4 && y < height / 2 { v = 240 }
                p[(y * width + x) * channels + c] = UInt8(v)
            }
        }
    }
    return p
}

func maxAbsDifference(_ a: [UInt8], _ b: [UInt8]) -> Int {
    zip(a, b).map { abs(Int($0) - Int($1)) }.max() ?? 0
}

func meanAbsDifference(_ a: [UInt8], _ b: [UInt8]) -> Double {
    Double(zip(a, b).map { abs(Int($0) - Int($1)) }.reduce(0, +)) / Double(max(1, a.count))
}

@Suite struct CodecRoundTripTests {
    @Test(arguments: [1, 3])
    func pngRoundTripIsExact(channels: Int) throws {
        let px = pattern(width: 37, height: 23, channels: channels)
        let data = try ImageEncoder.png(pixels: px, width: 37, height: 23, channels: channels)
        #expect(FormatSniffer.sniff(data) == .png)
        let img = try ImageDecoder.decode(data)
        #expect(img.width == 37 && img.height == 23 && img.channels == channels && img.format == .png)
        #expect(img.pixels == px)
    }

    @Test func pngDropsAlphaWithoutCompositing() throws {
        // RGBA with alpha 0 everywhere: the colour samples must survive untouched.
        var rgba = [UInt8]()
        for i in 0..<(4 * 5) { rgba += [UInt8(i * 10), UInt8(255 - i), 7, 0] }
        let data = try ImageEncoder.png(pixels: rgba, width: 4, height: 5, channels: 4)
        let img = try ImageDecoder.decode(data)
        #expect(img.channels == 3)
        #expect(img[0, 0, 0] == 0 && img[1, 0, 0] == 10 && img[1, 0, 1] == 254 && img[3, 4, 2] == 7)
    }

    @Test func pngEncodingIsDeterministic() throws {
        let px = pattern(width: 64, height: 64, channels: 3)
        let a = try ImageEncoder.png(pixels: px, width: 64, height: 64, channels: 3)
        let b = try ImageEncoder.png(pixels: px, width: 64, height: 64, channels: 3)
        #expect(a == b)
    }

    @Test(arguments: [(3, false), (3, true), (1, false), (1, true)])
    func jpegRoundTripIsClose(channels: Int, progressive: Bool) throws {
        let px = pattern(width: 64, height: 48, channels: channels)
        let data = try ImageEncoder.jpeg(
            pixels: px, width: 64, height: 48, channels: channels, quality: 95,
            progressive: progressive)
        #expect(FormatSniffer.sniff(data) == .jpeg)
        let img = try ImageDecoder.decode(data)
        #expect(img.width == 64 && img.height == 48 && img.channels == channels && img.format == .jpeg)
        // 4:2:0 chroma blurs the pattern's colour wrap-arounds, so RGB gets a looser bound.
        #expect(meanAbsDifference(img.pixels, px) < (channels == 1 ? 3.0 : 8.0))
        // The flat square's centre survives nearly exactly.
        #expect(abs(Int(img[24, 18, 0]) - 240) <= 3)
    }

    @Test func jpegDCTScaledDecodeIsSmaller() throws {
        let px = pattern(width: 512, height: 384, channels: 3)
        let data = try ImageEncoder.jpeg(pixels: px, width: 512, height: 384, channels: 3, quality: 90)
        let small = try ImageDecoder.decode(data, minSide: 64)
        // 1/8 would give 64x48 (below 64); 2/8 gives 128x96.
        #expect(small.width == 128 && small.height == 96)
    }

    @Test func badInputsGetSpecificReasons() throws {
        let png = try ImageEncoder.png(
            pixels: pattern(width: 40, height: 40, channels: 3), width: 40, height: 40, channels: 3)
        let jpeg = try ImageEncoder.jpeg(
            pixels: pattern(width: 40, height: 40, channels: 3), width: 40, height: 40,
            channels: 3, quality: 90)
        func kind(_ d: Data) -> ImagingError.Kind? {
            do { _ = try ImageDecoder.decode(d); return nil } catch { return error.kind }
        }
        #expect(kind(Data()) == .empty)
        #expect(kind(png.prefix(png.count / 2)) == .truncated)
        #expect(kind(jpeg.prefix(jpeg.count / 2)) == .truncated)
        #expect(kind(Data("<!DOCTYPE html><html><body>Not found</body></html>".utf8)) == .notAnImage)
        #expect(kind(Data("GIF89a".utf8) + Data(repeating: 0, count: 20)) == .unsupportedFormat)
        #expect(kind(Data([0x49, 0x49, 0x2A, 0x00, 8, 0, 0, 0])) == .unsupportedFormat)
        var rng = SystemRandomNumberGenerator()
        let random = Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &rng) })
        #expect(kind(random) != nil)
    }
}
