import Foundation
import PairDxCore
import Testing
@testable import Imaging

/// PNG files built here byte by byte: every filter type on every row layout, stored (uncompressed) deflate
/// blocks, the stream split over several IDAT chunks.
enum HandBuiltPNG {
    /// Samples per pixel of a colour type.
    static func samples(_ colorType: Int) -> Int { [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][colorType]! }

    /// The forward filter `filter` of one row (`bpp` bytes per pixel, at least 1), given the previous raw row.
    static func filtered(_ row: [UInt8], previous: [UInt8], filter: Int, bpp: Int) -> [UInt8] {
        var out = [UInt8(filter)]
        for i in 0..<row.count {
            let a = i >= bpp ? Int(row[i - bpp]) : 0, b = Int(previous[i]), c = i >= bpp ? Int(previous[i - bpp]) : 0
            let predictor: Int
            switch filter {
            case 1: predictor = a
            case 2: predictor = b
            case 3: predictor = (a + b) / 2
            case 4:
                let p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
            default: predictor = 0
            }
            out.append(UInt8(truncatingIfNeeded: Int(row[i]) - predictor))
        }
        return out
    }

    /// A zlib stream of stored blocks of at most `block` bytes.
    static func storedZlib(_ bytes: [UInt8], block: Int = 65_535) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var start = 0
        repeat {
            let n = min(block, bytes.count - start)
            let last = start + n == bytes.count
            out += [last ? 1 : 0, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            out += bytes[start..<(start + n)]
            start += n
        } while start < bytes.count
        var a: UInt32 = 1, b: UInt32 = 0
        for x in bytes { a = (a + UInt32(x)) % 65_521; b = (b + a) % 65_521 }
        return out + be32(b << 16 | a)
    }

    /// A sequential PNG of packed rows `raw` whose row `y` uses filter `(y + shift) % 5`, its zlib stream cut
    /// into IDAT chunks of `chunkSize` bytes.
    static func png(
        raw: [UInt8], width: Int, height: Int, colorType: Int, bitDepth: Int, palette: [UInt8] = [],
        trns: [UInt8] = [], shift: Int = 0, chunkSize: Int = 1 << 30
    ) -> Data {
        let bits = samples(colorType) * bitDepth
        let rowBytes = (width * bits + 7) / 8, bpp = max(1, bits / 8)
        var stream = [UInt8]()
        var previous = [UInt8](repeating: 0, count: rowBytes)
        for y in 0..<height {
            let row = Array(raw[(y * rowBytes)..<((y + 1) * rowBytes)])
            stream += filtered(row, previous: previous, filter: (y + shift) % 5, bpp: bpp)
            previous = row
        }
        var bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        bytes += Bombs.chunk(
            "IHDR", be32(UInt32(width)) + be32(UInt32(height)) + [UInt8(bitDepth), UInt8(colorType), 0, 0, 0])
        if !palette.isEmpty { bytes += Bombs.chunk("PLTE", palette) }
        if !trns.isEmpty { bytes += Bombs.chunk("tRNS", trns) }
        bytes += Bombs.chunk("tEXt", Array("Comment\u{0}skipped unread".utf8))
        let z = storedZlib(stream, block: 1_000)
        for start in stride(from: 0, to: z.count, by: chunkSize) {
            bytes += Bombs.chunk("IDAT", Array(z[start..<min(z.count, start + chunkSize)]))
        }
        bytes += Bombs.chunk("IEND", [])
        return Data(bytes)
    }
}

/// Collects rows and notes how much of `memory` was in use when the first row arrived.
final class MemoryWatchingCollector: RowConsumer {
    let memory: DecodeMemory
    let collector = ImageCollector()
    var inUseAtFirstRow = -1

    init(_ memory: DecodeMemory) { self.memory = memory }

    func begin(_ layout: RowLayout) throws(ImagingError) { try collector.begin(layout) }

    func row(_ pixels: UnsafeBufferPointer<UInt8>, y: Int) {
        if y == 0 { inUseAtFirstRow = memory.inUse }
        collector.row(pixels, y: y)
    }
}

@Suite struct PNGDecoderTests {
    /// Every legal (colour type, bit depth) pair.
    static let layouts: [(colorType: Int, bitDepth: Int)] = [
        (0, 1), (0, 2), (0, 4), (0, 8), (0, 16), (2, 8), (2, 16), (3, 1), (3, 2), (3, 4), (3, 8), (4, 8), (4, 16),
        (6, 8), (6, 16)
    ]

    /// What a decode gives: the image, or the error's kind.
    enum Outcome: Equatable, CustomStringConvertible {
        case image(Image)
        case failure(ImagingError.Kind)

        var description: String {
            switch self {
            case .image(let i): "\(i.width)x\(i.height)x\(i.channels) image"
            case .failure(let k): k.rawValue
            }
        }
    }

