/// 8-bit luma, the integer formula of ITU-R BT.601 weights in 16-bit fixed point:
/// `L = (19595·R + 38470·G + 7471·B + 32768) >> 16` (the weights sum to 65536, so white stays 255).
/// Grey images are returned unchanged. O(width × height).
public enum Luma {
    public static func plane(_ image: Image) -> [UInt8] {
        if image.channels == 1 { return image.pixels }
        let n = image.width * image.height
        var out = [UInt8](repeating: 0, count: n)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in row(src.baseAddress!, dst.baseAddress!, pixels: n) }
        }
        return out
    }

    /// Luma of `n` interleaved RGB pixels from `src` into `dst`.
    @inline(__always) static func row(_ src: UnsafePointer<UInt8>, _ dst: UnsafeMutablePointer<UInt8>, pixels n: Int) {
        for i in 0..<n {
            let r = UInt32(src[3 &* i]), g = UInt32(src[3 &* i &+ 1]), b = UInt32(src[3 &* i &+ 2])
            dst[i] = UInt8(truncatingIfNeeded: (r &* 19595 &+ g &* 38470 &+ b &* 7471 &+ 32768) >> 16)
        }
    }
}
