import Foundation
import PairDxCore

/// S3 ListObjectsV2 over a directory's files, in S3's XML format.
///
/// Keys are relative paths sorted bytewise; `prefix` filters, `delimiter` folds deeper keys into
/// `CommonPrefixes`, `max-keys` (≤1000) pages, and the continuation token is the last key served
/// (hex-encoded, opaque to clients). Each key's `ETag` is what `etag` gives (S3 gives a single-part upload's MD5,
/// quoted). Complexity: O(files) per page.
public enum ListObjectsV2 {
    public struct Object: Sendable { public var key: String; public var size: Int }

    public static func page(
        objects: [Object], bucket: String, prefix: String, delimiter: String?,
        maxKeys: Int, continuationToken: String?, startAfter: String?,
        etag: (String) -> String? = { _ in nil }
    ) -> String {
        let after = continuationToken.flatMap(decodeToken) ?? startAfter ?? ""
        var contents: [Object] = []
        var prefixes: [String] = []
        var last = ""
        var truncated = false
        for o in objects
        where o.key.hasPrefix(prefix) && o.key.utf8.lexicographicallyPrecedes(after.utf8) == false && o.key != after {
            var entry: String? = nil
            if let d = delimiter, !d.isEmpty, let r = o.key.dropFirst(prefix.count).range(of: d) {
                entry = String(o.key[..<r.upperBound])
                if prefixes.last == entry { continue }
                // A common prefix already served on an earlier page sorts at or before `after`.
                if !after.isEmpty && after.hasPrefix(entry!) { continue }
            }
            if contents.count + prefixes.count == maxKeys { truncated = true; break }
            if let entry { prefixes.append(entry); last = entry + "\u{FFFF}" } else { contents.append(o); last = o.key }
        }
        var x =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        x += "<Name>\(HTMLEscape.text(bucket))</Name><Prefix>\(HTMLEscape.text(prefix))</Prefix>"
        if let delimiter { x += "<Delimiter>\(HTMLEscape.text(delimiter))</Delimiter>" }
        x += "<KeyCount>\(contents.count + prefixes.count)</KeyCount><MaxKeys>\(maxKeys)</MaxKeys>"
        x += "<IsTruncated>\(truncated)</IsTruncated>"
        if let continuationToken { x += "<ContinuationToken>\(HTMLEscape.text(continuationToken))</ContinuationToken>" }
        if truncated { x += "<NextContinuationToken>\(Hex.encode(Array(last.utf8)))</NextContinuationToken>" }
        for o in contents {
            x += "<Contents><Key>\(HTMLEscape.text(o.key))</Key>"
            if let e = etag(o.key) { x += "<ETag>&quot;\(HTMLEscape.text(e))&quot;</ETag>" }
            x += "<Size>\(o.size)</Size><StorageClass>STANDARD</StorageClass></Contents>"
        }
        for p in prefixes { x += "<CommonPrefixes><Prefix>\(HTMLEscape.text(p))</Prefix></CommonPrefixes>" }
        return x + "</ListBucketResult>\n"
    }

    static func decodeToken(_ t: String) -> String? {
        guard t.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        var i = t.startIndex
        while i < t.endIndex {
            let j = t.index(i, offsetBy: 2)
            guard let b = UInt8(t[i..<j], radix: 16) else { return nil }
            bytes.append(b); i = j
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
