import Foundation

/// The text normalisation CLIP's tokeniser applies before byte-level BPE ("lower" cleaning): a subset of
/// ftfy's `fix_text` (HTML entities when the text has no `<`, terminal escapes, Latin ligatures, full-width ASCII,
/// curly quotes, line breaks, control characters, then NFC), two more rounds of HTML unescaping, whitespace runs
/// collapsed to one space, trimming, lower-casing.
///
/// Also as ftfy 6.3 does: C1 controls become their Windows-1252 characters (`fix_c1_controls`, before the quotes
/// are uncurled), U+0149 becomes ʼn and U+FB05 ſt (ftfy's ligature table), U+FF5F–U+FFEF take their compatibility
/// form (`fix_character_width`), tag characters U+E0000–U+E007F are kept.
///
/// Not reproduced: ftfy's mojibake repair (re-decoding text that was mis-decoded as Latin-1/Windows-1252); text
/// that needs it may tokenise differently. O(n) in the text length.
public enum CLIPTextCleaner {
    public static func clean(_ text: String) -> String {
        var s = text
        if !s.contains("<") { s = HTMLEntities.unescape(s) }
        s = ftfyScalars(s).precomposedStringWithCanonicalMapping
        s = HTMLEntities.unescape(HTMLEntities.unescape(s))
        return collapseWhitespace(s).lowercased()
    }

    /// Python's `str.isspace` (Unicode White_Space plus the information separators U+001C–U+001F).
    static func isPythonSpace(_ u: Unicode.Scalar) -> Bool {
        u.properties.isWhitespace || (0x1C...0x1F).contains(u.value)
    }

    /// `" ".join(text.split())`: whitespace runs become one space, ends trimmed.
    static func collapseWhitespace(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        for u in s.unicodeScalars {
            if isPythonSpace(u) {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(" ") }
                pendingSpace = false
                out.append(u)
            }
        }
        return String(out)
    }

    /// Windows-1252 characters of the C1 controls U+0080–U+009F (ftfy's `fix_c1_controls`); 0 = undefined, kept.
    static let c1: [UInt32] = [
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
        0x2039, 0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013,
        0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178
    ]

    /// The steps ftfy takes before uncurling quotes: C1 controls, the two ligatures whose ftfy form is not
    /// their compatibility decomposition, and the half-width forms.
    private static func ftfyEarlySteps(_ s: String) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(s.unicodeScalars.count)
        for u in s.unicodeScalars {
            switch u.value {
            case 0x80...0x9F:
                let mapped = c1[Int(u.value - 0x80)]
                out.append(mapped == 0 ? u : Unicode.Scalar(mapped)!)
            case 0x0149: out.append("\u{02BC}"); out.append("n")
            case 0xFB05: out.append("\u{017F}"); out.append("t")
            case 0xFF5F...0xFFEF:
                out.append(contentsOf: String(u).precomposedStringWithCompatibilityMapping.unicodeScalars)
            default: out.append(u)
            }
        }
        return out
    }

    private static func ftfyScalars(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        let scalars = ftfyEarlySteps(s)
        var i = 0
        while i < scalars.count {
            let u = scalars[i], v = u.value
            i += 1
            // Terminal escapes: ESC [ (digits | ;)* letter.
            if v == 0x1B, i < scalars.count, scalars[i] == "[" {
                var j = i + 1
                while j < scalars.count, scalars[j].properties.numericType != nil || scalars[j] == ";" { j += 1 }
                if j < scalars.count, scalars[j].isASCII, scalars[j].properties.isAlphabetic {
                    i = j + 1
                    continue
                }
            }
            switch v {
            case 0x2018...0x201B, 0x02BC: out.append("'")
            case 0x201C...0x201F: out.append("\"")
            case 0xFF01...0xFF5E: out.append(Unicode.Scalar(v - 0xFEE0)!)
            case 0x3000: out.append(" ")
            case 0x0132, 0x0133, 0x01C4...0x01CC, 0x01F1...0x01F3, 0xFB00...0xFB04, 0xFB06:
                out.append(contentsOf: String(u).decomposedStringWithCompatibilityMapping.unicodeScalars)
            case 0x0D:
                out.append("\n")
                if i < scalars.count, scalars[i] == "\n" { i += 1 }
            case 0x2028, 0x2029: out.append("\n")
            case 0x00...0x08, 0x0B, 0x0E...0x1F, 0x7F, 0x206A...0x206F, 0xFEFF, 0xFFF9...0xFFFC, 0x1D173...0x1D17A:
                continue
            default: out.append(u)
            }
        }
        return String(out)
    }
}

