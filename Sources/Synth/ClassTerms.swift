import Foundation
import PairDxCore

/// The class vocabulary of recipe `pairdx-synth-v1`, and a matcher with the labeller's rules: terms match on
/// word boundaries, hyphen and space are interchangeable, terms listed as case-sensitive match only in
/// that case. The generator uses it to check every caption it writes against the caption kind it intends.
enum ClassTerms {
    struct Rule: Sendable {
        let include: [String]
        let exclude: [String]
        let caseSensitive: Set<String>
    }

    static let rules: [SynthClass: Rule] = [
        .ct: Rule(
            include: ["CT", "computed tomography", "CTA", "HRCT", "MDCT", "CT angiography"],
            exclude: ["CT-guided"], caseSensitive: ["CT", "CTA", "HRCT", "MDCT"]),
        .mri: Rule(
            include: [
                "MRI", "MR", "magnetic resonance", "T1-weighted", "T2-weighted", "FLAIR", "diffusion-weighted", "DWI"
            ],
            exclude: [], caseSensitive: ["MRI", "MR", "FLAIR", "DWI"]),
        .xray: Rule(
            include: ["x-ray", "xray", "radiograph", "radiography", "radiographic", "plain film", "CXR"],
            exclude: [], caseSensitive: ["CXR"]),
        .ultrasound: Rule(
            include: ["ultrasound", "ultrasonography", "sonography", "sonographic", "Doppler", "echocardiography"],
            exclude: [], caseSensitive: []),
        .histopathology: Rule(
            include: [
                "histopathology", "histological", "histology", "H&E", "hematoxylin and eosin",
                "immunohistochemistry", "photomicrograph"
            ], exclude: [], caseSensitive: []),
        .endoscopy: Rule(
            include: ["endoscopy", "endoscopic", "colonoscopy", "gastroscopy", "bronchoscopy", "cystoscopy"],
            exclude: [], caseSensitive: [])
    ]

    /// Terms that exclude a caption from every class.
    static let excludeAll = ["schematic", "flowchart", "flow chart", "diagram", "bar chart", "Kaplan-Meier"]

    /// Classes whose include terms occur in `text` and whose exclude terms do not. O(terms × text).
    static func classes(in text: String) -> Set<SynthClass> {
        let n = Normalized(text)
        var out = Set<SynthClass>()
        for (c, rule) in rules {
            let hit = rule.include.contains { n.contains($0, caseSensitive: rule.caseSensitive.contains($0)) }
            let veto = rule.exclude.contains { n.contains($0, caseSensitive: false) }
            if hit && !veto { out.insert(c) }
        }
        return out
    }

    /// Whether any exclude-from-every-class term occurs.
    static func isExcluded(_ text: String) -> Bool {
        let n = Normalized(text)
        return excludeAll.contains { n.contains($0, caseSensitive: false) }
    }

    /// Text with hyphens as spaces and whitespace collapsed, kept in both original and lower case.
    private struct Normalized {
        let original: [UInt8]
        let lower: [UInt8]

        init(_ text: String) {
            var bytes: [UInt8] = []
            var lastSpace = true
            for b in text.utf8 {
                let isSpace = b == 0x20 || b == 0x2D || b == 0x09 || b == 0x0A || b == 0x0D
                if isSpace {
                    if !lastSpace { bytes.append(0x20) }; lastSpace = true
                } else {
                    bytes.append(b); lastSpace = false
                }
            }
            original = bytes
            lower = bytes.map { ($0 >= 0x41 && $0 <= 0x5A) ? $0 + 32 : $0 }
        }

        func contains(_ term: String, caseSensitive: Bool) -> Bool {
            let t = Normalized(term)
            let needle = caseSensitive ? t.original : t.lower
            let hay = caseSensitive ? original : lower
            guard !needle.isEmpty, hay.count >= needle.count else { return false }
            func isWord(_ b: UInt8) -> Bool {
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b >= 0x80
            }
            var i = 0
            while i + needle.count <= hay.count {
                if hay[i] == needle[0] && Array(hay[i..<(i + needle.count)]) == needle {
                    let before = i == 0 || !isWord(hay[i - 1])
                    let after = i + needle.count == hay.count || !isWord(hay[i + needle.count])
                    if before && after { return true }
                }
                i += 1
            }
            return false
        }
    }
}

/// Markup helpers for caption fragments, which are written as XML (escaped text with inline tags).
enum Markup {
    /// Plain text of an XML fragment: tags removed, the five predefined entities decoded.
    static func plain(_ xml: String) -> String {
        var out = ""
        var inTag = false
        for ch in xml {
            if ch == "<" { inTag = true; continue }
            if ch == ">" { inTag = false; continue }
            if !inTag { out.append(ch) }
        }
        return out.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    /// Escapes text for element content or attribute values (`HTMLEscape.text`).
    static func escape(_ s: String) -> String { HTMLEscape.text(s) }

    /// Whitespace-separated words of the plain text.
    static func words(_ xml: String) -> [Substring] {
        plain(xml).split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
    }
}
