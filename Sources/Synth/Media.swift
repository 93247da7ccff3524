import Foundation
import Imaging

/// 8-bit interleaved pixels with their geometry.
struct Pixels: Sendable {
    var data: [UInt8]
    var width: Int
    var height: Int
    var channels: Int
}

/// Turns planned figures into media bytes: draw, harden, quantise, encode; derive near duplicates; plant
/// byte-level hazards. Every function is pure in (plan, seed), so results are identical on any thread.
enum MediaRenderer {
    /// Pixels of a figure drawn for itself (`source == .own`). O(w·h).
    static func draw(_ f: FigurePlan, seed: UInt64) -> Pixels {
        var rng = SynthRandom(seed: seed, domain: "synth.image", id: f.id)
        var r =
            f.other?.paint(width: f.width, height: f.height, rng: &rng)
            ?? f.cls.paint(width: f.width, height: f.height, rng: &rng)
        for h in f.hard { h.apply(to: &r, rng: &rng) }
        if !f.hard.isEmpty { Hardening.desaturate(&r) }
        if f.grayAsRGB { r = Geometry.toRGB(r) }
        return Pixels(data: r.quantized(), width: r.width, height: r.height, channels: r.channels)
    }

    /// Pixels of a near duplicate of `root` made the planned way.
    static func derive(_ f: FigurePlan, from root: Pixels, how: NearHow, seed: UInt64) -> Pixels {
        var rng = SynthRandom(seed: seed, domain: "synth.near.pixels", id: f.id)
        let src = Geometry.raster(from: root.data, width: root.width, height: root.height, channels: root.channels)
        switch how {
        case .requality:
            return root
        case .rescaled:
            let r = Geometry.resize(src, width: f.width, height: f.height)
            return Pixels(data: r.quantized(), width: r.width, height: r.height, channels: r.channels)
        case .cropped:
            // 3–15% of each side's length, the left (top) edge taking 25–75% of it.
            let cw = rng.uniform(0.03, 0.15), ch = rng.uniform(0.03, 0.15)
            let sw = rng.uniform(0.25, 0.75), sh = rng.uniform(0.25, 0.75)
            let l = Int(Double(root.width) * cw * sw), t = Int(Double(root.height) * ch * sh)
            let w = Int(Double(root.width) * (1 - cw)), h = Int(Double(root.height) * (1 - ch))
            let r = Geometry.crop(src, x: l, y: t, width: w, height: h)
            return Pixels(data: r.quantized(), width: r.width, height: r.height, channels: r.channels)
        case .panel:
            // One half (left, right, top or bottom), less a gutter of 0–2% of the cut side at the cut.
            let side = rng.int(0...3), g = rng.uniform(0, 0.02)
            let hw = root.width / 2, hh = root.height / 2
            let gw = Int(Double(root.width) * g), gh = Int(Double(root.height) * g)
            let r: Raster
            switch side {
            case 0: r = Geometry.crop(src, x: 0, y: 0, width: hw - gw, height: root.height)
            case 1: r = Geometry.crop(src, x: hw + gw, y: 0, width: root.width - hw - gw, height: root.height)
            case 2: r = Geometry.crop(src, x: 0, y: 0, width: root.width, height: hh - gh)
            default: r = Geometry.crop(src, x: 0, y: hh + gh, width: root.width, height: root.height - hh - gh)
            }
            return Pixels(data: r.quantized(), width: r.width, height: r.height, channels: r.channels)
        }
    }

    /// Encodes pixels in the figure's planned format.
    static func encode(_ p: Pixels, as f: FigurePlan) throws -> Data {
        switch f.format {
        case .png:
            return try ImageEncoder.png(pixels: p.data, width: p.width, height: p.height, channels: p.channels)
        case .jpeg:
            return try ImageEncoder.jpeg(
                pixels: p.data, width: p.width, height: p.height, channels: p.channels,
                quality: f.quality, progressive: f.progressive)
        case .tiff:
            return Hazards.tiff(p)
        case .html:
            return Hazards.html(title: f.id)
        }
    }

