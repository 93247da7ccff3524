import Foundation

/// Antialiased resampling (Lanczos-3 or bicubic) in two separable passes with 22-bit fixed-point weights, the
/// arithmetic of Pillow's `Image.resize` on 8-bit images.
///
/// Behaviour (Lanczos-3 is the resampler `pairdx-phash-v1` and the imagehash-compatible mode use; bicubic is
/// CLIP's test-time resize, as torchvision's `Resize(interpolation=BICUBIC)` calls Pillow):
/// - Per output index `o` of `out` samples taken from `in`: `scale = in/out`, `fs = max(scale, 1)`,
///   `support = r·fs` (`r` = 3 for Lanczos, 2 for bicubic), `center = (o + 0.5)·scale`; taps `i` in
///   `[trunc(center − support + 0.5), trunc(center + support + 0.5))` clipped to `[0, in)`; weight
///   `filter((i − center + 0.5)/fs)` with `lanczos(x) = sinc(x)·sinc(x/3)` on `[−3, 3)` and Keys' cubic with
///   a = −0.5 on `|x| < 2`, 0 elsewhere; weights divided by their sum, then fixed as `trunc(w·2²² ± 0.5)`
///   (sign of `w`).
/// - Sample = `clamp((2²¹ + Σ pixel·weight) >> 22, 0, 255)` (arithmetic shift), 8-bit between passes.
/// - Horizontal pass first (only over the rows the vertical pass reads), then vertical; a pass whose
///   size does not change is skipped.
/// Complexity: O(outW · inH · taps + outW · outH · taps), taps ≈ 6·max(1, in/out) + 1.
public enum Resample {
    static let precision: Int32 = 22

    struct Kernel: Sendable {
        /// First tap and tap count per output sample.
        var first: [Int]
        var count: [Int]
        /// Row-major `out × ksize` fixed-point weights.
        var weights: [Int32]
        var ksize: Int
    }

    @inline(__always) static func sinc(_ x: Double) -> Double {
        if x == 0 { return 1 }
        let y = x * Double.pi
        return sin(y) / y
    }

    @inline(__always) static func lanczos(_ x: Double) -> Double {
        (-3.0 <= x && x < 3.0) ? sinc(x) * sinc(x / 3) : 0
    }

    /// Keys' cubic convolution kernel with a = −0.5 (Pillow's `BICUBIC`).
    @inline(__always) static func bicubic(_ x: Double) -> Double {
        let a = -0.5, x = abs(x)
        if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
        if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
        return 0
    }

    /// The interpolation kernel of a resize.
    public enum Filter: Int, Sendable {
        /// Lanczos-3 (Pillow's `LANCZOS`): support 3.
        case lanczos3
        /// Keys' cubic, a = −0.5 (Pillow's `BICUBIC`): support 2.
        case bicubic

        var support: Double { self == .lanczos3 ? 3 : 2 }

        @inline(__always) func weight(_ x: Double) -> Double {
            self == .lanczos3 ? Resample.lanczos(x) : Resample.bicubic(x)
        }
    }

    /// Kernels already built, by (input size, output size). Figures come in few sizes and every hash
    /// resizes to the same few targets, so after the first images no weight is recomputed (the sines
    /// were about 5% of hashing time). Bounded: cleared when it reaches `cacheLimit` entries.
    private static let cache = KernelCache()
    static let cacheLimit = 4096

    private final class KernelCache: @unchecked Sendable {
        private let lock = NSLock()
        private var kernels: [Int: Kernel] = [:]
        func withLock<R>(_ body: (inout [Int: Kernel]) -> R) -> R {
            lock.lock(); defer { lock.unlock() }
            return body(&kernels)
        }
    }

    /// The kernel for resizing `inSize` samples to `outSize`, from the cache or built and cached.
    static func kernel(inSize: Int, outSize: Int, filter: Filter = .lanczos3) -> Kernel {
        let key = filter.rawValue << 62 | inSize << 31 | outSize
        if let k = cache.withLock({ $0[key] }) { return k }
        let k = buildKernel(inSize: inSize, outSize: outSize, filter: filter)
        cache.withLock {
            if $0.count >= cacheLimit { $0.removeAll(keepingCapacity: true) }
            $0[key] = k
        }
        return k
    }

