import Foundation
import PairDxCore

/// Writes a small mirror in the PMC Cloud layout with known hazards, for fetch and discover tests.
enum MirrorBuilder {
    struct Fig { var id: String?; var label: String?; var caption: String; var hrefs: [String]; var group = false }

    static func article(
        _ root: String, pmcid: String, version: Int, figures: [Fig], media: [String: Data],
        extraMediaURLs: [String] = [], retracted: Bool = false, openAccess: Bool = true,
        doctype: String = ""
    ) throws {
        let key = "\(pmcid).\(version)"
        let dir = "\(root)/\(key)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var body = ""
        var inGroup = false
        for f in figures {
            if f.group && !inGroup { body += "<fig-group id=\"G\(pmcid)\">"; inGroup = true }
            if !f.group && inGroup { body += "</fig-group>"; inGroup = false }
            body += "<fig" + (f.id.map { " id=\"\($0)\"" } ?? "") + ">"
            if let l = f.label { body += "<label>\(l)</label>" }
            body += "<caption><title>\(f.caption)</title><p>Shown in <italic>detail</italic>.</p></caption>"
            for h in f.hrefs { body += "<graphic xlink:href=\"\(h)\"/>" }
            body += "</fig>"
        }
        if inGroup { body += "</fig-group>" }
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>\(doctype)
            <article xmlns:xlink="http://www.w3.org/1999/xlink"><front><article-meta>
            <article-id pub-id-type="pmc">\(pmcid)</article-id><title-group><article-title>Article \(pmcid) on imaging</article-title></title-group>
            </article-meta></front><body><sec><p>Text.</p>\(body)
            <table-wrap id="T1"><graphic xlink:href="\(pmcid).t001"/></table-wrap></sec></body></article>
            """
        try Data(xml.utf8).write(to: URL(fileURLWithPath: "\(dir)/\(key).xml"))
        for (name, data) in media { try data.write(to: URL(fileURLWithPath: "\(dir)/\(name)")) }
        let mediaURLs = (media.keys.sorted().map { "s3://pmc-oa-opendata/\(key)/\($0)" } + extraMediaURLs)
        let meta: [String: Any] = [
            "pmcid": pmcid, "version": version, "license_code": "CC BY", "is_pmc_openaccess": openAccess,
            "is_retracted": retracted, "xml_url": "s3://pmc-oa-opendata/\(key)/\(key).xml",
            "media_urls": mediaURLs, "pmid": NSNull(), "doi": "10.1/\(pmcid)", "title": "Article \(pmcid) on imaging"
        ]
        let json = try JSONSerialization.data(withJSONObject: meta, options: [.sortedKeys])
        try json.write(to: URL(fileURLWithPath: "\(dir)/\(key).json"))
    }

    /// The standard hazard mirror. Returns its directory.
    static func standard(in parent: String, images: Int = 4) throws -> String {
        let root = parent + "/mirror"
        let png = { (seed: Int) in PNGFixture.make(width: 24, height: 24, seed: seed) }
        // Plain article: two figures, media hrefs without extension; one also has a .tif twin.
        try article(
            root, pmcid: "PMC1", version: 1,
            figures: [
                Fig(id: "F1", label: "Figure 1", caption: "Axial CT of the chest.", hrefs: ["pmc1.g001"]),
                Fig(id: "F2", label: nil, caption: "MRI without label.", hrefs: ["pmc1.g002"])
            ],
            media: [
                "pmc1.g001.png": png(1), "pmc1.g001.tif": Data([0x49, 0x49, 0x2A, 0x00, 1, 2]), "pmc1.g002.png": png(2)
            ])
        // Two versions: the newest (2) is used.
        try article(
            root, pmcid: "PMC2", version: 1,
            figures: [Fig(id: "F1", label: "Figure 1", caption: "Old.", hrefs: ["old"])],
            media: ["old.png": png(3)])
        try article(
            root, pmcid: "PMC2", version: 2,
            figures: [
                Fig(
                    id: "F1", label: "Figure 1", caption: "Ultrasound panel A.", hrefs: ["pmc2.g001a", "pmc2.g001b"],
                    group: true)
            ], media: ["pmc2.g001a.png": png(4), "pmc2.g001b.png": png(1)])  // b duplicates PMC1 F1's bytes
        try article(
            root, pmcid: "PMC3", version: 1,
            figures: [Fig(id: "F1", label: "Figure 1", caption: "Retracted.", hrefs: ["r"])],
            media: ["r.png": png(5)], retracted: true)
        try article(
            root, pmcid: "PMC4", version: 1,
            figures: [Fig(id: "F1", label: "Figure 1", caption: "Closed.", hrefs: ["c"])],
            media: ["c.png": png(6)], openAccess: false)
        try article(root, pmcid: "PMC5", version: 1, figures: [], media: [:])
        // Hostile article: traversal href, HTML page named .png, listed-but-absent media, tif only, unmatched href.
        try article(
            root, pmcid: "PMC6", version: 1,
            figures: [
                Fig(id: "F1", label: "Figure 1", caption: "Traversal.", hrefs: ["../../PMC1.1/pmc1.g001"]),
                Fig(id: "F2", label: "Figure 2", caption: "HTML error page.", hrefs: ["err"]),
                Fig(id: "F3", label: "Figure 3", caption: "Listed but absent.", hrefs: ["gone"]),
                Fig(id: "F4", label: "Figure 4", caption: "TIFF only.", hrefs: ["scan"]),
                Fig(id: "F5", label: "Figure 5", caption: "No media at all.", hrefs: ["nothing"]),
                Fig(id: "F6", label: "Figure 6", caption: "Escaping media URL.", hrefs: ["esc"])
            ],
            media: [
                "err.png": Data("<!DOCTYPE html><html><body>Service error</body></html>".utf8),
                "scan.tif": Data([0x49, 0x49, 0x2A, 0x00, 0, 0, 0, 0])
            ],
            extraMediaURLs: ["s3://pmc-oa-opendata/PMC6.1/gone.jpg", "s3://pmc-oa-opendata/PMC1.1/esc.png"])
        // More plain images to give the fetch something to chew on.
        for i in 0..<images {
            let id = "PMC\(10 + i)"
            try article(
                root, pmcid: id, version: 1,
                figures: [
                    Fig(id: "F1", label: "Figure 1", caption: "Histology field \(i).", hrefs: ["\(id).g001"])
                ], media: ["\(id).g001.png": PNGFixture.make(width: 64, height: 64, seed: 100 + i)])
        }
        return root
    }
}