    /// A table rendered as an image (ruled rows of text-like dashes), grayscale PNG.
    static func tableImage(seed: UInt64, id: String) throws -> Data {
        var rng = SynthRandom(seed: seed, domain: "synth.table", id: id)
        let w = rng.int(480...720), rows = rng.int(4...9), rowH = 28
        let h = rows * rowH + 20
        var r = Raster(width: w, height: h, channels: 1, fill: 255)
        let cols = rng.int(3...5)
        for row in 0...rows {
            let y = Float(10 + row * rowH)
            if row <= 1 || row == rows {
                r.stroke([(8, y), (Float(w - 8), y)], thickness: row == 1 ? 1 : 2, color: [0])
            }
            guard row < rows else { continue }
            for c in 0..<cols {
                let x0 = Float(14 + c * (w - 28) / cols)
                let len = rng.float(20, Float((w - 28) / cols - 16))
                r.stroke([(x0, y + 14), (x0 + len, y + 14)], thickness: 7, color: [60], opacity: 0.8, soft: 1)
            }
        }
        return try ImageEncoder.png(pixels: r.quantized(), width: w, height: h, channels: 1)
    }

    /// An inline formula rendered as a small image, grayscale PNG.
    static func formulaImage(seed: UInt64, id: String) throws -> Data {
        var rng = SynthRandom(seed: seed, domain: "synth.formula", id: id)
        let w = rng.int(90...180), h = 32
        var r = Raster(width: w, height: h, channels: 1, fill: 255)
        var x: Float = 6
        while x < Float(w - 14) {
            let gw = rng.float(5, 11)
            r.stroke([(x, rng.float(8, 14)), (x + gw, rng.float(18, 26))], thickness: 2, color: [0])
            x += gw + rng.float(3, 8)
        }
        return try ImageEncoder.png(pixels: r.quantized(), width: w, height: h, channels: 1)
    }
}

/// Byte-level hazards: damaged, truncated, mislabelled and unsupported media files.
enum Hazards {
    /// Keeps the PNG signature and header chunk, overwrites the rest with random bytes: decoders must fail
    /// (chunk CRC or zlib errors), never crash.
    static func corrupt(_ png: Data, seed: UInt64, id: String) -> Data {
        var rng = SynthRandom(seed: seed, domain: "synth.corrupt", id: id)
        var out = Data(png.prefix(33))
        out.reserveCapacity(png.count)
        for _ in 33..<max(34, png.count) { out.append(UInt8(truncatingIfNeeded: rng.next())) }
        return out
    }

    /// The first 35–65% of the file, as a download cut short leaves it.
    static func truncate(_ data: Data, seed: UInt64, id: String) -> Data {
        var rng = SynthRandom(seed: seed, domain: "synth.truncate", id: id)
        return Data(data.prefix(Int(Double(data.count) * rng.uniform(0.35, 0.65))))
    }

    /// An HTML error page (what a misconfigured server returns under an image name).
    static func html(title: String) -> Data {
        Data(
            """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><title>403 Forbidden</title></head>
            <body><h1>Forbidden</h1><p>You don't have permission to access this resource.</p>
            <hr><address>request \(Markup.escape(title))</address></body></html>

            """.utf8)
    }

    /// Baseline uncompressed little-endian TIFF (grayscale from luma), a format the pipeline does not decode.
    static func tiff(_ p: Pixels) -> Data {
        var gray = [UInt8](repeating: 0, count: p.width * p.height)
        for i in 0..<gray.count {
            if p.channels == 1 {
                gray[i] = p.data[i]
            } else {
                let r = Int(p.data[3 * i]), g = Int(p.data[3 * i + 1]), b = Int(p.data[3 * i + 2])
                gray[i] = UInt8((r * 299 + g * 587 + b * 114) / 1000)
            }
        }
        var d = Data([0x49, 0x49, 0x2A, 0x00])
        func u16(_ v: Int) { d.append(UInt8(v & 0xFF)); d.append(UInt8((v >> 8) & 0xFF)) }
        func u32(_ v: Int) { for k in 0..<4 { d.append(UInt8((v >> (8 * k)) & 0xFF)) } }
        u32(8)
        let entries: [(tag: Int, type: Int, value: Int)] = [
            (256, 4, p.width), (257, 4, p.height), (258, 3, 8), (259, 3, 1), (262, 3, 1),
            (273, 4, 8 + 2 + 9 * 12 + 4), (277, 3, 1), (278, 4, p.height), (279, 4, gray.count)
        ].map { ($0.0, $0.1, $0.2) }
        u16(entries.count)
        for e in entries {
            u16(e.tag); u16(e.type); u32(1)
            if e.type == 3 { u16(e.value); u16(0) } else { u32(e.value) }
        }
        u32(0)
        d.append(contentsOf: gray)
        return d
    }
}
