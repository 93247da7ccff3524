/// Whitespace normalisation for extracted text (captions, titles).
public enum Whitespace {
    /// Collapses every run of Unicode whitespace to one space and trims both ends. O(n).
    public static func collapse(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        for u in s.unicodeScalars {
            if u.properties.isWhitespace {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(" "); pendingSpace = false }
                out.append(u)
            }
        }
        return String(out)
    }
}
