import CXML2
import Foundation
import PairDxCore

/// The streaming (SAX2) side of `JATSParser`: one pass over the bytes, no tree, text captured only
/// inside the few elements that matter. Same safe options as `SafeXML` (no network, no DTD load,
/// no entity substitution, size limits on). Text of an entity declared in the internal DTD subset
/// reaches the captions as text (libxml2 hands it to the same character callbacks), within
/// libxml2's amplification bound: a larger expansion (the "billion laughs" and far smaller ones)
/// fails the document with a specific error. External entities are never read.
///
/// Complexity: O(bytes); memory O(depth + one figure's text).
final class JATSStream {
    let source: String
    var article = JATSArticle(figures: [])

    private var depth = 0
    private var frontDepth = 0  // >0 inside <front>
    private var groupDepths: [Int] = []  // open <fig-group> depths
    private var tableDepths: [Int] = []  // open <table-wrap> depths
    // Current figure.
    private var figDepth = 0  // 0: not in a figure
    private var figID: String?
    private var figLabel: String?
    private var figCaption = ""
    private var figGraphics: [String] = []
    private var figGroup = false
    private var excludeDepth = 0  // inside a formula/table/caption within a figure: graphics skipped
    // Current text capture.
    private enum Capture { case none, label, caption, articleID(String), title }
    private var capture = Capture.none
    private var captureDepth = 0
    private var text: [UInt8] = []

    init(source: String) { self.source = source }

    func parse(_ data: Data) throws(PairDxError) -> JATSArticle {
        _ = SafeXML.ready
        guard !data.isEmpty else { throw .badInput("\(source): empty file, expected XML") }
        guard data.count < Int(Int32.max) else { throw .badInput("\(source): XML larger than 2 GB") }
        var handler = xmlSAXHandler()
        xmlSAXVersion(&handler, 2)
        handler.startElementNs = jatsStart
        handler.endElementNs = jatsEnd
        handler.characters = jatsCharacters
        handler.cdataBlock = jatsCharacters
        handler.ignorableWhitespace = jatsCharacters
        handler.reference = nil
        handler.comment = nil
        handler.processingInstruction = nil
        handler.serror = nil
        let me = Unmanaged.passUnretained(self).toOpaque()
        // libxml2's default SAX2 callbacks (DTD, entities) need the parser context as their
        // user data, so this object rides in the context's `_private` field instead.
        guard let ctxt = xmlCreatePushParserCtxt(&handler, nil, nil, 0, source) else {
            throw .io("\(source): cannot allocate an XML parser")
        }
        ctxt.pointee._private = me
        defer {
            if let doc = ctxt.pointee.myDoc { xmlFreeDoc(doc); ctxt.pointee.myDoc = nil }
            xmlFreeParserCtxt(ctxt)
        }
        _ = xmlCtxtUseOptions(ctxt, SafeXML.options)
        let rc = data.withUnsafeBytes { raw in
            xmlParseChunk(ctxt, raw.bindMemory(to: CChar.self).baseAddress!, Int32(raw.count), 1)
        }
        if rc != 0 || ctxt.pointee.wellFormed == 0 {
            throw .badInput("\(source): \(SafeXML.describeLastError(ctxt))")
        }
        return article
    }

    /// Element-name equality; the first byte is compared inline so most calls never reach strcmp.
    @inline(__always) static func eq(_ a: UnsafePointer<xmlChar>, _ b: StaticString) -> Bool {
        a.pointee == b.utf8Start.pointee
            && strcmp(
                UnsafeRawPointer(a).assumingMemoryBound(to: CChar.self),
                UnsafeRawPointer(b.utf8Start).assumingMemoryBound(to: CChar.self)) == 0
    }

    static func isBlock(_ n: UnsafePointer<xmlChar>) -> Bool {
        eq(n, "p") || eq(n, "title") || eq(n, "list-item") || eq(n, "list") || eq(n, "def-item")
            || eq(n, "term") || eq(n, "def") || eq(n, "break") || eq(n, "disp-formula")
    }

    /// Attribute `name` (any namespace) of a SAX2 attribute array.
    static func attribute(
        _ attrs: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?, _ count: Int32,
        _ name: StaticString
    ) -> String? {
        guard let attrs, count > 0 else { return nil }
        for i in 0..<Int(count) {
            let base = i * 5
            guard let local = attrs[base], eq(local, name), let start = attrs[base + 3], let end = attrs[base + 4]
            else { continue }
            let n = end - start
            return String(decoding: UnsafeBufferPointer(start: start, count: n), as: UTF8.self)
        }
        return nil
    }