/// HTML character references as Python's `html.unescape` resolves them: decimal and hexadecimal references
/// (invalid code points become U+FFFD) and the common named entities. O(n).
enum HTMLEntities {
    static let named: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{A0}", "copy": "©", "reg": "®",
        "trade": "™", "deg": "°", "plusmn": "±", "times": "×", "divide": "÷", "micro": "µ", "middot": "·",
        "ndash": "–", "mdash": "—", "lsquo": "‘", "rsquo": "’", "ldquo": "“", "rdquo": "”", "hellip": "…",
        "bull": "•", "prime": "′", "Prime": "″", "minus": "−", "le": "≤", "ge": "≥", "ne": "≠", "asymp": "≈",
        "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "kappa": "κ", "lambda": "λ",
        "mu": "μ", "pi": "π", "sigma": "σ", "tau": "τ", "phi": "φ", "chi": "χ", "omega": "ω", "Delta": "Δ",
        "Omega": "Ω", "larr": "←", "rarr": "→", "uarr": "↑", "darr": "↓", "frac12": "½", "frac14": "¼",
        "frac34": "¾", "sup2": "²", "sup3": "³", "eacute": "é", "egrave": "è", "aacute": "á", "agrave": "à",
        "ouml": "ö", "uuml": "ü", "auml": "ä", "szlig": "ß", "ccedil": "ç", "ntilde": "ñ", "thinsp": "\u{2009}",
        "ensp": "\u{2002}", "emsp": "\u{2003}", "shy": "\u{AD}", "sect": "§", "para": "¶", "laquo": "«", "raquo": "»"
    ]
    /// Entities Python also accepts without the final semicolon.
    static let legacy: Set<String> = [
        "amp", "lt", "gt", "quot", "nbsp", "copy", "reg", "deg", "plusmn", "times",
        "micro", "middot", "eacute", "egrave", "aacute", "agrave", "ouml", "uuml",
        "auml", "szlig", "ccedil", "ntilde", "sup2", "sup3", "frac12", "frac14",
        "frac34", "sect", "para", "laquo", "raquo", "shy", "divide"
    ]

    static func unescape(_ s: String) -> String {
        guard s.contains("&") else { return s }
        let u = Array(s.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < u.count {
            guard u[i] == "&", i + 1 < u.count else { out.append(u[i]); i += 1; continue }
            if u[i + 1] == "#" {
                var j = i + 2
                let hex = j < u.count && (u[j] == "x" || u[j] == "X")
                if hex { j += 1 }
                let digitsStart = j
                while j < u.count, hex ? u[j].properties.isASCIIHexDigit : ("0"..."9").contains(u[j]) { j += 1 }
                if j > digitsStart {
                    let digits = String(String.UnicodeScalarView(u[digitsStart..<j]))
                    let value = UInt64(digits.prefix(12), radix: hex ? 16 : 10) ?? .max
                    out.append(numericReference(digits.count > 12 ? .max : value))
                    i = j < u.count && u[j] == ";" ? j + 1 : j
                    continue
                }
            } else {
                var j = i + 1
                while j < u.count, j - i <= 32, !["\t", "\n", "\u{0C}", " ", "<", "&", "#", ";"].contains(u[j]) {
                    j += 1
                }
                let name = String(String.UnicodeScalarView(u[(i + 1)..<j]))
                if j < u.count, u[j] == ";", let value = named[name] {
                    out.append(contentsOf: value.unicodeScalars)
                    i = j + 1
                    continue
                }
                // Longest legacy prefix without a semicolon.
                if let match = (1...max(1, name.count)).reversed().lazy.map({ String(name.prefix($0)) }).first(where: {
                    legacy.contains($0)
                }) {
                    out.append(contentsOf: named[match]!.unicodeScalars)
                    i += 1 + match.unicodeScalars.count
                    continue
                }
            }
            out.append(u[i])
            i += 1
        }
        return String(out)
    }

    private static func numericReference(_ v: UInt64) -> Unicode.Scalar {
        let cp1252: [UInt64: UInt32] = [
            0x80: 0x20AC, 0x82: 0x201A, 0x83: 0x0192, 0x84: 0x201E, 0x85: 0x2026, 0x86: 0x2020,
            0x87: 0x2021, 0x88: 0x02C6, 0x89: 0x2030, 0x8A: 0x0160, 0x8B: 0x2039, 0x8C: 0x0152,
            0x8E: 0x017D, 0x91: 0x2018, 0x92: 0x2019, 0x93: 0x201C, 0x94: 0x201D, 0x95: 0x2022,
            0x96: 0x2013, 0x97: 0x2014, 0x98: 0x02DC, 0x99: 0x2122, 0x9A: 0x0161, 0x9B: 0x203A,
            0x9C: 0x0153, 0x9E: 0x017E, 0x9F: 0x0178, 0x0D: 0x0D
        ]
        if let mapped = cp1252[v] { return Unicode.Scalar(mapped)! }
        if v == 0 || v > 0x10FFFF || (0xD800...0xDFFF).contains(v) { return "\u{FFFD}" }
        return Unicode.Scalar(UInt32(v)) ?? "\u{FFFD}"
    }
}
