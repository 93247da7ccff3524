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