    func start(_ name: UnsafePointer<xmlChar>, _ attrs: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?, _ nattrs: Int32)
    {
        depth += 1
        if case .none = capture {
        } else {
            if JATSStream.isBlock(name) { text.append(0x20) }
            return
        }
        if figDepth > 0 {
            if excludeDepth > 0 { return }
            if depth == figDepth + 1 && JATSStream.eq(name, "label") && figLabel == nil {
                begin(.label)
            } else if depth == figDepth + 1 && JATSStream.eq(name, "caption") && figCaption.isEmpty {
                begin(.caption)
            } else if JATSStream.eq(name, "graphic") {
                if let h = JATSStream.attribute(attrs, nattrs, "href") {
                    figGraphics.append(h.trimmingCharacters(in: .whitespacesAndNewlines))
                }
            } else if JATSStream.eq(name, "inline-formula") || JATSStream.eq(name, "disp-formula")
                || JATSStream.eq(name, "table-wrap") || JATSStream.eq(name, "chem-struct")
                || JATSStream.eq(name, "caption")
            {
                excludeDepth = depth
            }
            return
        }
        if JATSStream.eq(name, "fig") && tableDepths.isEmpty {
            figDepth = depth
            figID = JATSStream.attribute(attrs, nattrs, "id").flatMap { $0.isEmpty ? nil : $0 }
            figLabel = nil; figCaption = ""; figGraphics = []; figGroup = !groupDepths.isEmpty
        } else if JATSStream.eq(name, "fig-group") {
            groupDepths.append(depth)
        } else if JATSStream.eq(name, "table-wrap") {
            tableDepths.append(depth)
        } else if JATSStream.eq(name, "front") {
            if frontDepth == 0 { frontDepth = depth }
        } else if frontDepth > 0 {
            if JATSStream.eq(name, "article-id") {
                begin(.articleID(JATSStream.attribute(attrs, nattrs, "pub-id-type") ?? ""))
            } else if JATSStream.eq(name, "article-title") && article.title == nil {
                begin(.title)
            } else if JATSStream.eq(name, "license") && article.license == nil {
                article.license =
                    JATSStream.attribute(attrs, nattrs, "href") ?? JATSStream.attribute(attrs, nattrs, "license-type")
            }
        }
    }

    private func begin(_ c: Capture) { capture = c; captureDepth = depth; text.removeAll(keepingCapacity: true) }

    func end(_ name: UnsafePointer<xmlChar>) {
        defer { depth -= 1 }
        if case .none = capture {
        } else {
            if depth == captureDepth { finishCapture() } else if JATSStream.isBlock(name) { text.append(0x20) }
            return
        }
        if figDepth > 0 {
            if excludeDepth == depth { excludeDepth = 0 }
            if depth == figDepth {
                let id = figID ?? "fig-\(article.figures.count + 1)"
                article.figures.append(
                    JATSFigure(
                        id: id, label: figLabel, caption: figCaption, graphics: figGraphics,
                        context: figGroup ? "fig-group" : "fig"))
                figDepth = 0
            }
            return
        }
        if groupDepths.last == depth { groupDepths.removeLast() }
        if tableDepths.last == depth { tableDepths.removeLast() }
        if frontDepth == depth { frontDepth = 0 }
    }

    func finishCapture() {
        let value = JATSStream.collapse(text)
        switch capture {
        case .label: figLabel = value.isEmpty ? nil : value
        case .caption: figCaption = value
        case .title: if article.title == nil { article.title = value }
        case .articleID(let kind):
            if !value.isEmpty {
                switch kind {
                case "pmc", "pmcid": if article.pmcid == nil { article.pmcid = PMCID.parse(value)?.id }
                case "pmid": if article.pmid == nil { article.pmid = value }
                case "doi": if article.doi == nil { article.doi = value }
                default: break
                }
            }
        case .none: break
        }
        capture = .none
    }

    func characters(_ p: UnsafePointer<xmlChar>, _ n: Int) {
        if case .none = capture { return }
        text.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
    }

    /// Collapses whitespace runs to one space and trims, at the byte level: ASCII whitespace and
    /// the UTF-8 forms of U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F
    /// and U+3000 (Unicode's White_Space set). O(n), no Unicode tables.
    static func collapse(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var pending = false
        var i = 0
        let n = bytes.count
        bytes.withUnsafeBufferPointer { b in
            while i < n {
                let c = b[i]
                var ws = 0
                if c == 0x20 || (c >= 0x09 && c <= 0x0D) {
                    ws = 1
                } else if c == 0xC2 && i + 1 < n && (b[i + 1] == 0x85 || b[i + 1] == 0xA0) {
                    ws = 2
                } else if c == 0xE1 && i + 2 < n && b[i + 1] == 0x9A && b[i + 2] == 0x80 {
                    ws = 3
                } else if c == 0xE2 && i + 2 < n {
                    let d = b[i + 1], e = b[i + 2]
                    if (d == 0x80 && (e <= 0x8A || e == 0xA8 || e == 0xA9 || e == 0xAF)) || (d == 0x81 && e == 0x9F) {
                        ws = 3
                    }
                } else if c == 0xE3 && i + 2 < n && b[i + 1] == 0x80 && b[i + 2] == 0x80 {
                    ws = 3
                }
                if ws > 0 {
                    pending = !out.isEmpty
                    i &+= ws
                } else {
                    if pending { out.append(0x20); pending = false }
                    out.append(c)
                    i &+= 1
                }
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// The stream behind a SAX callback's context (the parser context, whose `_private` is the stream).
@inline(__always) private func stream(_ ctx: UnsafeMutableRawPointer?) -> JATSStream? {
    guard let ctx else { return nil }
    let parser = ctx.assumingMemoryBound(to: xmlParserCtxt.self)
    guard let me = parser.pointee._private else { return nil }
    return Unmanaged<JATSStream>.fromOpaque(me).takeUnretainedValue()
}

private let jatsStart: startElementNsSAX2Func = { ctx, localname, _, _, _, _, nattrs, _, attrs in
    guard let localname, let s = stream(ctx) else { return }
    s.start(localname, attrs, nattrs)
}

private let jatsEnd: endElementNsSAX2Func = { ctx, localname, _, _ in
    guard let localname, let s = stream(ctx) else { return }
    s.end(localname)
}

private let jatsCharacters: charactersSAXFunc = { ctx, ch, len in
    guard let ch, len > 0, let s = stream(ctx) else { return }
    s.characters(ch, Int(len))
}
