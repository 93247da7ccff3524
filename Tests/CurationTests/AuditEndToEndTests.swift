import Foundation
import PairDxTestSupport
import Imaging
import PairDxCore
import Testing
@testable import Curation

/// Writes a small split set, manifest and work directory (with real PNG/JPEG blobs) to disk and audits it.
enum AuditDiskFixture {
    static let classes = ["ct", "mri", "xray"]
    /// Appended to captions: script, quotes, right-to-left text, emoji, a control character.
    static let hostileTail = ["", " <script>alert(\"x\")</script>", " صورة مقطعية للصدر", " 🫁😀 'quoted'", " \u{07}bell"]

    /// Returns the project-like root holding Splits/demo, Manifests/demo and work/.
    static func write(leak: Bool = false, badRow: Bool = false) throws -> String {
        let root = try Scratch.directory("e2e")
        let recipe = AuditFixtures.recipe()
        try AtomicFile.write(try CanonicalJSON.encode(recipe, pretty: true), to: "\(root)/Manifests/demo/recipe.json")
        let work = WorkDirectory("\(root)/work")
        var figures: [FigureRecord] = [], images: [ImageRecord] = [], clusters: [ClusterRecord] = [],
            labels: [LabelRecord] = []
        var csv: [String: String] = [:]
        var sources = "pmcid,version,status,license,figures,kept\n"
        let header = SplitFiles.header.joined(separator: ",") + "\n"
        var k = 0
        for (si, split) in ["train", "val", "test"].enumerated() {
            var body = header
            let per = [4, 2, 2][si]
            for (ci, c) in classes.enumerated() {
                for _ in 0..<per {
                    k += 1
                    let id = "PMC\(k)/F1"
                    // A gradient whose colour depends on the class, so thumbnails differ.
                    let w = 64 + k % 5 * 16, h = 48
                    var px = [UInt8](repeating: 0, count: w * h * 3)
                    for y in 0..<h {
                        for x in 0..<w {
                            let i = (y * w + x) * 3
                            px[i] = UInt8((x * 255 / w + ci * 80) % 256); px[i + 1] = UInt8(y * 255 / h);
                            px[i + 2] = UInt8((ci * 100 + k * 7) % 256)
                        }
                    }
                    let bytes =
                        k % 2 == 0
                        ? try ImageEncoder.png(pixels: px, width: w, height: h, channels: 3)
                        : try ImageEncoder.jpeg(pixels: px, width: w, height: h, channels: 3, quality: 85)
                    let sha = try work.blobs.put(bytes)
                    let ph = AuditFixtures.hash(k)
                    figures.append(
                        FigureRecord(
                            id: id, pmcid: "PMC\(k)", version: 1, figure: "F1", label: "Figure 1",
                            caption: "A \(c) scan of case \(k) showing <b>findings</b> & more words here"
                                + hostileTail[k % hostileTail.count],
                            context: "fig", href: "f\(k)", media: "f\(k).png", license: k % 3 == 0 ? "CC0" : "CC BY",
                            sha256: sha, bytes: bytes.count, url: nil, status: .ok))
                    images.append(
                        ImageRecord(
                            sha256: sha, format: k % 2 == 0 ? "png" : "jpeg", width: w, height: h, channels: 3,
                            phash: Hex.encode64(ph)))
                    clusters.append(
                        ClusterRecord(keep: id, members: [id], articles: ["PMC\(k)"], kind: "single", maxDistance: 0))
                    labels.append(LabelRecord(id: id, class: c, reason: nil, matched: ["\(c):\(c)"]))
                    sources += "PMC\(k),1,ok,\(k % 3 == 0 ? "CC0" : "CC BY"),1,1\n"
                    let phash =
                        (leak && split == "test" && ci == 0 && body == header)
                        ? Hex.encode64(AuditFixtures.hash(1) ^ 1) : Hex.encode64(ph)
                    body += CSV.line([id, c, "PMC\(k)", "F1", sha, phash, "", "PMC\(k)"])
                }
            }
            if badRow && split == "val" { body += "PMC999/F1,,PMC999,F1,x,zz,,PMC999\n" }
            csv[split] = body
        }
        for (s, b) in csv { try AtomicFile.write(b, to: "\(root)/Splits/demo/\(s).csv") }
        let summary =
            #"{"schema":"pairdx-splits/1","name":"demo","recipe":"audit-test","seed":7,"mode":"balanced","classes":["ct","mri","xray"],"splits":{"train":{"count":12},"val":{"count":6},"test":{"count":6}}}"#
        try AtomicFile.write(summary, to: "\(root)/Splits/demo/splits.json")
        try AtomicFile.write(sources, to: "\(root)/Manifests/demo/sources.csv")
        try JSONL.write(
            (1...k).map { Candidate(pmcid: "PMC\($0)", via: .mirror) }, to: work.candidates, sortedBy: \.sortKey)
        try JSONL.write(
            (1...k).map { ArticleRecord(pmcid: "PMC\($0)", version: 1, status: .ok, license: "CC BY", figures: 1) },
            to: work.articles, sortedBy: \.sortKey)
        try JSONL.write(figures, to: work.figures, sortedBy: \.sortKey)
        try JSONL.write(images, to: work.images, sortedBy: \.sortKey)
        try JSONL.write(clusters, to: work.clusters, sortedBy: \.sortKey)
        try JSONL.write(labels, to: work.labels, sortedBy: \.sortKey)
        return root
    }
}