    static func buildKernel(inSize: Int, outSize: Int, filter: Filter = .lanczos3) -> Kernel {
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(scale, 1.0)
        let support = filter.support * filterScale
        let ksize = Int(support.rounded(.up)) * 2 + 1
        var first = [Int](repeating: 0, count: outSize)
        var count = [Int](repeating: 0, count: outSize)
        var weights = [Int32](repeating: 0, count: outSize * ksize)
        var w = [Double](repeating: 0, count: ksize)
        let inverse = 1.0 / filterScale
        for o in 0..<outSize {
            let center = (Double(o) + 0.5) * scale
            let lo = max(0, Int(center - support + 0.5))
            let hi = min(inSize, Int(center + support + 0.5))
            let n = max(0, hi - lo)
            var total = 0.0
            for t in 0..<n {
                let v = filter.weight((Double(t + lo) - center + 0.5) * inverse)
                w[t] = v
                total += v
            }
            for t in 0..<n {
                let v = total != 0 ? w[t] / total : w[t]
                let fixed = v < 0 ? -0.5 + v * 4_194_304.0 : 0.5 + v * 4_194_304.0
                weights[o * ksize + t] = Int32(fixed)
            }
            first[o] = lo
            count[o] = n
        }
        return Kernel(first: first, count: count, weights: weights, ksize: ksize)
    }

    @inline(__always) static func clip(_ s: Int32) -> UInt8 {
        let v = s >> precision
        return v < 0 ? 0 : (v > 255 ? 255 : UInt8(truncatingIfNeeded: v))
    }

    /// The horizontal pass over one row of `kernel`'s input size: `channels`-interleaved samples from `src`,
    /// `kernel`'s output size of pixels to `dst`. O(output width × taps × channels).
    static func horizontalRow(
        _ src: UnsafePointer<UInt8>, _ dst: UnsafeMutablePointer<UInt8>, kernel h: Kernel,
        channels: Int
    ) {
        let outW = h.first.count
        h.weights.withUnsafeBufferPointer { k in
            h.first.withUnsafeBufferPointer { first in
                h.count.withUnsafeBufferPointer { count in
                    if channels == 1 {
                        // Grey fast path: one accumulator, unit stride.
                        for x in 0..<outW {
                            let lo = first[x], n = count[x], kb = x &* h.ksize
                            var s: Int32 = 1 << (precision - 1)
                            for t in 0..<n { s = s &+ Int32(src[lo &+ t]) &* k[kb &+ t] }
                            dst[x] = clip(s)
                        }
                        return
                    }
                    for x in 0..<outW {
                        let lo = first[x], n = count[x], kb = x &* h.ksize
                        for c in 0..<channels {
                            var s: Int32 = 1 << (precision - 1)
                            var p = lo &* channels &+ c
                            for t in 0..<n {
                                s = s &+ Int32(src[p]) &* k[kb &+ t]
                                p = p &+ channels
                            }
                            dst[x &* channels &+ c] = clip(s)
                        }
                    }
                }
            }
        }
    }

    /// Resizes an interleaved 8-bit raster with `channels` samples per pixel.
    public static func resize(
        _ pixels: [UInt8], width: Int, height: Int, channels: Int,
        toWidth outW: Int, toHeight outH: Int, filter: Filter = .lanczos3
    ) -> [UInt8] {
        precondition(width > 0 && height > 0 && outW > 0 && outH > 0 && channels > 0)
        precondition(pixels.count == width * height * channels)
        precondition(width < 1 << 31 && height < 1 << 31 && outW < 1 << 31 && outH < 1 << 31, "sides must fit 31 bits")
        let vertical = kernel(inSize: height, outSize: outH, filter: filter)
        var source = pixels
        var sourceWidth = width
        var rowOffset = 0
        if outW != width {
            // Rows the vertical pass reads.
            let firstRow = vertical.first[0]
            let lastRow = vertical.first[outH - 1] + vertical.count[outH - 1]
            let rows = lastRow - firstRow
            let h = kernel(inSize: width, outSize: outW, filter: filter)
            var temp = [UInt8](repeating: 0, count: outW * rows * channels)
            pixels.withUnsafeBufferPointer { src in
                temp.withUnsafeMutableBufferPointer { dst in
                    for y in 0..<rows {
                        horizontalRow(
                            src.baseAddress! + (y + firstRow) * width * channels,
                            dst.baseAddress! + y * outW * channels, kernel: h, channels: channels)
                    }
                }
            }
            source = temp
            sourceWidth = outW
            rowOffset = firstRow
        }
        if outH == height { return source }
        var out = [UInt8](repeating: 0, count: sourceWidth * outH * channels)
        let stride = sourceWidth * channels
        source.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                vertical.weights.withUnsafeBufferPointer { k in
                    for y in 0..<outH {
                        let lo = vertical.first[y] - rowOffset, n = vertical.count[y], kb = y * vertical.ksize
                        for i in 0..<stride {
                            var s: Int32 = 1 << (precision - 1)
                            var p = lo &* stride &+ i
                            for t in 0..<n {
                                s = s &+ Int32(src[p]) &* k[kb &+ t]
                                p = p &+ stride
                            }
                            dst[y &* stride &+ i] = clip(s)
                        }
                    }
                }
            }
        }
        return out
    }

    /// Resizes an image (grey or RGB) to `width` × `height`.
    public static func resize(_ image: Image, width: Int, height: Int) -> Image {
        let px = resize(
            image.pixels, width: image.width, height: image.height, channels: image.channels,
            toWidth: width, toHeight: height)
        return Image(width: width, height: height, channels: image.channels, pixels: px, format: image.format)
    }
}

