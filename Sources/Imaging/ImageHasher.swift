import Foundation
import PairDxCore

/// How an image's bytes become hashes.
public enum HashMode: String, Sendable, CaseIterable {
    /// `pairdx-phash-v1`: as `imagehash`, except that JPEGs are decoded with DCT scaling to the
    /// smallest M/8 keeping both sides ≥ 64 px (`docs/pairdx-phash-v1.md`).
    case v1 = "pairdx-phash-v1"
    /// imagehash 4.3.2 on Pillow: full-size decode, then the same luma, resampler and hash rules.
    case imagehash
}

/// The outcome of hashing one file.
public struct HashedImage: Sendable, Equatable {
    public var format: ImageFormat
    public var width: Int
    public var height: Int
    public var channels: Int
    /// sha256 of the full-size decoded pixels, when asked for.
    public var pixelSHA256: String?
    public var hashes: ImageHashes
}

public enum ImageHasher {
    /// Smallest side an image may have to be hashed; smaller ones are `too-small`.
    public static let minimumSide = 8

    /// Decodes and hashes `data`. With `pixelDigest`, JPEGs are decoded twice in `v1` mode (full
    /// size for the digest, DCT-scaled for the hashes); PNGs once. O(pixels).
    public static func hash(_ data: Data, mode: HashMode = .v1, maxPixels: Int = ImageDecoder.defaultMaxPixels,
                            pixelDigest: Bool = false, wide: Bool = false) throws(ImagingError) -> HashedImage {
        let format = try ImageDecoder.format(of: data)
        var digest: String?
        var full: Image?
        if pixelDigest || mode == .imagehash || format == .png {
            let img = try ImageDecoder.decode(data, maxPixels: maxPixels)
            if pixelDigest { digest = SHA256.hex(img.pixels) }
            full = img
        }
        let source: Image
        if let full, !(mode == .v1 && format == .jpeg) {
            source = full
        } else {
            source = try ImageDecoder.decode(data, minSide: 64, maxPixels: maxPixels)
        }
        let w = full?.width ?? 0, h = full?.height ?? 0
        let (fw, fh) = full != nil ? (w, h) : try fullSize(data)
        guard fw >= minimumSide, fh >= minimumSide else {
            throw ImagingError(.tooSmall, "\(fw)x\(fh) (hashing needs at least \(minimumSide) px a side)")
        }
        let hashes = PerceptualHash.hashes(luma: Luma.plane(source), width: source.width, height: source.height, wide: wide)
        return HashedImage(format: format, width: fw, height: fh, channels: source.channels, pixelSHA256: digest,
                           hashes: hashes)
    }

    /// The three hashes of an already decoded image (luma, resample, hash). O(pixels).
    public static func hashes(of image: Image, wide: Bool = false) -> ImageHashes {
        PerceptualHash.hashes(luma: Luma.plane(image), width: image.width, height: image.height, wide: wide)
    }

    private static func fullSize(_ data: Data) throws(ImagingError) -> (Int, Int) {
        let h = try ImageDecoder.header(data)
        return (h.width, h.height)
    }
}