    static func decode(
        _ data: Data, _ decoder: PNGCodec.Decoder, memory: DecodeMemory = DecodeMemory(capacity: 64 << 20)
    ) -> Outcome {
        let collector = ImageCollector()
        do {
            try PNGCodec.decodeRows(data, budget: DecodeBudget(memory: memory), into: collector, decoder: decoder)
            return .image(collector.image())
        } catch {
            return .failure(error.kind)
        }
    }

    static func reason(_ data: Data, _ decoder: PNGCodec.Decoder) -> String {
        do {
            try PNGCodec.decodeRows(data, budget: DecodeBudget(), into: ImageCollector(), decoder: decoder)
            return "decoded"
        } catch { return error.reason }
    }

    /// Random packed rows, a palette of `entries` colours (fewer than the indices can address, so some point past
    /// it) and a tRNS chunk fitting the colour type.
    static func content(colorType: Int, bitDepth: Int, width: Int, height: Int, seed: UInt64)
        -> (raw: [UInt8], palette: [UInt8], trns: [UInt8])
    {
        var rng = SplitMix64(state: seed)
        let bits = HandBuiltPNG.samples(colorType) * bitDepth
        let rowBytes = (width * bits + 7) / 8
        // Smooth runs with noise, so every filter has something to predict; a few rows of pure noise.
        var raw = [UInt8](repeating: 0, count: rowBytes * height)
        for i in 0..<raw.count {
            let r = rng.next()
            raw[i] =
                (i / rowBytes) % 4 == 3
                ? UInt8(truncatingIfNeeded: r) : UInt8(truncatingIfNeeded: (i % rowBytes) * 3 + Int(r % 9))
        }
        if colorType == 3 && bitDepth == 8 { raw = raw.map { $0 % 200 } }  // indices 190…199 are past the palette
        let entries = colorType == 3 ? min(1 << bitDepth, 190) - (bitDepth == 1 ? 0 : 1) : 0
        let palette = (0..<(entries * 3)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let trns: [UInt8] =
            switch colorType {
            case 0: [0, 7]
            case 2: [0, 1, 0, 2, 0, 3]
            case 3: [0, 128, 255]
            default: []
            }
        return (raw, palette, trns)
    }

    @Test func everyLayoutDecodesToLibpngsPixels() throws {
        var compared = 0
        for (ct, depth) in Self.layouts {
            for (w, h) in [(1, 1), (3, 2), (13, 9), (64, 31), (97, 40)] {
                let seed = UInt64(ct * 100 + depth * 10_000 + w * h)
                let c = Self.content(colorType: ct, bitDepth: depth, width: w, height: h, seed: seed)
                var files = [(String, Data)]()
                // libpng writes no index past the palette: it gets a full one.
                let full = c.palette + (c.palette.count..<(ct == 3 ? 3 << depth : 0)).map { UInt8($0 % 256) }
                for interlaced in [false, true] {
                    files.append(
                        (
                            "libpng-encoded \(interlaced ? "Adam7" : "sequential")",
                            try PNGCodec.encodeRaw(
                                c.raw, width: w, height: h, colorType: ct, bitDepth: depth,
                                interlaced: interlaced, palette: full, trns: c.trns)
                        ))
                }
                for shift in 0..<5 {
                    files.append(
                        (
                            "filters from \(shift), one IDAT",
                            HandBuiltPNG.png(
                                raw: c.raw, width: w, height: h, colorType: ct, bitDepth: depth,
                                palette: c.palette, trns: c.trns, shift: shift)
                        ))
                }
                files.append(
                    (
                        "filters, IDATs of 7 bytes",
                        HandBuiltPNG.png(
                            raw: c.raw, width: w, height: h, colorType: ct, bitDepth: depth,
                            palette: c.palette, shift: 2, chunkSize: 7)
                    ))
                for (what, data) in files {
                    let reference = Self.decode(data, .libpng)
                    guard case .image(let image) = reference else {
                        Issue.record("libpng refused \(what), colour type \(ct), \(depth)-bit, \(w)x\(h): \(reference)")
                        continue
                    }
                    #expect(image.width == w && image.height == h)
                    for decoder in [PNGCodec.Decoder.ours, .oursStreaming] {
                        let ours = Self.decode(data, decoder)
                        #expect(ours == reference, "\(decoder) on \(what), colour type \(ct), \(depth)-bit, \(w)x\(h)")
                        compared += 1
                    }
                }
            }
        }
        #expect(compared == Self.layouts.count * 5 * 8 * 2)
    }

    @Test func wholeStreamInflateIsUsedOnlyWhenTheMemoryIsFree() throws {
        let (w, h) = (200, 150)
        let c = Self.content(colorType: 2, bitDepth: 8, width: w, height: h, seed: 7)
        let data = HandBuiltPNG.png(raw: c.raw, width: w, height: h, colorType: 2, bitDepth: 8, chunkSize: 5_000)
        let stream = (w * 3 + 1) * h
        for (capacity, whole) in [(64 << 20, true), (stream, false)] {
            let memory = DecodeMemory(capacity: capacity)
            let watcher = MemoryWatchingCollector(memory)
            try PNGCodec.decodeRows(data, budget: DecodeBudget(memory: memory), into: watcher)
            // The inflated stream plus the joined compressed chunks, or nothing while streaming.
            #expect(
                (watcher.inUseAtFirstRow > stream) == whole,
                "capacity \(capacity): \(watcher.inUseAtFirstRow) bytes held")
            #expect(memory.inUse == 0)
            #expect(Outcome.image(watcher.collector.image()) == Self.decode(data, .libpng))
        }
    }