/// One grey resize fed a row at a time, top to bottom: each row gets its horizontal pass at once and is
/// added, with its vertical weight, to the output rows whose taps include it. The sums are the same
/// wrapping `Int32` additions in the same order as `Resample.resize`'s vertical pass, so the output is
/// identical to it, byte for byte. Memory: one row of the input width plus the output plane (as `Int32`).
struct RowResizer {
    let width: Int, height: Int, outW: Int, outH: Int
    private let horizontal: Resample.Kernel?
    private let vertical: Resample.Kernel
    private let firstRow: Int, lastRow: Int
    private var sums: [Int32]
    private var direct: [UInt8]
    private var temp: [UInt8]
    private var nextOut = 0

    init(width: Int, height: Int, toWidth outW: Int, toHeight outH: Int, filter: Resample.Filter = .lanczos3) {
        precondition(width > 0 && height > 0 && outW > 0 && outH > 0)
        precondition(width < 1 << 31 && height < 1 << 31 && outW < 1 << 31 && outH < 1 << 31, "sides must fit 31 bits")
        self.width = width; self.height = height; self.outW = outW; self.outH = outH
        horizontal = outW != width ? Resample.kernel(inSize: width, outSize: outW, filter: filter) : nil
        vertical = Resample.kernel(inSize: height, outSize: outH, filter: filter)
        if outH == height {
            (firstRow, lastRow) = (0, height)
            sums = []
            direct = [UInt8](repeating: 0, count: outW * outH)
        } else {
            (firstRow, lastRow) = (vertical.first[0], vertical.first[outH - 1] + vertical.count[outH - 1])
            sums = [Int32](repeating: 1 << (Resample.precision - 1), count: outW * outH)
            direct = []
        }
        temp = [UInt8](repeating: 0, count: outW)
    }

    /// Row `y` (`width` grey samples); rows must come in order.
    mutating func push(_ row: UnsafePointer<UInt8>, y: Int) {
        guard y >= firstRow && y < lastRow else { return }
        let outW = self.outW
        if outH == height {
            direct.withUnsafeMutableBufferPointer { d in
                if let horizontal {
                    Resample.horizontalRow(row, d.baseAddress! + y * outW, kernel: horizontal, channels: 1)
                } else {
                    (d.baseAddress! + y * outW).update(from: row, count: outW)
                }
            }
            return
        }
        let v = vertical
        while nextOut < outH && v.first[nextOut] + v.count[nextOut] <= y { nextOut += 1 }
        let start = nextOut
        temp.withUnsafeMutableBufferPointer { t in
            let line: UnsafePointer<UInt8>
            if let horizontal {
                Resample.horizontalRow(row, t.baseAddress!, kernel: horizontal, channels: 1)
                line = UnsafePointer(t.baseAddress!)
            } else {
                line = row
            }
            sums.withUnsafeMutableBufferPointer { acc in
                v.weights.withUnsafeBufferPointer { k in
                    var o = start
                    while o < outH && v.first[o] <= y {
                        let w = k[o &* v.ksize &+ (y &- v.first[o])]
                        let base = o &* outW
                        for x in 0..<outW { acc[base &+ x] = acc[base &+ x] &+ Int32(line[x]) &* w }
                        o += 1
                    }
                }
            }
        }
    }

    /// The resized plane, `outW × outH` bytes.
    func result() -> [UInt8] {
        outH == height ? direct : sums.map(Resample.clip)
    }
}
