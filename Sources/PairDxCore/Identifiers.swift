/// PubMed Central article ids: `PMC` followed by digits, optionally `.version`.
public enum PMCID {
    /// Parses `PMC123`, `pmc123`, `123`, `PMC123.2` into (`PMC123`, version?). Returns nil for anything else.
    public static func parse(_ raw: String) -> (id: String, version: Int?)? {
        var s = Substring(raw.trimmingCharacters(in: .whitespacesAndNewlines))
        if s.uppercased().hasPrefix("PMC") { s = s.dropFirst(3) }
        var version: Int? = nil
        if let dot = s.firstIndex(of: ".") {
            guard let v = Int(s[s.index(after: dot)...]), v > 0 else { return nil }
            version = v
            s = s[..<dot]
        }
        guard !s.isEmpty, s.count <= 12, s.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let digits = s.drop(while: { $0 == "0" })
        guard !digits.isEmpty else { return nil }
        return ("PMC" + digits, version)
    }

    /// Orders PMC ids numerically (PMC9 before PMC10) through a fixed-width key.
    public static func sortKey(_ id: String) -> String {
        let digits = id.hasPrefix("PMC") ? String(id.dropFirst(3)) : id
        let pad = max(0, 12 - digits.count)
        return String(repeating: "0", count: pad) + digits
    }
}

/// Item ids `PMC123/fig-id[/N]`, ordered by article number then the rest bytewise.
public enum ItemID {
    public static func make(pmcid: String, figure: String, graphic: Int?, of total: Int) -> String {
        total > 1 ? "\(pmcid)/\(figure)/\(graphic ?? 1)" : "\(pmcid)/\(figure)"
    }

    public static func article(of id: String) -> String {
        String(id.prefix(while: { $0 != "/" }))
    }

    public static func sortKey(_ id: String) -> String {
        let a = article(of: id)
        return PMCID.sortKey(a) + String(id.dropFirst(a.count))
    }
}

import Foundation

/// Names that become one path component on disk (recipe names → `Splits/<name>`, class names → export folders).
public enum PathComponent {
    public static let maxLength = 64

    /// Why `name` cannot be one path component, or nil when it can: 1–64 characters of `[A-Za-z0-9._-]`, starting with
    /// a letter or digit (so never `.`, `..`, a hidden name, an absolute path or a name with a separator).
    public static func problem(_ name: String) -> String? {
        guard let first = name.unicodeScalars.first else { return "is empty" }
        guard name.unicodeScalars.count <= maxLength else { return "is longer than \(maxLength) characters" }
        guard isAlphanumeric(first) else { return "must start with a letter or digit" }
        if let bad = name.unicodeScalars.first(where: { !(isAlphanumeric($0) || $0 == "." || $0 == "_" || $0 == "-") })
        {
            return "contains \(Printable.scalar(bad)); only letters, digits, '.', '_' and '-' are allowed"
        }
        return nil
    }

    static func isAlphanumeric(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c)
    }
}

/// Shows untrusted text in a message: control and non-ASCII characters escaped, long values cut.
public enum Printable {
    public static func scalar(_ c: Unicode.Scalar) -> String {
        switch c {
        case "\0": return "NUL"
        case "\r": return "a carriage return (CR)"
        case "\n": return "a line feed (LF)"
        case "\t": return "a tab"
        case "\u{FEFF}": return "a byte-order mark (U+FEFF)"
        default:
            if c.value < 0x20 || c.value == 0x7F || (0x80..<0xA0).contains(c.value) {
                return "the control character U+" + String(format: "%04X", c.value)
            }
            return "'\(c)' (U+" + String(format: "%04X", c.value) + ")"
        }
    }

    /// `value` quoted, with every character outside printable ASCII written as `\u{…}`, cut to `limit` characters.
    public static func quoted(_ value: Substring, limit: Int = 60) -> String {
        var out = ""
        var n = 0
        for c in value.unicodeScalars {
            if n == limit { return "'" + out + "…' (\(value.utf8.count) bytes)" }
            if c.value >= 0x20 && c.value < 0x7F && c != "'" && c != "\\" {
                out.unicodeScalars.append(c)
            } else {
                out += "\\u{" + String(c.value, radix: 16) + "}"
            }
            n += 1
        }
        return "'" + out + "'"
    }

    public static func quoted(_ value: String, limit: Int = 60) -> String { quoted(value[...], limit: limit) }
}
