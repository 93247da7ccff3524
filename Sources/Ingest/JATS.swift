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

/// Extracts article ids and figures from JATS (NLM 2.x and JATS 1.x) in one streaming pass
/// (`JATSStream`, libxml2 SAX2 with `SafeXML`'s options).
///
/// Rules: every `<fig>` is a figure (with or without `<label>`), except one inside `<table-wrap>`;
/// graphics inside `table-wrap`, `inline-formula`, `disp-formula` and `chem-struct` are not figure
/// graphics. Complexity: one pass over the bytes, O(n), no tree built.
public enum JATSParser {
    public static func parse(file path: String) throws(PairDxError) -> JATSArticle {
        let data: Data
        do { data = try FileSystem.read(path) } catch { throw .io("\(path): cannot read the file") }
        return try parse(data, source: path)
    }

    public static func parse(_ data: Data, source: String) throws(PairDxError) -> JATSArticle {
        try JATSStream(source: source).parse(data)
    }
}