@Suite(.scratch) struct AuditEndToEndTests {
    @Test func auditWritesFourFilesDeterministicallyWithThumbnails() throws {
        let root = try AuditDiskFixture.write()
        let glove = "\(root)/glove.txt"
        try AtomicFile.write("a 0.1 0.2\nscan 0.3 0.1\nof 0.1 0.1\ncase 0.2 0.2\nct 0.5 0.5\n", to: glove)
        let report = try Audit.run(splitDir: "\(root)/Splits/demo", data: "\(root)/work", glove: glove)
        let out = "\(root)/report/demo"
        for f in Audit.outputFiles { #expect(FileSystem.exists("\(out)/\(f)"), "missing \(f)") }
        #expect(report.passed)
        #expect(report.balance.splits.map(\.count) == [12, 6, 6])
        #expect(report.inputProblems.isEmpty, "\(report.inputProblems)")
        #expect(report.funnel.stages.allSatisfy { $0.count != nil })
        #expect(report.images?.missing == 0 && report.captions?.missing == 0)
        #expect(report.captions?.glove?.tokens ?? 0 > 0)
        #expect(report.licences?.items.count == 2)
        #expect(report.leakage.exactDuplicatesAcrossSplits == 0)
        // Terms shared by every class are not distinctive; the class's own word is.
        #expect(
            report.captions?.classes.allSatisfy { c in
                c.distinctiveTerms.map(\.term).contains(c.class)
                    && !c.distinctiveTerms.contains { $0.term == "findings" }
            } == true)
        let html = try FileSystem.readString("\(out)/report.html")
        let thumbs = html.components(separatedBy: "src=\"data:image/jpeg;base64,").count - 1
        #expect(thumbs == report.samples.reduce(0) { $0 + $1.items.count } && thumbs > 0)
        #expect(!html.contains("<b>findings</b>") && html.contains("&lt;b&gt;findings&lt;/b&gt;"))
        #expect(!html.contains("<script") && !html.contains("\u{07}"))
        // Same inputs, same bytes (report.json is canonical; html and md too).
        let first = try FileSystem.read("\(out)/report.json")
        try Audit.run(splitDir: "\(root)/Splits/demo", data: "\(root)/work", glove: glove)
        #expect(try FileSystem.read("\(out)/report.json") == first)
        #expect(!String(decoding: first, as: UTF8.self).contains(root))
    }

    @Test func aBadSplitRowStopsTheAuditNamingFileLineAndField() throws {
        let root = try AuditDiskFixture.write(badRow: true)
        #expect { try Audit.run(splitDir: "\(root)/Splits/demo", out: "\(root)/out") } throws: { e in
            guard let e = e as? PairDxError, e.kind == .badInput else { return false }
            return e.message.contains("Splits/demo/val.csv:8: field 'class'") && e.message.contains("field 'sha256'")
                && e.message.contains("field 'phash'")
        }
        #expect(!FileSystem.exists("\(root)/out/report.json"))
    }

    @Test func leakageGateFails() throws {
        let root = try AuditDiskFixture.write(leak: true)
        let report = try Audit.run(
            splitDir: "\(root)/Splits/demo", out: "\(root)/out", options: .init(maxLeakage: 0, minPerClass: 2))
        #expect(report.leakage.nearDuplicatePairs == 1)
        #expect(!report.inputProblems.contains { $0.contains(root) })
        #expect(report.findings.contains { $0.contains("splits.json says") } == false)
        #expect(!report.passed)
        #expect(report.gates.first { $0.rule == "min-per-class" }?.passed == true)
        #expect(report.captions == nil && report.funnel.stages.first { $0.stage == "articles" }?.count == 24)
        let md = try FileSystem.readString("\(root)/out/report.md")
        #expect(md.contains("**FAIL**"))
    }

    @Test func missingRecipeIsASpecificError() throws {
        let root = try Scratch.directory("norecipe")
        try AtomicFile.write(SplitFiles.header.joined(separator: ",") + "\n", to: "\(root)/Splits/x/train.csv")
        #expect { try Audit.run(splitDir: "\(root)/Splits/x") } throws: { e in
            (e as? PairDxError)?.message.contains("Manifests/x/recipe.json") == true
        }
    }
}

@Suite(.scratch) struct AuditThumbnailTests {
    @Test func thumbnailKeepsAspectAndDecodes() throws {
        let w = 300, h = 120
        var px = [UInt8](repeating: 0, count: w * h)
        for y in 0..<h { for x in 0..<w { px[y * w + x] = UInt8((x + y) % 256) } }
        let png = try ImageEncoder.png(pixels: px, width: w, height: h, channels: 1)
        let uri = try Thumbnails.dataURI(png, side: 96)
        #expect(uri.hasPrefix("data:image/jpeg;base64,"))
        let jpeg = try #require(Data(base64Encoded: String(uri.dropFirst("data:image/jpeg;base64,".count))))
        let img = try ImageDecoder.decode(jpeg)
        #expect(img.width == 96 && img.height == 38 && img.channels == 1)
        #expect(Thumbnails.downscale(img, maxSide: 200).width == 96)
        #expect(throws: (any Error).self) { try Thumbnails.dataURI(Data("not an image".utf8), side: 96) }
    }
}
