import Foundation
import PairDxCore

/// How a figure's media file is stored.
enum MediaFormat: String, Sendable {
    case png, jpeg, tiff, html
    var fileExtension: String {
        switch self {
        case .png: return "png"
        case .jpeg: return "jpg"
        case .tiff: return "tif"
        case .html: return "jpg"  // an HTML error page saved under an image name
        }
    }
}

/// Where a figure's pixels come from.
enum ImageSource: Sendable, Equatable {
    /// Drawn for this figure.
    case own
    /// The exact bytes of another figure (by item index).
    case exactCopy(of: Int)
    /// Derived from another figure's pixels.
    case near(of: Int, how: NearHow)
}

/// How a near duplicate is derived: rescaled, re-encoded, trimmed by 3–15% of each side's length (split
/// unevenly between the two edges), or one half of the root cut out as a panel.
enum NearHow: String, Sendable, CaseIterable { case rescaled, requality, cropped, panel }

/// A planted defect of a figure's media file.
enum MediaHazard: String, Sendable, CaseIterable {
    case corrupt, truncated, nonImage, missing, unsupported
}

/// One figure graphic: one item of the corpus.
struct FigurePlan: Sendable {
    var index: Int
    var article: Int
    /// Item id (`PMC123/F2`, `PMC123/F4/1`).
    var id: String
    var cls: SynthClass
    var kind: CaptionKind
    var hard: [Hardening]
    var width: Int
    var height: Int
    var format: MediaFormat
    var quality: Int
    var progressive: Bool
    var grayAsRGB: Bool
    var source: ImageSource = .own
    var hazard: MediaHazard?
    /// `graphic/@xlink:href` (no extension) and the media file name.
    var href: String = ""
    var media: String = ""
    /// Inside a `fig-group`.
    var inGroup = false
    /// What the figure shows when it is none of the six classes (PMC-like profile only; `cls` is then unused).
    var other: OtherKind? = nil
}

/// A structural element of an article's body.
enum FigureElement: Sendable {
    /// `<fig>` with one graphic, or several graphics sharing the caption.
    case fig(id: String, label: String?, items: [Int], caption: Caption)
    /// `<fig-group>` with its own caption around child figures (each one item).
    case group(
        id: String, label: String, caption: Caption,
        children: [(id: String, label: String, item: Int, caption: Caption)])
}

/// One article (newest version) with everything needed to write its folder.
struct ArticlePlan: Sendable {
    var index: Int
    var pmcid: String
    var number: Int
    var version: Int
    var license: String
    var openAccess: Bool
    var retracted: Bool
    var externalEntity: Bool
    var pmid: String?
    var doi: String?
    var title: String
    var journal: String
    var mediaPrefix: String
    var year: Int
    var elements: [FigureElement] = []
    var table: Bool = false
    var formula: Bool = false
    var itemCount: Int = 0

    var tableMedia: String { mediaPrefix + ".t001.png" }
    var formulaMedia: String { mediaPrefix + ".e001.png" }
}
