import Foundation
import PairDxTestSupport
import Testing
@testable import Ingest
import PairDxCore

/// The peer's reference output (pubmed_parser 0.5.1): file name → figures, or null for none.
private struct PeerFigure: Decodable {
    var fig_id: String
    var fig_label: String?
    var fig_caption: String
    var graphic_ref: String?
    var pmc: String?
    var pmid: String?
}

@Suite(.scratch) struct JATSTests {
    static let jats = TestPaths.shared("jats")

    @Test(.enabled(if: jats != nil, "../shared/data/jats is absent: skipped"))
    func matchesPubmedParserReference() throws {
        let dir = Self.jats!
        let ref = try JSONDecoder().decode(
            [String: [PeerFigure]?].self,
            from: try Data(contentsOf: URL(fileURLWithPath: dir + "/pubmed_parser_captions_reference.json")))
        #expect(ref.count == 8)
        var captionDifferences: [String] = []
        var figureTotal = 0
        for (file, peerFigures) in ref.sorted(by: { $0.key < $1.key }) {
            let article = try JATSParser.parse(file: dir + "/" + file)
            let peer = peerFigures ?? []
            figureTotal += article.figures.count
            #expect(article.figures.count == peer.count, "\(file): figure count")
            if let first = peer.first {
                #expect(article.pmcid == "PMC" + (first.pmc ?? ""), "\(file): pmcid")
                #expect(article.pmid == first.pmid, "\(file): pmid")
            }
            for (ours, theirs) in zip(article.figures, peer) {
                #expect(ours.id == theirs.fig_id, "\(file)")
                #expect(ours.label == theirs.fig_label, "\(file) \(ours.id)")
                #expect(ours.graphics == [theirs.graphic_ref].compactMap { $0 }, "\(file) \(ours.id)")
                let peerCaption = Whitespace.collapse(theirs.fig_caption)
                if ours.caption != peerCaption {
                    // pubmed_parser drops text nested in inline markup; we keep it, so the peer's characters
                    // must appear in ours, in order, and ours must be longer.
                    captionDifferences.append("\(file)#\(ours.id)")
                    #expect(
                        isSubsequence(
                            Array(peerCaption.filter { $0 != " " }), of: Array(ours.caption.filter { $0 != " " })),
                        "\(file) \(ours.id): ours must contain every peer word in order")
                    #expect(ours.caption.count > peerCaption.count)
                }
            }
        }
        #expect(figureTotal == 17)
        // The only differences are the two captions whose nested markup the peer drops.
        #expect(captionDifferences == ["1471-2180-11-174.nxml#F3", "1471-2180-11-174.nxml#F4"])
        let f4 = try JATSParser.parse(file: dir + "/1471-2180-11-174.nxml").figures[3]
        #expect(f4.caption.hasPrefix("Effects of tKCN (timing of KCN addition). (A)"))
    }

    @Test(.enabled(if: jats != nil, "../shared/data/jats is absent: skipped"))
    func tableAndFormulaGraphicsAreNotFigures() throws {
        let pntd = try JATSParser.parse(file: Self.jats! + "/pntd.0002065.nxml")
        #expect(pntd.figures.map(\.graphics) == [["pntd.0002065.g001"]])  // five table graphics excluded
        let pone = try JATSParser.parse(file: Self.jats! + "/pone.0000217.nxml")
        #expect(pone.figures.flatMap(\.graphics).allSatisfy { !$0.contains(".e0") })  // formula graphics excluded
        #expect(pone.doi == "10.1371/journal.pone.0000217")
    }

    @Test func figGroupAlternativesUnlabelledAndPositionalIDs() throws {
        let xml = """
            <?xml version="1.0"?>
            <article xmlns:xlink="http://www.w3.org/1999/xlink"><front><article-meta>
            <article-id pub-id-type="pmc">PMC42</article-id><article-id pub-id-type="doi">10.1/x</article-id>
            <permissions><license xlink:href="https://creativecommons.org/licenses/by/4.0/"/></permissions>
            </article-meta></front><body>
            <fig-group id="G1"><caption><p>Group</p></caption>
              <fig id="F1a"><label>Figure 1A</label><caption><title>Axial  <italic>CT</italic></title>
                <p>of the H<sub>2</sub>O<sup>+</sup>   phantom.</p></caption>
                <alternatives><graphic xlink:href="a1"/><graphic xlink:href="a1-large"/></alternatives></fig>
              <fig><caption><p>No label, no id.</p></caption><graphic xlink:href="b1"/></fig>
            </fig-group>
            <table-wrap id="T1"><graphic xlink:href="t1"/></table-wrap>
            <p>Inline <inline-formula><graphic xlink:href="e1"/></inline-formula></p>
            <fig id="F2"><label>Figure 2</label><caption><p>Plain.</p></caption><graphic xlink:href="c1"/>
              <disp-formula><graphic xlink:href="e2"/></disp-formula></fig>
            </body></article>
            """
        let a = try JATSParser.parse(Data(xml.utf8), source: "inline.xml")
        #expect(a.pmcid == "PMC42" && a.doi == "10.1/x")
        #expect(a.license == "https://creativecommons.org/licenses/by/4.0/")
        #expect(a.figures.map(\.id) == ["F1a", "fig-2", "F2"])
        #expect(a.figures.map(\.context) == ["fig-group", "fig-group", "fig"])
        #expect(a.figures[0].caption == "Axial CT of the H2O+ phantom.")
        #expect(a.figures[0].graphics == ["a1", "a1-large"])
        #expect(a.figures[1].label == nil)
        #expect(a.figures[2].graphics == ["c1"])
    }

    @Test func whitespaceCollapseCoversUnicodeSpaces() {
        let raw = " \tA\u{00A0}\u{2009} b\u{3000}\u{202F}c\u{00E9} \n"
        #expect(JATSStream.collapse(Array(raw.utf8)) == "A b c\u{00E9}")
        #expect(JATSStream.collapse(Array(raw.utf8)) == Whitespace.collapse(raw))
    }

    @Test func malformedXMLReportsLibxml2Message() {
        do {
            _ = try JATSParser.parse(Data("<article><fig></article>".utf8), source: "broken.xml")
            Issue.record("malformed XML was accepted")
        } catch {
            #expect(error.kind == .badInput)
            #expect(error.message.hasPrefix("broken.xml: XML error at line 1:"))
            #expect(error.message.contains("mismatch") || error.message.contains("Premature"))
        }
    }

    @Test func parsesXMLStringWithSafeParser() throws {
        let doc = try SafeXML.parse(Data("<a><b>x</b></a>".utf8), source: "s.xml")
        #expect(doc.root.map { XMLNode.isElement($0, "a") } == true)
    }

    @Test func entityBombFailsFast() throws {
        var decls = "<!ENTITY e0 \"lollollollollollollol\">"
        for i in 1...9 { decls += "<!ENTITY e\(i) \"" + String(repeating: "&e\(i - 1);", count: 10) + "\">" }
        let xml =
            "<?xml version=\"1.0\"?><!DOCTYPE article [\(decls)]><article><body><fig id=\"f\"><caption><p>&e9;</p></caption></fig></body></article>"
        let start = ThreadCPUTime.seconds  // the work done, not the wait for a core
        do {
            _ = try JATSParser.parse(Data(xml.utf8), source: "bomb.xml")
            Issue.record("entity bomb was accepted")
        } catch {
            #expect(error.kind == .badInput)
            #expect(error.message.contains("bomb.xml"))
            #expect(error.message.contains("entity"))
        }
        #expect(ThreadCPUTime.seconds - start < 1.0)
    }

    @Test func moderateEntityExpansionIsRefusedNotExpanded() throws {
        // 10^5 copies of 21 characters (2 MB from a 600-byte document): refused by libxml2's amplification bound.
        var decls = "<!ENTITY e0 \"lollollollollollollol\">"
        for i in 1...5 { decls += "<!ENTITY e\(i) \"" + String(repeating: "&e\(i - 1);", count: 10) + "\">" }
        let xml =
            "<?xml version=\"1.0\"?><!DOCTYPE article [\(decls)]><article><fig id=\"f\"><caption><p>&e5;</p></caption></fig></article>"
        let start = ThreadCPUTime.seconds  // the work done, not the wait for a core
        #expect {
            _ = try JATSParser.parse(Data(xml.utf8), source: "wide.xml")
        } throws: { error in
            let e = error as? PairDxError
            return e?.kind == .badInput && e?.message.contains("wide.xml") == true
                && e?.message.contains("entity") == true
        }
        #expect(ThreadCPUTime.seconds - start < 1.0)
    }

    /// The rule: an entity declared in the document's internal DTD subset is parsed as text (as libxml2 replaces it),
    /// within libxml2's amplification bound (a larger expansion fails the document, see above); predefined entities
    /// and character references are text too; external entities are never read (below).
    @Test func internalEntityTextIsParsedAsText() throws {
        let xml = """
            <?xml version="1.0"?>
            <!DOCTYPE article [<!ENTITY modality "computed tomography"><!ENTITY nested "of the &modality; kind">]>
            <article><fig id="f1"><label>Figure 1</label><caption><p>Axial &modality; scan &nested; &amp; &#946;-cells &lt;5 mm.</p></caption></fig></article>
            """
        let article = try JATSParser.parse(Data(xml.utf8), source: "entities.xml")
        #expect(
            article.figures.map(\.caption) == [
                "Axial computed tomography scan of the computed tomography kind & β-cells <5 mm."
            ])
    }

    @Test func externalEntityIsNeverRead() throws {
        let dir = try Scratch.directory("xxe")
        let secret = dir + "/secret.txt"
        try "TOP-SECRET-CONTENT".write(toFile: secret, atomically: false, encoding: .utf8)
        let xml = """
            <?xml version="1.0"?>
            <!DOCTYPE article [<!ENTITY xxe SYSTEM "file://\(secret)">]>
            <article><fig id="f1"><caption><p>before &xxe; after</p></caption></fig></article>
            """
        // Either a parse error or a caption without the file's content; never the content.
        if let a = try? JATSParser.parse(Data(xml.utf8), source: "xxe.xml") {
            #expect(a.figures.first?.caption == "before after")
        }
        let path = dir + "/xxe.xml"
        try xml.write(toFile: path, atomically: false, encoding: .utf8)
        let a = try? JATSParser.parse(file: path)
        #expect(!(a?.figures.first?.caption.contains("TOP-SECRET") ?? false))
    }
}

private func isSubsequence<S: Equatable>(_ needle: [S], of hay: [S]) -> Bool {
    var i = 0
    for h in hay where i < needle.count && needle[i] == h { i += 1 }
    return i == needle.count
}