    /// Files cut short and damaged at many places get the kind libpng gives them (or its pixels).
    @Test func damagedFilesFailAsLibpngDoes() throws {
        var files = [(String, Data)]()
        for (ct, depth, interlaced) in [(0, 8, false), (2, 16, true), (3, 4, false), (6, 8, false), (0, 1, true)] {
            let c = Self.content(colorType: ct, bitDepth: depth, width: 45, height: 30, seed: UInt64(ct + depth))
            let full = c.palette + (c.palette.count..<(ct == 3 ? 3 << depth : 0)).map { UInt8($0 % 256) }
            files.append(
                (
                    "libpng colour type \(ct) \(depth)-bit\(interlaced ? " Adam7" : "")",
                    try PNGCodec.encodeRaw(
                        c.raw, width: 45, height: 30, colorType: ct, bitDepth: depth,
                        interlaced: interlaced, palette: full, trns: c.trns)
                ))
        }
        let c = Self.content(colorType: 2, bitDepth: 8, width: 40, height: 20, seed: 3)
        files.append(
            (
                "hand-built, IDATs of 300 bytes",
                HandBuiltPNG.png(raw: c.raw, width: 40, height: 20, colorType: 2, bitDepth: 8, chunkSize: 300)
            ))
        // Longer than libpng's 8 KiB reads: one 19 KB IDAT, and libpng's own 8 KiB chunks.
        let big = Self.content(colorType: 2, bitDepth: 8, width: 100, height: 60, seed: 4)
        files.append(
            (
                "hand-built, one IDAT of 19 KB",
                HandBuiltPNG.png(raw: big.raw, width: 100, height: 60, colorType: 2, bitDepth: 8)
            ))
        files.append(
            (
                "libpng 100x60 RGB",
                try PNGCodec.encodeRaw(
                    big.raw.map { $0 | 1 }, width: 100, height: 60, colorType: 2, bitDepth: 8,
                    interlaced: false)
            ))
        var checked = 0
        for (name, original) in files {
            let bytes = [UInt8](original)
            var variants = [(String, Data)]()
            for cut in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 97)) {
                variants.append(("cut at \(cut)", Data(bytes[..<cut])))
            }
            for end in 1...16 { variants.append(("cut \(end) from the end", Data(bytes[..<(bytes.count - end)]))) }
            var rng = SplitMix64(state: UInt64(bytes.count))
            for _ in 0..<80 {
                var damaged = bytes
                let at = 8 + Int(rng.next() % UInt64(bytes.count - 8))
                damaged[at] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
                variants.append(("byte \(at) changed", Data(damaged)))
                // The same change with the chunk's CRC made good again, so the damage reaches the chunk's reader.
                variants.append(("byte \(at) changed, CRC mended", Data(Self.mendingCRCs(damaged))))
            }
            for (what, data) in variants {
                let reference = Self.decode(data, .libpng)
                for decoder in [PNGCodec.Decoder.ours, .oursStreaming] {
                    #expect(
                        Self.decode(data, decoder) == reference,
                        "\(decoder) on \(name), \(what): \(Self.reason(data, decoder)); libpng: \(Self.reason(data, .libpng))"
                    )
                    checked += 1
                }
            }
        }
        #expect(checked > 1_000)
    }

    /// Recomputes the CRC of every chunk that lies whole in the file.
    static func mendingCRCs(_ bytes: [UInt8]) -> [UInt8] {
        var out = bytes
        var pos = 8
        while pos + 12 <= out.count {
            let length = Int(
                UInt32(out[pos]) << 24 | UInt32(out[pos + 1]) << 16 | UInt32(out[pos + 2]) << 8 | UInt32(out[pos + 3]))
            guard length <= out.count - pos - 12 else { break }
            let crc = be32(crc32(Array(out[(pos + 4)..<(pos + 8 + length)])))
            out.replaceSubrange((pos + 8 + length)..<(pos + 12 + length), with: crc)
            pos += 12 + length
        }
        return out
    }
}
