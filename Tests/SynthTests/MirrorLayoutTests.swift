import Foundation
import Testing
import Imaging
import PairDxCore
@testable import Synth

/// The mirror parses as the PMC Cloud layout: metadata fields, well-formed JATS, decodable media.
@Suite struct MirrorLayoutTests {
    @Test func everyFolderHasMetadataAndJATS() throws {
        let c = try Corpora.seed11.get()
        let missing = Set(
            c.truth.hazards.missingMedia.compactMap { id in c.truth.figures.first { $0.id == id }?.media })
        for name in c.folders() {
            let parts = name.split(separator: ".")
            #expect(
                parts.count == 2 && PMCID.parse(String(parts[0]))?.id == String(parts[0]) && Int(parts[1]) != nil,
                "bad folder \(name)")
            let dir = c.dir + "/" + name
            let meta = try #require(
                try JSONSerialization.jsonObject(with: FileSystem.read("\(dir)/\(name).json")) as? [String: Any])
            for key in [
                "pmcid", "version", "license_code", "is_pmc_openaccess", "is_retracted", "xml_url", "media_urls",
                "pmid", "doi", "title"
            ] {
                #expect(meta.keys.contains(key), "\(name).json lacks \(key)")
            }
            #expect(meta["pmcid"] as? String == String(parts[0]))
            #expect(meta["version"] as? Int == Int(parts[1]))
            #expect(meta["xml_url"] as? String == "s3://pmc-oa-opendata/\(name)/\(name).xml")
            #expect(meta["pmid"] is NSNull || meta["pmid"] is String)
            let urls = try #require(meta["media_urls"] as? [String])
            let listed = Set(
                urls.map { u -> String in
                    #expect(u.hasPrefix("s3://pmc-oa-opendata/\(name)/"))
                    return String(u.split(separator: "/").last!)
                })
            let present = Set(try FileManager.default.contentsOfDirectory(atPath: dir)).subtracting([
                "\(name).json", "\(name).xml"
            ])
            #expect(present.isSubset(of: listed), "\(name): files not in media_urls: \(present.subtracting(listed))")
            #expect(
                listed.subtracting(present).isSubset(of: missing),
                "\(name): listed but absent: \(listed.subtracting(present))")
        }
    }

    @Test func jatsIsWellFormedAndHrefsHaveNoExtension() throws {
        let c = try Corpora.seed11.get()
        for name in c.folders() {
            let (col, err) = CaptionCollector.parse(try FileSystem.read("\(c.dir)/\(name)/\(name).xml"))
            let collector = try #require(col, "\(name).xml is not well formed: \(String(describing: err))")
            for (_, fig) in collector.figs {
                for href in fig.graphics {
                    let ext = (href as NSString).pathExtension.lowercased()
                    #expect(!["jpg", "jpeg", "png", "tif", "tiff", "gif"].contains(ext), "href with extension: \(href)")
                }
            }
        }
    }

    @Test func mediaDecodeExceptThePlantedDefects() throws {
        let c = try Corpora.seed11.get()
        let h = c.truth.hazards
        let broken = Set(h.corruptImages + h.truncatedImages)
        for f in c.truth.figures {
            let path = c.folder(ItemID.article(of: f.id)) + "/" + f.media
            if h.missingMedia.contains(f.id) { #expect(!FileSystem.exists(path)); continue }
            let data = try FileSystem.read(path)
            if h.nonImageMedia.contains(f.id) { #expect(FormatSniffer.sniff(data) == .html); continue }
            if h.unsupportedFormat.contains(f.id) { #expect(FormatSniffer.sniff(data) == .tiff); continue }
            if broken.contains(f.id) {
                #expect(throws: ImagingError.self, "\(f.id) should not decode") { _ = try ImageDecoder.decode(data) }
                continue
            }
            let image = try ImageDecoder.decode(data)
            #expect(
                (256...1024).contains(image.width) && (256...1024).contains(image.height),
                "\(f.id) is \(image.width)x\(image.height)")
            #expect(image.channels == 1 || image.channels == 3)
            if f.class == "histopathology" || f.class == "endoscopy" { #expect(image.channels == 3) }
        }
    }

    @Test func corpusMixesFormatsAndColourModes() throws {
        let c = try Corpora.seed11.get()
        var kinds = Set<String>()
        for f in c.truth.figures where f.media.hasSuffix(".png") || f.media.hasSuffix(".jpg") {
            guard let data = try? FileSystem.read(c.folder(ItemID.article(of: f.id)) + "/" + f.media),
                let image = try? ImageDecoder.decode(data)
            else { continue }
            let gray = f.class != "histopathology" && f.class != "endoscopy"
            kinds.insert("\(image.format.rawValue)-\(image.channels)-\(gray ? "grayclass" : "colourclass")")
        }
        for k in ["png-1-grayclass", "jpeg-1-grayclass", "jpeg-3-colourclass", "jpeg-3-grayclass"] {
            #expect(kinds.contains(k), "no \(k) image among \(kinds.sorted())")
        }
    }
}
