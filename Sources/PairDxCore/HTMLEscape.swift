/// Escaping for text placed in HTML, SVG or XML: element content and double-quoted attribute values alike. The one
/// home of markup escaping (the audit and validation pages, the charts, the JUnit report, the synthetic corpus's JATS,
/// the mirror server's XML listings).
public enum HTMLEscape {
    /// Replaces `& < > " '` with entities and drops C0 controls other than tab and newline (invalid in XML).
    /// O(length).
    public static func text(_ s: String) -> String { escape(s, breaksAsReferences: false) }

    /// As `text`, and line breaks and tabs as character references, so they survive XML attribute-value
    /// normalisation (JUnit `message` attributes). O(length).
    public static func xml(_ s: String) -> String { escape(s, breaksAsReferences: true) }

    static func escape(_ s: String, breaksAsReferences: Bool) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\n" where breaksAsReferences: out += "&#10;"
            case "\r" where breaksAsReferences: out += "&#13;"
            case "\t" where breaksAsReferences: out += "&#9;"
            default:
                if u.value < 0x20 && u != "\n" && u != "\t" { continue }
                if u.value == 0x7F || (0xFFFE...0xFFFF).contains(u.value) { continue }
                out.unicodeScalars.append(u)
            }
        }
        return out
    }
}
