import Foundation
import PairDxCore
import PairDxTestSupport
import Testing

@testable import Imaging

/// `SmoothCrops`: crops of blurred figures, which the anchors cannot hold, found from their thumbnails and confirmed
/// on their pixels.
@Suite(.scratch) struct SmoothCropsTests {
    /// `scene(seed:)` at a third of its contrast under two passes of a box blur of `radius` pixels (rows, then
    /// columns; edges clamped).
    static func blurred(seed: UInt64, width w: Int, height h: Int, radius r: Int) -> [UInt8] {
        var px = scene(seed: seed, width: w, height: h).map { 85 + Float($0) / 3 }
        for _ in 0..<2 {
            for (count, stride, lines, step) in [(w, 3, h, 3 * w), (h, 3 * w, w, 3)] {
                var out = px
                for line in 0..<lines {
                    for c in 0..<3 {
                        let base = line * step + c
                        for i in 0..<count {
                            var s: Float = 0
                            for k in -r...r { s += px[base + min(count - 1, max(0, i + k)) * stride] }
                            out[base + i * stride] = s / Float(2 * r + 1)
                        }
                    }
                }
                px = out
            }
        }
        return px.map { UInt8(max(0, min(255, $0.rounded()))) }
    }

    /// Stores RGB pixels as a JPEG blob (quality 75) and returns a fetched figure record pointing at it.
    static func stored(_ id: String, _ px: [UInt8], _ w: Int, _ h: Int, in store: BlobStore) throws -> FigureRecord {
        try ManyVotesTests.storedJPEG(id, px, w, h, quality: 75, in: store)
    }

    /// The original's size and where the crop is cut from it (8% and 6% trimmed).
    static let (w, h) = (480, 400)
    static let cut = (x: 24, y: 10, width: 480 - 38, height: 400 - 24)

    /// A work directory of three JPEG figures: a blurred scene (PMC1), its crop (PMC2) and a blurred scene of another
    /// seed (PMC3), hashed.
    static func corpus() throws -> (figures: [FigureRecord], images: [ImageRecord], pixels: Dedupe.PixelSource) {
        let a = blurred(seed: 81, width: w, height: h, radius: 28)
        let crop = CropDedupeTests.crop(a, width: w, x: cut.x, y: cut.y, cw: cut.width, ch: cut.height)
        let other = blurred(seed: 82, width: w, height: h, radius: 28)
        return try CropDedupeTests.hashedFigures { store in
            [
                try stored("PMC1/F1", a, w, h, in: store),
                try stored("PMC2/F1", crop, cut.width, cut.height, in: store),
                try stored("PMC3/F1", other, w, h, in: store)
            ]
        }
    }

    /// The blurred scene and its crop are both smooth, and the crop's thumbnail fits the original's over the box it
    /// was cut from, within a quarter of a cell; the blurred scene of another seed fits nowhere as well.
    @Test func thumbnailsFitTheBoxTheCropWasCutFrom() throws {
        let (w, h, cut) = (Self.w, Self.h, Self.cut)
        let images = try Self.corpus().images
        let thumbs = try images.map { try #require($0.thumb32.flatMap(AlignedDetail.parse)) }
        // Records come sorted by sha256: the copy is found by its size, its original by the best fit.
        #expect(thumbs.map(SmoothCrops.isSmooth) == [true, true, true])
        let byWidth = Dictionary(grouping: images.indices) { images[$0].width ?? 0 }
        let copy = try #require(byWidth[cut.width]?.first)
        let originals = try #require(byWidth[w])
        let fits = originals.map { o in
            SmoothCrops.thumbnailFit(
                copy: thumbs[copy], SubImage.Size(cut.width, cut.height), original: thumbs[o], SubImage.Size(w, h))
        }
        let best = try #require(fits.indices.min { fits[$0].levels < fits[$1].levels })
        let fit = fits[best], miss = fits[1 - best]
        #expect(fit.levels <= SmoothCrops.rule.thumbnail, "\(fit)")
        #expect(abs(fit.x - cut.x) <= w / 128 + 1 && abs(fit.y - cut.y) <= h / 128 + 1, "\(fit)")
        #expect(miss.levels > 2 * SmoothCrops.rule.thumbnail, "\(miss)")
    }

    /// In `Dedupe.run` with the crop search on: the blurred crop joins its original through the smooth route (a crop
    /// pair without anchor votes, at the offset it was cut from), and the blurred scene of another seed stays apart.
    @Test func aBlurredCropJoinsWithoutAnchorVotes() throws {
        let (figures, images, pixels) = try Self.corpus()
        let r = Dedupe.run(
            figures: figures, images: images, radius: Dedupe.defaultRadius, cropSearch: true, threads: 2,
            pixels: pixels)
        #expect(r.clusters.map(\.members) == [["PMC1/F1", "PMC2/F1"], ["PMC3/F1"]])
        let pair = try #require(r.cropPairs.first)
        #expect(pair.votes == 0 && pair.match == .crop, "\(pair)")
        #expect(abs(Int(pair.x) - Self.cut.x) <= 1 && abs(Int(pair.y) - Self.cut.y) <= 1, "\(pair)")
    }
}
