import Foundation
import Testing
import Imaging
import PairDxCore
@testable import Synth

/// The truth file agrees with the mirror, and every planted hazard is there.
@Suite struct TruthTests {
    private func bytes(_ c: GeneratedCorpus, _ id: String) throws -> Data {
        let f = try #require(c.truth.figures.first { $0.id == id })
        return try FileSystem.read(c.folder(ItemID.article(of: id)) + "/" + f.media)
    }

    @Test func exactDuplicatesAreByteEqualAcrossArticles() throws {
        let c = try Corpora.seed11.get()
        #expect(!c.truth.exactDuplicateGroups.isEmpty)
        for group in c.truth.exactDuplicateGroups {
            #expect(group.count >= 2)
            let first = try bytes(c, group[0])
            for id in group.dropFirst() { #expect(try bytes(c, id) == first, "\(id) differs from \(group[0])") }
            #expect(
                Set(group.map(ItemID.article(of:))).count == group.count,
                "exact duplicates within one article: \(group)")
            let classes = Set(group.compactMap { id in c.truth.figures.first { $0.id == id }?.class })
            #expect(classes.count == 1)
        }
    }

    @Test func nearDuplicatesDifferInBytesButNotInContent() throws {
        let c = try Corpora.seed11.get()
        #expect(Set(c.truth.nearDuplicateGroups.map(\.how)) == ["rescaled", "requality", "cropped", "panel"])
        for g in c.truth.nearDuplicateGroups {
            let x = try ImageDecoder.decode(try bytes(c, g.ids[0])), y = try ImageDecoder.decode(try bytes(c, g.ids[1]))
            // The larger one is `a` (ids are sorted, so the original may come second).
            let (a, b) = x.width * x.height >= y.width * y.height ? (x, y) : (y, x)
            #expect(try bytes(c, g.ids[0]) != bytes(c, g.ids[1]))
            switch g.how {
            case "requality":
                #expect(a.width == b.width && a.height == b.height)
                #expect(b.format == .jpeg)
            case "rescaled":
                #expect(a.width != b.width)
                #expect(abs(Double(a.width) / Double(a.height) - Double(b.width) / Double(b.height)) < 0.02)
            case "cropped":
                #expect(b.width < a.width && b.height < a.height)
                #expect(Double(b.width) >= 0.84 * Double(a.width) && Double(b.height) >= 0.84 * Double(a.height))
                #expect(Double(b.width) <= 0.98 * Double(a.width) && Double(b.height) <= 0.98 * Double(a.height))
            case "panel":
                // One half of the root: one side about half as long, the other unchanged.
                let halfW = Double(b.width) <= 0.5 * Double(a.width) && b.height == a.height
                let halfH = Double(b.height) <= 0.5 * Double(a.height) && b.width == a.width
                #expect(halfW || halfH, "\(g.ids): \(a.width)x\(a.height) vs \(b.width)x\(b.height)")
            default: Issue.record("unknown how \(g.how)")
            }
            // Same content: mean intensity of the two decoded images is close.
            func mean(_ i: Imaging.Image) -> Double {
                Double(i.pixels.reduce(0) { $0 + Int($1) }) / Double(i.pixels.count)
            }
            if g.how != "panel" { #expect(abs(mean(a) - mean(b)) < 12, "\(g.ids) means \(mean(a)) vs \(mean(b))") }
        }
    }

    @Test func everyTruthFigureIsAFigureGraphicInTheNewestJATS() throws {
        let c = try Corpora.seed11.get()
        var graphics: [String: String] = [:]  // item id -> href
        for pmcid in Set(c.truth.figures.map { ItemID.article(of: $0.id) }) {
            let folder = c.folder(pmcid)
            let name = (folder as NSString).lastPathComponent
            let (col, _) = CaptionCollector.parse(try FileSystem.read("\(folder)/\(name).xml"))
            let collector = try #require(col)
            for (fid, fig) in collector.figs {
                for (k, href) in fig.graphics.enumerated() {
                    graphics[ItemID.make(pmcid: pmcid, figure: fid, graphic: k + 1, of: fig.graphics.count)] = href
                }
            }
        }
        #expect(graphics.count == c.truth.figures.count)
        for f in c.truth.figures {
            let href = try #require(graphics[f.id], "\(f.id) is not a figure graphic in the JATS")
            #expect(f.media.hasPrefix(href + "."), "\(f.id): media \(f.media) vs href \(href)")
        }
    }

    @Test func everyHazardIsPlanted() throws {
        let c = try Corpora.seed11.get()
        let h = c.truth.hazards
        let lists: [String: [String]] = [
            "retracted": h.retracted, "notOpenAccess": h.notOpenAccess, "corruptImages": h.corruptImages,
            "truncatedImages": h.truncatedImages, "nonImageMedia": h.nonImageMedia, "missingMedia": h.missingMedia,
            "externalEntity": h.externalEntity, "noFigures": h.noFigures, "figGroup": h.figGroup, "noLabel": h.noLabel,
            "tableGraphics": h.tableGraphics, "inlineFormula": h.inlineFormula,
            "unsupportedFormat": h.unsupportedFormat,
            "multiVersion": h.multiVersion
        ]
        for (k, v) in lists { #expect(!v.isEmpty, "no \(k) planted") }
        func meta(_ pmcid: String) throws -> [String: Any] {
            let folder = c.folder(pmcid), name = (folder as NSString).lastPathComponent
            return try JSONSerialization.jsonObject(with: FileSystem.read("\(folder)/\(name).json")) as? [String: Any]
                ?? [:]
        }
        func xml(_ pmcid: String) throws -> String {
            let folder = c.folder(pmcid), name = (folder as NSString).lastPathComponent
            return try FileSystem.readString("\(folder)/\(name).xml")
        }
        for p in h.retracted { #expect(try meta(p)["is_retracted"] as? Bool == true) }
        for p in h.notOpenAccess { #expect(try meta(p)["is_pmc_openaccess"] as? Bool == false) }
        for p in h.noFigures { #expect(!(try xml(p)).contains("<fig")) }
        for p in h.externalEntity {
            let x = try xml(p)
            #expect(x.contains("<!ENTITY x SYSTEM \"file:///etc/passwd\">") && x.contains("&x;"))
        }
        for p in h.tableGraphics { #expect(try xml(p).contains("<table-wrap")) }
        for p in h.inlineFormula { #expect(try xml(p).contains("<inline-formula")) }
        for p in h.multiVersion {
            let v1 = "\(c.dir)/\(p).1/\(p).1.xml", v2 = "\(c.dir)/\(p).2/\(p).2.xml"
            #expect(FileSystem.exists(v1) && FileSystem.exists(v2))
            #expect(try FileSystem.read(v1) != FileSystem.read(v2))
            #expect(try meta(p)["version"] as? Int == 2)
        }
        // Figure-level structure as the JATS shows it.
        for pmcid in Set((h.figGroup + h.noLabel).map(ItemID.article(of:))) {
            let folder = c.folder(pmcid), name = (folder as NSString).lastPathComponent
            let collector = try #require(CaptionCollector.parse(try FileSystem.read("\(folder)/\(name).xml")).0)
            for id in h.figGroup where ItemID.article(of: id) == pmcid {
                #expect(
                    collector.figs[String(id.split(separator: "/")[1])]?.inGroup == true, "\(id) not inside a fig-group"
                )
            }
            for id in h.noLabel where ItemID.article(of: id) == pmcid {
                let fig = try #require(collector.figs[String(id.split(separator: "/")[1])])
                #expect(fig.label == nil, "\(id) has a label")
            }
        }
    }

    @Test func truthListsAreSortedAndIdsUnique() throws {
        let c = try Corpora.seed11.get()
        let ids = c.truth.figures.map(\.id)
        #expect(Set(ids).count == ids.count)
        #expect(ids == ids.sorted { ItemID.sortKey($0) < ItemID.sortKey($1) })
        #expect(c.truth.schema == "pairdx-synth-truth/1")
        #expect(c.truth.seed == 11)
        let classes = Set(c.truth.figures.map(\.class))
        #expect(classes == Set(SynthClass.allCases.map(\.rawValue)))
    }
}
