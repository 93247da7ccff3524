import Foundation

/// Caption tokeniser shared by the text and fusion models.
///
/// Rules (in order): the caption is lowercased; it is cut into words at every character that is not a
/// letter, a digit, a hyphen or an apostrophe inside a word; a word made only of digits and the separators
/// `.`/`,` (for example `3`, `2.5`, `1,000`) becomes the number token `<num>`; hyphens at either end of a
/// word are dropped. A hyphenated word (`t2-weighted`) is kept whole; the vocabulary lookup tries the whole
/// word first and falls back to its parts (see `Vocabulary.encode`).
///
/// Complexity: O(n) in the caption's length.
public enum Tokenizer {
    /// The token every number becomes.
    public static let numberToken = "<num>"

    /// Words of `text` after lowercasing and number normalisation, hyphenated words kept whole.
    public static func words(_ text: String) -> [String] {
        var out: [String] = []
        var current = String.UnicodeScalarView()
        func flush() {
            guard !current.isEmpty else { return }
            var w = String(current)
            current.removeAll(keepingCapacity: true)
            while w.hasPrefix("-") || w.hasPrefix("'") { w.removeFirst() }
            while w.hasSuffix("-") || w.hasSuffix("'") { w.removeLast() }
            guard !w.isEmpty else { return }
            out.append(isNumber(w) ? numberToken : w)
        }
        for scalar in text.lowercased().unicodeScalars {
            if CharacterSet.alphanumerics.contains(scalar) || scalar == "-" || scalar == "'" {
                current.append(scalar)
            } else if (scalar == "." || scalar == ","), let last = current.last,
                CharacterSet.decimalDigits.contains(last)
            {
                // Keep a decimal point or thousands separator inside a number; trimmed below if trailing.
                current.append(scalar)
            } else {
                flush()
            }
        }
        flush()
        return out.map { w in
            var w = w
            while w.hasSuffix(".") || w.hasSuffix(",") { w.removeLast() }
            return isNumber(w) ? numberToken : w
        }
    }

    /// The parts of a hyphenated word (`t2-weighted` → `t2`, `weighted`), numbers normalised;
    /// empty when the word holds no hyphen.
    public static func parts(of word: String) -> [String] {
        guard word.contains("-") else { return [] }
        return word.split(separator: "-").map(String.init).filter { !$0.isEmpty }.map {
            isNumber($0) ? numberToken : $0
        }
    }

    /// True for digits with optional `.`/`,` separators (at least one digit).
    static func isNumber(_ w: String) -> Bool {
        var digits = 0
        for s in w.unicodeScalars {
            if CharacterSet.decimalDigits.contains(s) { digits &+= 1 } else if s != "." && s != "," { return false }
        }
        return digits > 0
    }
}
