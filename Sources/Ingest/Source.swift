import Foundation
import PairDxCore

/// Where articles come from: a mirror directory, a `file://` URL or an `http(s)://` base (a mirror
/// or the bucket itself). `s3://pmc-oa-opendata/<key>` maps to `<base>/<key>`; every read goes
/// through `HTTPClient`, so directories and servers share one code path.
public struct Source: Sendable, CustomStringConvertible {
    /// Base URL ending in `/`.
    public let base: String
    /// The local directory when the source is one (listing then reads the filesystem).
    public let directory: String?

    public init(_ raw: String) throws(PairDxError) {
        let lower = raw.lowercased()
        if lower.hasPrefix("http://") || lower.hasPrefix("https://") {
            base = raw.hasSuffix("/") ? raw : raw + "/"
            directory = nil
        } else {
            var path = lower.hasPrefix("file://") ? String(raw.dropFirst(7)) : raw
            if !path.hasPrefix("/") { path = FileManager.default.currentDirectoryPath + "/" + path }
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                throw .io("source \(raw): no such directory (give a mirror directory or an http(s) URL)")
            }
            guard isDir.boolValue else { throw .usage("source \(raw) is neither an http(s) URL nor a directory") }
            let clean = (path as NSString).standardizingPath
            base = "file://" + (clean.hasSuffix("/") ? clean : clean + "/")
            directory = clean
        }
    }

    public var description: String { directory ?? base }

    /// `s3://<bucket>/<key>` or a bare key → URL under the base. nil for anything else (other schemes).
    public func url(for location: String) -> String? {
        guard let k = Source.key(of: location) else { return nil }
        return base + (k.addingPercentEncoding(withAllowedCharacters: Source.keyCharacters) ?? k)
    }

    /// The safe key of `s3://<bucket>/<key>` or of a bare key; nil for other schemes and unsafe keys.
    public static func key(of location: String) -> String? {
        var key = location
        if location.hasPrefix("s3://") {
            let rest = location.dropFirst(5)
            guard let slash = rest.firstIndex(of: "/") else { return nil }
            key = String(rest[rest.index(after: slash)...])
        } else if location.contains("://") {
            return nil
        }
        return safeKey(key)
    }

    static let keyCharacters: CharacterSet = {
        var c = CharacterSet.alphanumerics; c.insert(charactersIn: "-._~/"); return c
    }()

    /// A relative key with no empty, `.` or `..` component and no leading `/` or `\`; else nil.
    static func safeKey(_ key: String) -> String? {
        guard !key.isEmpty, !key.hasPrefix("/"), !key.contains("\\"), !key.contains("\0") else { return nil }
        for part in key.split(separator: "/", omittingEmptySubsequences: false)
        where part.isEmpty || part == "." || part == ".." { return nil }
        return key
    }

    /// The key of an article version's metadata: `PMCn.v/PMCn.v.json`.
    public static func metadataKey(_ pmcid: String, _ version: Int) -> String {
        "\(pmcid).\(version)/\(pmcid).\(version).json"
    }
}
