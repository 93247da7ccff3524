import Foundation

/// Matches a JATS graphic href to one of an article version's media files, safely.
///
/// Rules: an href or media name that is not a plain file name (path separators, `..`, leading dot,
/// control characters) is refused as `unsafe-name`; a media name matches when its stem (the name without
/// its extension) equals the href or the href's own stem, case-insensitively. PMC's XML usually names a graphic
/// without an extension (`pone.0046493.g001`); publishers' XML often names one the bucket does not hold
/// (`…-fig1.tif` in the JATS, `…-fig1.jpg` in the bucket), so only a known media extension is stripped from
/// the href (`g001` in `pone.0046493.g001` is part of the stem). Among matches jpg/jpeg, then png, then anything
/// else is preferred; tif/tiff/gif and the other formats we cannot decode are recorded as `unsupported-format: <ext>`.
public enum MediaResolver {
    public enum Resolution: Equatable, Sendable {
        case media(name: String, location: String)
        case unsupported(String, name: String)
        case missing
        case unsafe(String)
    }

    static let preference = ["jpg": 0, "jpeg": 0, "png": 1]
    static let unsupported: Set<String> = ["tif", "tiff", "gif", "bmp", "eps", "svg", "pdf"]

    /// The name without its extension when that extension is a media format's, else the name itself.
    static func mediaStem(_ name: String) -> String {
        let ext = (name as NSString).pathExtension.lowercased()
        guard preference[ext] != nil || unsupported.contains(ext) else { return name }
        return (name as NSString).deletingPathExtension
    }

    /// A plain file name, or nil.
    public static func safeName(_ s: String) -> String? {
        guard !s.isEmpty, s.count <= 255, !s.hasPrefix("."), !s.contains("/"), !s.contains("\\"),
            !s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else { return nil }
        return s
    }

    /// `mediaURLs` as in the metadata (`s3://bucket/PMCn.v/name`); `articleKey` is `PMCn.v`.
    /// O(media) per call.
    public static func resolve(href: String, mediaURLs: [String], articleKey: String) -> Resolution {
        guard let h = safeName(href) else { return .unsafe(href) }
        let wanted: Set<String> = [h.lowercased(), mediaStem(h).lowercased()]
        var best: (rank: Int, name: String, location: String, ext: String)? = nil
        for location in mediaURLs {
            let name = String(location.split(separator: "/", omittingEmptySubsequences: false).last ?? "")
            let ext = (name as NSString).pathExtension.lowercased()
            let stem = (name as NSString).deletingPathExtension
            guard name == h || wanted.contains(stem.lowercased()) else { continue }
            // The file must sit in the article's own folder and have a plain name.
            guard safeName(name) != nil,
                location.hasSuffix("/\(articleKey)/\(name)") || location == "\(articleKey)/\(name)"
            else {
                return .unsafe(name)
            }
            let rank = preference[ext] ?? (unsupported.contains(ext) ? 3 : 2)
            if best == nil || rank < best!.rank || (rank == best!.rank && name < best!.name) {
                best = (rank, name, location, ext)
            }
        }
        guard let best else { return .missing }
        if best.rank == 3 { return .unsupported(best.ext == "tiff" ? "tif" : best.ext, name: best.name) }
        return .media(name: best.name, location: best.location)
    }
}

/// What the first bytes of a file say it is.
public enum MagicBytes {
    /// `png`, `jpeg`, `gif`, `tif`, `html`, `pdf`, `xml`, `text` or `unknown`. O(1) (reads ≤ 512 bytes).
    public static func kind(_ head: Data) -> String {
        let b = [UInt8](head.prefix(512))
        if b.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "png" }
        if b.starts(with: [0xFF, 0xD8, 0xFF]) { return "jpeg" }
        if b.starts(with: Array("GIF8".utf8)) { return "gif" }
        if b.starts(with: [0x49, 0x49, 0x2A, 0x00]) || b.starts(with: [0x4D, 0x4D, 0x00, 0x2A]) { return "tif" }
        if b.starts(with: Array("%PDF".utf8)) { return "pdf" }
        let text = String(
            decoding: b.drop(while: {
                $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 || $0 == 0xEF || $0 == 0xBB || $0 == 0xBF
            }), as: UTF8.self
        ).lowercased()
        if text.hasPrefix("<!doctype html") || text.hasPrefix("<html") || text.contains("<body")
            || text.contains("<head")
        {
            return "html"
        }
        if text.hasPrefix("<?xml") || text.hasPrefix("<") { return "xml" }
        if !b.isEmpty && b.allSatisfy({ $0 >= 0x09 && $0 < 0x80 }) { return "text" }
        return "unknown"
    }

    /// The first `n` bytes of a file.
    public static func head(of path: String, count n: Int = 512) -> Data {
        guard let fh = FileHandle(forReadingAtPath: path) else { return Data() }
        defer { try? fh.close() }
        return (try? fh.read(upToCount: n)) ?? Data()
    }
}
