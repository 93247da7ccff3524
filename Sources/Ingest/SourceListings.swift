import CXML2
import Foundation
import PairDxCore

/// One page of an S3 ListObjectsV2 answer (`ListBucketResult`).
public struct S3Listing: Sendable {
    public var keys: [String] = []
    /// `Size` of each key that has one, in bytes.
    public var sizes: [String: Int] = [:]
    public var prefixes: [String] = []
    /// Present when the listing is truncated: pass it as `continuation-token` for the next page.
    public var nextToken: String?

    /// Parses the XML with `SafeXML`. O(n).
    public static func parse(_ data: Data, source: String) throws(PairDxError) -> S3Listing {
        let doc = try SafeXML.parse(data, source: source)
        guard let root = doc.root, XMLNode.isElement(root, "ListBucketResult") else {
            throw .badInput("\(source): not an S3 ListBucketResult document")
        }
        var out = S3Listing()
        var truncated = false
        var c = root.pointee.children
        while let n = c {
            if XMLNode.isElement(n, "Contents") {
                if let k = childText(n, "Key") {
                    out.keys.append(k)
                    if let size = childText(n, "Size").flatMap({ Int($0) }), size >= 0 { out.sizes[k] = size }
                }
            } else if XMLNode.isElement(n, "CommonPrefixes") {
                if let p = childText(n, "Prefix") { out.prefixes.append(p) }
            } else if XMLNode.isElement(n, "NextContinuationToken") {
                out.nextToken = content(n)
            } else if XMLNode.isElement(n, "IsTruncated") {
                truncated = content(n) == "true"
            }
            c = n.pointee.next
        }
        if !truncated { out.nextToken = nil }
        return out
    }
}

/// One page of an NCBI E-utilities esearch answer (`eSearchResult`).
public struct ESearchPage: Sendable {
    public var count = 0
    public var ids: [String] = []
    /// The History server's handle of this search (`usehistory=y`): later pages name it instead of the term.
    public var webEnv: String?
    public var queryKey: String?

    public static func parse(_ data: Data, source: String) throws(PairDxError) -> ESearchPage {
        let doc = try SafeXML.parse(data, source: source)
        guard let root = doc.root, XMLNode.isElement(root, "eSearchResult") else {
            throw .badInput("\(source): not an eSearchResult document")
        }
        var out = ESearchPage()
        var c = root.pointee.children
        while let n = c {
            if XMLNode.isElement(n, "Count") { out.count = Int(content(n)) ?? 0 }
            if XMLNode.isElement(n, "WebEnv") { out.webEnv = content(n) }
            if XMLNode.isElement(n, "QueryKey") { out.queryKey = content(n) }
            if XMLNode.isElement(n, "ERROR") { throw .badInput("\(source): esearch error: \(content(n))") }
            if XMLNode.isElement(n, "IdList") {
                var i = n.pointee.children
                while let id = i {
                    if XMLNode.isElement(id, "Id") { out.ids.append(content(id)) }
                    i = id.pointee.next
                }
            }
            c = n.pointee.next
        }
        return out
    }
}

/// Trimmed text content of an element. O(subtree).
func content(_ n: xmlNodePtr) -> String {
    guard let raw = xmlNodeGetContent(n) else { return "" }
    defer { _pdx_xml_free(raw) }
    return String(cString: raw).trimmingCharacters(in: .whitespacesAndNewlines)
}

func childText(_ n: xmlNodePtr, _ name: StaticString) -> String? {
    var c = n.pointee.children
    while let x = c {
        if XMLNode.isElement(x, name) { return content(x) }
        c = x.pointee.next
    }
    return nil
}
