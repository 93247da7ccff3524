import Foundation

/// Tells a container from its first bytes (never from a file name).
public enum FormatSniffer {
    /// The format the magic bytes announce, or `nil` when nothing is recognised.
    /// Complexity: O(1) apart from skipping leading whitespace for text formats (at most 512 bytes).
    public static func sniff(_ data: Data) -> ImageFormat? {
        let head = [UInt8](data.prefix(512))
        func starts(_ magic: [UInt8]) -> Bool { head.count >= magic.count && Array(head[0..<magic.count]) == magic }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if starts([0xFF, 0xD8, 0xFF]) { return .jpeg }
        if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) { return .gif }
        if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) { return .tiff }
        if starts(Array("BM".utf8)) && head.count >= 14 { return .bmp }
        if starts(Array("RIFF".utf8)) && head.count >= 12 && Array(head[8..<12]) == Array("WEBP".utf8) { return .webp }
        if starts(Array("%PDF".utf8)) { return .pdf }
        if starts([0x50, 0x4B, 0x03, 0x04]) { return .zip }
        // Text formats: skip a byte-order mark and whitespace, compare case-insensitively.
        var i = 0
        if starts([0xEF, 0xBB, 0xBF]) { i = 3 }
        while i < head.count, head[i] == 0x20 || head[i] == 0x09 || head[i] == 0x0A || head[i] == 0x0D { i += 1 }
        let text = String(decoding: head[i...], as: UTF8.self).lowercased()
        if text.hasPrefix("<!doctype html") || text.hasPrefix("<html") || text.hasPrefix("<head")
            || text.hasPrefix("<body")
        {
            return .html
        }
        if text.hasPrefix("<svg") { return .svg }
        if text.hasPrefix("<?xml") { return text.contains("<svg") ? .svg : (text.contains("<html") ? .html : .xml) }
        return nil
    }
}
