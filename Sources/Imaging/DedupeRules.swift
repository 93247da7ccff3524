import Foundation

/// The rules `Dedupe.run` applies, with the evidence for each number: radii, the detail check's thresholds, the
/// pixel route, and the aspect test of its candidates.
extension Dedupe {
    /// Default Hamming radius on pHash (evidence in docs/pairdx-phash-v1.md).
    public static let defaultRadius = 8
    /// Default confirmation radius on the 256-bit pHash (evidence in docs/pairdx-phash-v1.md).
    public static let defaultConfirmRadius = 16
    /// Whether crops and panels are searched by default (anchor keys, then pixel alignment): no. The search decodes
    /// every image, so a recipe (`dedupe.crops`) or `pairdx dedupe --crops on` asks for it (docs/pairdx-phash-v2.md
    /// §5, "What is not done" 4).
    public static let defaultCropSearch = false
    /// Least detail correlation (`AlignedDetail.score`) that confirms an edge, per kind of edge.
    public struct DetailThresholds: Sendable, Equatable, Codable {
        public var near: Double, crop: Double, panel: Double
        public init(near: Double, crop: Double, panel: Double) {
            self.near = near; self.crop = crop; self.panel = panel
        }
        public func least(for m: Match) -> Double {
            switch m {
            case .near: return near
            case .crop: return crop
            case .panel: return panel
            default: return -1
            }
        }
        /// The threshold of a pair aligned on its pixels (`SubImage.align`): a same-size copy's pixels are compared
        /// as a crop's are, so it takes the crop threshold (the near one is for aligned 32×32 thumbnails).
        public func aligned(for m: Match) -> Double { least(for: m == .near ? .crop : m) }
    }
    /// The detail check's thresholds, from the score distributions of true and false edges on the synthetic
    /// corpus (docs/pairdx-phash-v2.md §4); nil: no check.
    public static let defaultDetail: DetailThresholds? = DetailThresholds(near: 0.97, crop: 0.9, panel: 0.9)
    /// A pair aligned on its pixels (`SubImage.align`) whose anchors agreed strongly, at least `votes` pair keys
    /// within a pixel of one offset, is kept at a detail correlation of `least`, below its kind's threshold: a copy of
    /// a noisy figure re-encoded as JPEG keeps its anchors but loses some of its finest detail. At 100,000 synthetic
    /// figures no false candidate gathers more than 10 votes, and none with a score of 0.8 or more more than 4
    /// (docs/pairdx-phash-v2.md §5, "Many votes").
    public static let manyVotes = (votes: 16, least: 0.8)
    /// Whether a pair aligned on its pixels is kept: its kind's detail threshold (`DetailThresholds.aligned`), or the
    /// `manyVotes` rule.
    static func keepsAligned(score: Double, votes: Int, kind: Match, detail: DetailThresholds) -> Bool {
        score >= detail.aligned(for: kind) || (votes >= manyVotes.votes && score >= manyVotes.least)
    }
    /// The pixel route of near pairs (with the crop search on): 64-bit pHashes within `radius` of one aspect ratio
    /// (`sameAspect`) whose 32×32 thumbnails differ by at most `thumbnail` grey levels once centred
    /// (`thumbnailsAgree`) are candidates, kept when their `SubImage.nearScore` is at least `least` in detail; any
    /// near pair compared on its pixels is also kept at `whole` or more as a whole (docs/pairdx-phash-v2.md §5).
    public static let pixelRoute = (radius: 4, thumbnail: 16, least: 0.96, whole: 0.998)
    /// A near pair the hashes found is also kept when its lumas differ by at most `levels` grey levels (root mean
    /// square on the 64×64 planes) and correlate at least `whole`: a copy of a nearly flat figure, whose detail and
    /// correlation are rounding and JPEG noise. At 100,000 synthetic figures, 18 true pairs the other tests drop
    /// differ by 0.12–0.65 levels and the false pairs the hashes propose by 7.7 or more; the pixel route's false
    /// pairs (low-contrast figures whose 256-bit hashes differ) come within 0.8, so the rule is not theirs
    /// (docs/pairdx-phash-v2.md §5, "Nearly flat copies").
    public static let flatCopy = (levels: 1.0, whole: 0.9)
    /// Whether a near pair compared on its 64×64 planes (`SubImage.nearScore`) is kept: a detail correlation of at
    /// least the crop threshold for a pair the hashes found (`hashRoute`), at least `pixelRoute.least` for the pixel
    /// route's; for either, a whole-plane correlation of at least `pixelRoute.whole` (a smooth copy whose detail is
    /// JPEG noise); and for the hashes' pairs, the `flatCopy` rule.
    static func keepsOnPlanes(
        _ s: (detail: Double, whole: Double, levels: Double), hashRoute: Bool, detail: DetailThresholds
    ) -> Bool {
        if s.detail >= (hashRoute ? detail.aligned(for: .near) : pixelRoute.least) { return true }
        if s.whole >= pixelRoute.whole { return true }
        return hashRoute && s.levels <= flatCopy.levels && s.whole >= flatCopy.whole
    }
    /// How far the thumbnail detail check searches each edge of a near pair's box (the whole image).
    static let nearSlack = 0.02

    /// Whether two blobs have one aspect ratio up to a pixel of rounding on each side:
    /// |w₁h₂ − w₂h₁| ≤ w₁ + h₁ + w₂ + h₂. A copy rescaled or re-encoded from an original (w, h) has sides ws + e and
    /// hs + f with |e|, |f| ≤ 1, so the cross product differs by |e·h − f·w| ≤ w + h: every such copy passes. The
    /// pixel route's candidates must pass (docs/pairdx-phash-v2.md §5, "Same aspect, and records read at memory
    /// speed"). Blobs of unknown size (0) pass.
    static func sameAspect(_ a: Blob, _ b: Blob) -> Bool {
        abs(a.width * b.height - b.width * a.height) <= a.width + a.height + b.width + b.height
    }

    /// Whether a pixel-route candidate is worth decoding planes for: the blobs' thumbnails differ by at most
    /// `pixelRoute.thumbnail` grey levels, root mean square, each centred on its mean
    /// (`AlignedDetail.centredDifference`). At 100,000 synthetic figures the rescaled and re-encoded copies among the
    /// pixel route's candidates differ by at most 13.6 levels and 93% of the other candidates by more than 16
    /// (docs/pairdx-phash-v2.md §5, "Thumbnails before planes"). Blobs without a thumbnail pass.
    static func thumbnailsAgree(_ a: Blob, _ b: Blob) -> Bool {
        guard let ta = a.thumb, let tb = b.thumb else { return true }
        return AlignedDetail.centredDifference(ta, tb, atMost: pixelRoute.thumbnail)
    }

    /// Hamming distance between two 256-bit hashes.
    public static func distance256(_ a: [UInt64], _ b: [UInt64]) -> Int {
        zip(a, b).reduce(0) { $0 + ($1.0 ^ $1.1).nonzeroBitCount }
    }
}
