import CXML2
import Foundation
import PairDxCore

/// A parsed XML document owned by libxml2, read with safe options only.
///
/// Invariants: the parser never touches the network (`XML_PARSE_NONET`), never loads a DTD, never
/// substitutes entities and never lifts its size limits (`XML_PARSE_HUGE` is off). Any external
/// entity or DTD the document names is refused by a process-wide loader that opens nothing, so a
/// `SYSTEM "file:///etc/passwd"` entity is never read. Entity amplification is rejected by libxml2's
/// own checks.
public final class XMLDoc: @unchecked Sendable {
    let doc: xmlDocPtr

    init(_ doc: xmlDocPtr) { self.doc = doc }
    deinit { xmlFreeDoc(doc) }

    /// The root element, if any.
    var root: xmlNodePtr? { xmlDocGetRootElement(doc) }
}

/// libxml2 set-up and the safe parse entry point.
public enum SafeXML {
    /// The parser options every parse uses.
    static let options = Int32(
        XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue
            | XML_PARSE_NOCDATA.rawValue | XML_PARSE_COMPACT.rawValue)

    /// Touch before parsing: one-time, thread-safe initialisation.
    static var ready: Bool { initialised }

    /// One-time, thread-safe initialisation: parser globals and the refuse-everything entity loader.
    private static let initialised: Bool = {
        xmlInitParser()
        xmlSetExternalEntityLoader { _, _, _ in nil }
        return true
    }()

    /// Parses `data` (named `source` in errors). Throws `badInput` with libxml2's own message and line.
    ///
    /// Complexity: O(n) in the document size; libxml2 rejects non-linear entity amplification.
    public static func parse(_ data: Data, source: String) throws(PairDxError) -> XMLDoc {
        _ = initialised
        guard let ctxt = xmlNewParserCtxt() else { throw .io("\(source): cannot allocate an XML parser") }
        defer { xmlFreeParserCtxt(ctxt) }
        guard data.count < Int(Int32.max) else { throw .badInput("\(source): XML larger than 2 GB") }
        guard !data.isEmpty else { throw .badInput("\(source): empty file, expected XML") }
        let doc: xmlDocPtr? = data.withUnsafeBytes { raw in
            xmlCtxtReadMemory(ctxt, raw.bindMemory(to: CChar.self).baseAddress!, Int32(raw.count), source, nil, options)
        }
        let wellFormed = ctxt.pointee.wellFormed != 0
        if let doc, wellFormed { return XMLDoc(doc) }
        if let doc { xmlFreeDoc(doc) }
        throw .badInput("\(source): \(describeLastError(ctxt))")
    }

    /// The parser's last error as `line N: message`.
    static func describeLastError(_ ctxt: xmlParserCtxtPtr) -> String {
        guard let err = xmlCtxtGetLastError(ctxt), err.pointee.code != 0 else { return "not well-formed XML" }
        let msg = err.pointee.message.map { String(cString: $0) } ?? "XML error \(err.pointee.code)"
        let trimmed = msg.trimmingCharacters(in: .whitespacesAndNewlines)
        let bomb = err.pointee.code == Int32(XML_ERR_ENTITY_LOOP.rawValue)
        return "XML error at line \(err.pointee.line): \(trimmed)"
            + (bomb ? " (entity expansion refused: the document looks like an entity-expansion bomb)" : "")
    }
}

/// Small helpers over libxml2 nodes. All are O(1) except where stated.
enum XMLNode {
    static func name(_ n: xmlNodePtr) -> UnsafePointer<xmlChar>? { n.pointee.name }

    static func isElement(_ n: xmlNodePtr, _ local: StaticString) -> Bool {
        guard n.pointee.type == XML_ELEMENT_NODE, let nm = n.pointee.name else { return false }
        return strcmp(
            UnsafeRawPointer(nm).assumingMemoryBound(to: CChar.self),
            UnsafeRawPointer(local.utf8Start).assumingMemoryBound(to: CChar.self)) == 0
    }

    static func attribute(_ n: xmlNodePtr, _ name: String, namespace: String? = nil) -> String? {
        let value: UnsafeMutablePointer<xmlChar>?
        if let namespace { value = xmlGetNsProp(n, name, namespace) } else { value = xmlGetNoNsProp(n, name) }
        guard let value else { return nil }
        defer { _pdx_xml_free(value) }
        return String(cString: value)
    }

    /// The xlink:href of an element, falling back to a literal `xlink:href` when the prefix is undeclared.
    static func href(_ n: xmlNodePtr) -> String? {
        attribute(n, "href", namespace: "http://www.w3.org/1999/xlink") ?? attribute(n, "xlink:href")
            ?? attribute(n, "href")
    }
}
