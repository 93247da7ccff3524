import Foundation
import PairDxCore

/// How an image's bytes become hashes.
public enum HashMode: String, Sendable, CaseIterable {
    /// `pairdx-phash-v1`: as `imagehash`, except that JPEGs are decoded with DCT scaling to the
    /// smallest M/8 keeping both sides ≥ 64 px (`docs/pairdx-phash-v1.md`).
    case v1 = "pairdx-phash-v1"
    /// `pairdx-phash-v2`: v1, plus the 256-bit pHash and the crop signature (`CropSignature`,
    /// `docs/pairdx-phash-v2.md`).
    case v2 = "pairdx-phash-v2"
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

    /// Decodes and hashes `data`, streaming rows: memory grows with the image's width, not its pixel count
    /// (plus a whole-image buffer from `budget.memory` for interlaced PNGs and multi-scan JPEGs). With
    /// `pixelDigest`, JPEGs are decoded twice in `v1` mode (full size for the digest, DCT-scaled for the
    /// hashes); PNGs once. O(pixels).
    public static func hash(
        _ data: Data, mode: HashMode = .v1, budget: DecodeBudget = DecodeBudget(),
        pixelDigest: Bool = false, wide: Bool = false, crops: Bool = false
    ) throws(ImagingError) -> HashedImage {
        let format = try ImageDecoder.format(of: data)
        let scaled = mode != .imagehash && format == .jpeg
        let (wide, crops) = mode == .v2 ? (true, true) : (wide, crops)
        var digest: String?
        if scaled && pixelDigest {
            let d = RowHasher(digest: true, hashes: false)
            try ImageDecoder.decodeRows(data, budget: budget, into: d)
            digest = d.digestHex()
        }
        let hasher = RowHasher(digest: pixelDigest && !scaled, hashes: true, wide: wide, crops: crops)
        try ImageDecoder.decodeRows(data, budget: budget, minSide: scaled ? 64 : nil, into: hasher)
        if !scaled && pixelDigest { digest = hasher.digestHex() }
        guard let l = hasher.layout else { throw ImagingError(.corrupt, "the decoder delivered no rows") }
        guard l.fullWidth >= minimumSide, l.fullHeight >= minimumSide else {
            throw ImagingError(
                .tooSmall, "\(l.fullWidth)x\(l.fullHeight) (hashing needs at least \(minimumSide) px a side)")
        }
        return HashedImage(
            format: format, width: l.fullWidth, height: l.fullHeight, channels: l.channels,
            pixelSHA256: digest, hashes: hasher.hashes())
    }

    /// The three hashes of an already decoded image (luma, resample, hash). O(pixels).
    public static func hashes(of image: Image, wide: Bool = false, crops: Bool = false) -> ImageHashes {
        PerceptualHash.hashes(
            luma: Luma.plane(image), width: image.width, height: image.height, wide: wide, crops: crops)
    }
}

/// Takes decoded rows and keeps only what hashing needs: the SHA-256 of the pixels as decoded, and each
/// row's luma pushed through the four resizes. Memory: one luma row plus the resizers' small planes.
final class RowHasher: RowConsumer {
    private let digest: Hasher256?
    private let wantsHashes: Bool
    private let wide: Bool
    private let crops: Bool
    private(set) var layout: RowLayout?
    private var plane: PlaneHasher?
    private var luma: [UInt8] = []

    init(digest: Bool, hashes: Bool, wide: Bool = false, crops: Bool = false) {
        self.digest = digest ? Hasher256() : nil
        wantsHashes = hashes
        self.wide = wide
        self.crops = crops
    }

    func begin(_ layout: RowLayout) throws(ImagingError) {
        self.layout = layout
        if wantsHashes {
            plane = PlaneHasher(width: layout.width, height: layout.height, wide: wide, crops: crops)
            if layout.channels == 3 { luma = [UInt8](repeating: 0, count: layout.width) }
        }
    }

    func row(_ pixels: UnsafeBufferPointer<UInt8>, y: Int) {
        digest?.update(UnsafeRawBufferPointer(pixels))
        guard plane != nil, let l = layout else { return }
        if l.channels == 1 {
            plane!.push(pixels.baseAddress!, y: y)
        } else {
            luma.withUnsafeMutableBufferPointer { dst in
                Luma.row(pixels.baseAddress!, dst.baseAddress!, pixels: l.width)
                plane!.push(UnsafePointer(dst.baseAddress!), y: y)
            }
        }
    }

    func digestHex() -> String? { digest?.finalizeHex() }
    func hashes() -> ImageHashes { plane!.hashes() }
}
