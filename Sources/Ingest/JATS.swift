import CXML2
import Foundation
import PairDxCore

/// One figure of a JATS article.
public struct JATSFigure: Codable, Sendable, Hashable {
    /// `<fig id>`, or `fig-N` (1-based position among the article's figures) when the attribute is missing.
    public var id: String
    public var label: String?
    /// Title and every paragraph, nested inline markup text kept, whitespace collapsed.
    public var caption: String
    /// Every `graphic/@xlink:href` inside the figure, `<alternatives>` included, in document order.
    public var graphics: [String]
    /// `fig`, or `fig-group` when the figure sits inside one.
    public var context: String
}

/// What `JATSParser` extracts from one article.
public struct JATSArticle: Codable, Sendable, Hashable {
    public var pmcid: String?
    public var pmid: String?
    public var doi: String?
    public var title: String?
    public var license: String?
    public var figures: [JATSFigure]
}

/// Extracts article ids and figures from JATS (NLM 2.x and JATS 1.x) with `SafeXML`.
///
/// Rules: every `<fig>` is a figure (with or without `<label>`), except one inside `<table-wrap>`;
/// graphics inside `table-wrap`, `inline-formula`, `disp-formula` and `chem-struct` are not figure
/// graphics. Complexity: one pass over the tree, O(nodes + text).
public enum JATSParser {
    public static func parse(file path: String) throws(PairDxError) -> JATSArticle {
        let data: Data
        do { data = try FileSystem.read(path) } catch { throw .io("\(path): cannot read the file") }
        return try parse(data, source: path)
    }

    public static func parse(_ data: Data, source: String) throws(PairDxError) -> JATSArticle {
        let doc = try SafeXML.parse(data, source: source)
        guard let root = doc.root else { throw .badInput("\(source): empty XML document") }
        var walker = Walker(source: source)
        do { try walker.visit(root, inGroup: false, inTable: false) } catch { throw error }
        return walker.article
    }
}

/// The single pass. Text from entity references counts against `SafeXML.maxEntityExpansion`.
private struct Walker {
    let source: String
    var article = JATSArticle(figures: [])
    var inFront = false
    var expansionBudget = SafeXML.maxEntityExpansion

    init(source: String) { self.source = source }

    mutating func visit(_ node: xmlNodePtr, inGroup: Bool, inTable: Bool) throws(PairDxError) {
        var child = node.pointee.children
        while let c = child {
            if c.pointee.type == XML_ELEMENT_NODE {
                if XMLNode.isElement(c, "fig") && !inTable {
                    try figure(c, inGroup: inGroup)
                } else if XMLNode.isElement(c, "front") {
                    inFront = true
                    try visit(c, inGroup: inGroup, inTable: inTable)
                    inFront = false
                } else if inFront && XMLNode.isElement(c, "article-id") {
                    try articleID(c)
                } else if inFront && XMLNode.isElement(c, "article-title") {
                    if article.title == nil { article.title = try text(of: c) }
                } else if inFront && XMLNode.isElement(c, "license") {
                    if article.license == nil {
                        article.license = XMLNode.href(c) ?? XMLNode.attribute(c, "license-type")
                    }
                } else if inFront && (XMLNode.isElement(c, "ref-list") || XMLNode.isElement(c, "contrib-group")) {
                    // nothing we need lives there
                } else {
                    let group = inGroup || XMLNode.isElement(c, "fig-group")
                    let table = inTable || XMLNode.isElement(c, "table-wrap")
                    try visit(c, inGroup: group, inTable: table)
                }
            }
            child = c.pointee.next
        }
    }

    mutating func articleID(_ n: xmlNodePtr) throws(PairDxError) {
        let kind = XMLNode.attribute(n, "pub-id-type") ?? ""
        let value = try text(of: n)
        guard !value.isEmpty else { return }
        switch kind {
        case "pmc", "pmcid":
            if article.pmcid == nil { article.pmcid = PMCID.parse(value)?.id }
        case "pmid":
            if article.pmid == nil { article.pmid = value }
        case "doi":
            if article.doi == nil { article.doi = value }
        default: break
        }
    }

