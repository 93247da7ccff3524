import Foundation
import PairDxCore
import PairDxTestSupport
import Testing

@testable import Imaging

/// `Dedupe.manyVotes`: a crop whose anchors agree strongly is kept at a lower detail correlation than its kind's
/// threshold, because the anchors already vouch for it.
@Suite(.scratch) struct ManyVotesTests {
    /// A scene under heavy noise (a sum of four uniform draws, standard deviation about `sigma`), clipped to 0...255.
    static func noisy(seed: UInt64, sigma: Double, width w: Int, height h: Int) -> [UInt8] {
        var g = SplitMix64(state: seed ^ 0x9E37)
        let spread = sigma * (3.0).squareRoot()  // four uniforms on [−s, s]/2 have variance s²/3
        return scene(seed: seed, width: w, height: h).map { v in
            var n = 0.0
            for _ in 0..<4 { n += Double(g.next() % 10_001) / 10_000 - 0.5 }
            return UInt8(max(0, min(255, (Double(v) + n * spread).rounded())))
        }
    }

    /// Stores RGB pixels as a JPEG blob and returns a fetched figure record pointing at it.
    static func storedJPEG(_ id: String, _ px: [UInt8], _ w: Int, _ h: Int, quality: Int, in store: BlobStore)
        throws -> FigureRecord
    {
        let data = try ImageEncoder.jpeg(pixels: px, width: w, height: h, channels: 3, quality: quality)
        return try CropDedupeTests.storedFigure(id, data, in: store)
    }

    /// A noisy scene (σ ≈ 40) trimmed by 7% and 6% and both stored as JPEG at quality 50: the re-encoding leaves
    /// the crop's finest detail correlating below the crop threshold, but dozens of its anchors vote for the offset
    /// it was cut at, so it joins. The same score with one vote fewer than the rule asks for is not kept.
    @Test func aNoisyCropWithManyVotesJoinsBelowTheCropThreshold() throws {
        let w = 420, h = 380, (x, y, cw, ch) = (13, 9, 420 - 30, 380 - 24)
        let a = Self.noisy(seed: 71, sigma: 40, width: w, height: h)
        let cut = CropDedupeTests.crop(a, width: w, x: x, y: y, cw: cw, ch: ch)
        let (figures, images, pixels) = try CropDedupeTests.hashedFigures { store in
            [
                try Self.storedJPEG("PMC1/F1", a, w, h, quality: 50, in: store),
                try Self.storedJPEG("PMC2/F1", cut, cw, ch, quality: 50, in: store)
            ]
        }
        let r = Dedupe.run(
            figures: figures, images: images, radius: -1, cropSearch: true, threads: 2, pixels: pixels)
        let edge = try #require(r.scored.first { $0.match == .crop })
        let pair = try #require(r.cropPairs.first)
        let thresholds = try #require(Dedupe.defaultDetail)
        #expect(edge.score < thresholds.crop && edge.score >= Dedupe.manyVotes.least, "score \(edge.score)")
        #expect(Int(pair.votes) >= Dedupe.manyVotes.votes, "votes \(pair.votes)")
        #expect((pair.x, pair.y) == (Int32(x), Int32(y)))
        #expect(edge.kept && r.joined["PMC2/F1"] == .crop)
        #expect(
            !Dedupe.keepsAligned(
                score: edge.score, votes: Dedupe.manyVotes.votes - 1, kind: .crop, detail: thresholds))
    }
}
