import CXML2
import Foundation
import PairDxCore

/// One page of an S3 ListObjectsV2 answer (`ListBucketResult`).
public struct S3Listing: Sendable {
    public var keys: [String] = []
    /// `Size` of each key that has one, in bytes.
    public var sizes: [String: Int] = [:]
    /// `ETag` of each key that has one, without its quotes.
    public var etags: [String: String] = [:]
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
                    if let tag = childText(n, "ETag") {
                        let bare = tag.trimmingCharacters(in: CharacterSet(charactersIn: "\"")).lowercased()
                        if !bare.isEmpty { out.etags[k] = bare }
                    }
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

    /// The MD5 of `key`'s bytes when its ETag is one: S3 gives a single-part upload's MD5 as its ETag (32 hex digits),
    /// while a multipart upload's (`<hex>-<parts>`) and an encrypted object's are not digests of the body.
    public func md5(of key: String) -> String? {
        guard let e = etags[key] else { return nil }
        return S3Listing.isMD5(e) ? e : nil
    }

    static func isMD5(_ etag: String) -> Bool {
        etag.utf8.count == 32 && etag.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}

/// What a listing said about one object, for checking its download: the body must have `size` bytes and, when the
/// ETag is a single-part MD5, that MD5.
public struct ListedObject: Sendable, Equatable, Codable {
    public var size: Int?
    public var md5: String?
    public init(size: Int?, md5: String?) { self.size = size; self.md5 = md5 }

    /// Every key of a listing page with a size or an MD5 ETag.
    public static func all(in page: S3Listing) -> [String: ListedObject] {
        var out: [String: ListedObject] = [:]
        for k in page.keys {
            let o = ListedObject(size: page.sizes[k], md5: page.md5(of: k))
            if o.size != nil || o.md5 != nil { out[k] = o }
        }
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