    mutating func figure(_ fig: xmlNodePtr, inGroup: Bool) throws(PairDxError) {
        var label: String? = nil
        var caption = ""
        var graphics: [String] = []
        var child = fig.pointee.children
        while let c = child {
            if XMLNode.isElement(c, "label") {
                if label == nil { let t = try text(of: c); label = t.isEmpty ? nil : t }
            } else if XMLNode.isElement(c, "caption") {
                if caption.isEmpty { caption = try text(of: c) }
            } else if c.pointee.type == XML_ELEMENT_NODE {
                collectGraphics(c, into: &graphics)
            }
            child = c.pointee.next
        }
        let position = article.figures.count + 1
        let id = XMLNode.attribute(fig, "id").flatMap { $0.isEmpty ? nil : $0 } ?? "fig-\(position)"
        article.figures.append(JATSFigure(id: id, label: label, caption: caption, graphics: graphics,
                                          context: inGroup ? "fig-group" : "fig"))
    }

    /// Graphic hrefs under `n`, skipping formulas and tables. O(subtree).
    func collectGraphics(_ n: xmlNodePtr, into out: inout [String]) {
        if XMLNode.isElement(n, "graphic") {
            if let h = XMLNode.href(n) { out.append(h.trimmingCharacters(in: .whitespacesAndNewlines)) }
            return
        }
        if XMLNode.isElement(n, "inline-formula") || XMLNode.isElement(n, "disp-formula")
            || XMLNode.isElement(n, "table-wrap") || XMLNode.isElement(n, "chem-struct")
            || XMLNode.isElement(n, "caption") { return }
        var child = n.pointee.children
        while let c = child {
            if c.pointee.type == XML_ELEMENT_NODE { collectGraphics(c, into: &out) }
            child = c.pointee.next
        }
    }

    /// The text of `n` with inline markup kept and a space at block boundaries, whitespace collapsed.
    mutating func text(of n: xmlNodePtr) throws(PairDxError) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256)
        try appendText(n, to: &bytes)
        return Walker.collapse(bytes)
    }

    mutating func appendText(_ n: xmlNodePtr, to bytes: inout [UInt8]) throws(PairDxError) {
        var child = n.pointee.children
        while let c = child {
            switch c.pointee.type {
            case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
                if let content = c.pointee.content {
                    var p = content
                    while p.pointee != 0 { bytes.append(p.pointee); p += 1 }
                }
            case XML_ELEMENT_NODE:
                let block = Walker.isBlock(c)
                if block { bytes.append(0x20) }
                try appendText(c, to: &bytes)
                if block { bytes.append(0x20) }
            case XML_ENTITY_REF_NODE:
                // A declared entity's replacement text, counted against the expansion budget.
                let before = bytes.count
                try appendText(c, to: &bytes)
                expansionBudget -= bytes.count - before
                if expansionBudget < 0 {
                    throw .badInput("\(source): entity expansion exceeds \(SafeXML.maxEntityExpansion) characters (entity bomb?)")
                }
            default:
                break
            }
            child = c.pointee.next
        }
    }

    static func isBlock(_ n: xmlNodePtr) -> Bool {
        XMLNode.isElement(n, "p") || XMLNode.isElement(n, "title") || XMLNode.isElement(n, "list-item")
            || XMLNode.isElement(n, "list") || XMLNode.isElement(n, "def-item") || XMLNode.isElement(n, "term")
            || XMLNode.isElement(n, "def") || XMLNode.isElement(n, "break") || XMLNode.isElement(n, "disp-formula")
    }

    /// Collapses whitespace runs (Unicode included) to one space and trims. O(n).
    static func collapse(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var pending = false
        var ascii = true
        for b in bytes {
            if b >= 0x80 { ascii = false }
            if b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D {
                pending = !out.isEmpty
            } else {
                if pending { out.append(0x20); pending = false }
                out.append(b)
            }
        }
        let s = String(decoding: out, as: UTF8.self)
        // Non-ASCII text may hold no-break or thin spaces: collapse those too.
        return ascii ? s : TextNormal.collapse(s)
    }
}
