import PairDxCore
import PairDxTestSupport
import Testing

@testable import Imaging

/// `AlignedDetail.centredDifference`, the pixel route's test on thumbnails before any plane is decoded.
@Suite(.scratch) struct ThumbnailDifferenceTests {
    /// A copy that is only brighter differs by 0; a pattern of ±k about the copy differs by exactly k levels, so it
    /// passes at k and fails at k − 1.
    @Test func brightnessIsFreeAndTheBoundIsExact() {
        var g = SplitMix64(state: 11)
        let base = (0..<AlignedDetail.count).map { _ in UInt8(40 + g.next() % 150) }
        let brighter = base.map { $0 + 25 }
        #expect(AlignedDetail.centredDifference(base, brighter, atMost: 0))
        for k in 1...12 {
            let pattern = base.enumerated().map { i, v in UInt8(Int(v) + (i % 2 == 0 ? k : -k)) }
            #expect(AlignedDetail.centredDifference(base, pattern, atMost: k), "k \(k)")
            #expect(!AlignedDetail.centredDifference(base, pattern, atMost: k - 1), "k \(k)")
        }
    }

    /// Against the direct definition in floating point (the root mean square of the centred difference) on random
    /// thumbnails of every spread, at every bound from 0 to 40 levels.
    @Test(arguments: [4, 16, 64, 255])
    func agreesWithTheDirectDefinition(spread: Int) {
        var g = SplitMix64(state: UInt64(spread))
        for _ in 0..<20 {
            let a = (0..<AlignedDetail.count).map { _ in UInt8(g.next() % UInt64(spread + 1)) }
            let b = (0..<AlignedDetail.count).map { _ in UInt8(g.next() % UInt64(spread + 1)) }
            let d = zip(a, b).map { Double($0) - Double($1) }
            let mean = d.reduce(0, +) / Double(d.count)
            let rms = (d.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(d.count)).squareRoot()
            for levels in 0...40 where abs(rms - Double(levels)) > 1e-9 {
                #expect(AlignedDetail.centredDifference(a, b, atMost: levels) == (rms <= Double(levels)))
            }
        }
    }

    /// In `Dedupe.run`, with the hash route closed, copies rescaled to 3/4 (neither a crop nor a same-size copy, so
    /// only the pixel route can propose them) of a scene at half contrast: the scene at full contrast keeps its
    /// 64-bit pHash but its thumbnail moves by more than `pixelRoute.thumbnail` levels, so it is not proposed; a
    /// copy only brighter is proposed and joins. With the hash route open, the hashes find both.
    @Test func thePixelRouteProposesOnlyPairsWhoseThumbnailsAgree() throws {
        let w = 480, h = 400
        let full = scene(seed: 61, width: w, height: h)
        let base = full.map { UInt8(64 + Int($0) / 2) }
        func rescaled(_ px: [UInt8]) -> Image {
            Resample.resize(Image(width: w, height: h, channels: 3, pixels: px), width: w * 3 / 4, height: h * 3 / 4)
        }
        let contrast = rescaled(full)
        let brighter = rescaled(base.map { $0 + 12 })
        for (copy, proposed) in [(contrast, false), (brighter, true)] {
            let (figures, images, pixels) = try CropDedupeTests.hashedFigures { store in
                [
                    try CropDedupeTests.storedFigure("PMC1/F1", base, w, h, in: store),
                    try CropDedupeTests.storedFigure("PMC2/F1", copy.pixels, copy.width, copy.height, in: store)
                ]
            }
            let codes = try images.map { try #require($0.phash.flatMap(Hex.decode64)) }
            #expect(PerceptualHash.distance(codes[0], codes[1]) <= Dedupe.pixelRoute.radius, "proposed \(proposed)")
            let thumbs = try images.map { try #require($0.thumb32.flatMap(AlignedDetail.parse)) }
            #expect(
                AlignedDetail.centredDifference(thumbs[0], thumbs[1], atMost: Dedupe.pixelRoute.thumbnail) == proposed)
            let r = Dedupe.run(
                figures: figures, images: images, radius: -1, cropSearch: true, threads: 2, pixels: pixels)
            #expect(r.pixelRoutePairs == (proposed ? 1 : 0), "proposed \(proposed)")
            #expect((r.joined["PMC2/F1"] == .near) == proposed, "proposed \(proposed)")
            // With the hash route open, both copies join through the hashes.
            let open = Dedupe.run(
                figures: figures, images: images, radius: Dedupe.defaultRadius, cropSearch: true, threads: 2,
                pixels: pixels)
            #expect(open.joined["PMC2/F1"] == .near, "proposed \(proposed)")
        }
    }
}
