import Foundation
import PairDxCore

/// The ways `pairdx verify` reports a result, for people and for CI: plain text, JSON (`CanonicalJSON` of
/// `Verify.Result`), GitHub workflow-command annotations and a JUnit XML report.
extension Verify {
    public enum Format: String, CaseIterable, Sendable {
        /// A summary line, then one line per problem and per skipped check.
        case text
        /// `Verify.Result` as one canonical JSON object.
        case json
        /// One `::error file=…,line=…,title=…::message` line per problem (GitHub Actions annotations), then a
        /// `::notice` line per skipped check.
        case github
    }

    /// Plain text: `verify <dir>: OK …` or `… N problem(s)`, then `  <check>: <file>:<line>: <item>: <message>` lines.
    public static func text(_ r: Result) -> String {
        var s =
            r.ok
            ? "verify \(r.splitDir): OK — \(r.items) items; checked \(r.checked.map(\.rawValue).joined(separator: ", "))"
                + (r.checked.contains(.images) ? "; \(r.imagesChecked) images" : "")
                + "; split digest \(r.digest ?? "none")\n"
            : "verify \(r.splitDir): \(r.problems.count) problem(s); split digest \(r.digest ?? "none")\n"
        for p in r.problems { s += "  \(p.check.rawValue): \(p)\n" }
        for k in r.skipped { s += "  skipped \(k.check.rawValue): \(k.reason)\n" }
        return s
    }

    /// GitHub Actions workflow commands: `::error file=F,line=L,title=T::M` per problem (properties and message
    /// escaped as the runner reads them: `%` `\r` `\n` in both, `:` `,` in properties), a `::notice` per skipped check.
    public static func githubAnnotations(_ r: Result) -> String {
        var s = ""
        for p in r.problems {
            var props: [String] = []
            if let f = p.file { props.append("file=" + escapeProperty(f)) }
            if let l = p.line { props.append("line=\(l)") }
            props.append("title=" + escapeProperty("pairdx verify: \(p.check.rawValue)"))
            s +=
                "::error \(props.joined(separator: ","))::" + escapeData((p.item.map { "\($0): " } ?? "") + p.message)
                + "\n"
        }
        for k in r.skipped {
            s +=
                "::notice title=" + escapeProperty("pairdx verify: \(k.check.rawValue) skipped") + "::"
                + escapeData(k.reason) + "\n"
        }
        return s
    }

    static func escapeData(_ s: String) -> String {
        s.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D").replacingOccurrences(
            of: "\n", with: "%0A")
    }

    static func escapeProperty(_ s: String) -> String {
        escapeData(s).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
    }

    /// JUnit XML: one `<testsuite>` for the split directory, one `<testcase>` per check (`classname` `pairdx.verify`):
    /// `<failure>` listing the check's problems, `<skipped>` with the reason, or empty when it passed. No times or host
    /// names, so the same result gives the same bytes.
    public static func junit(_ r: Result) -> String {
        var cases: [(Check, [Problem]?, String?)] = []  // (check, problems when run, skip reason)
        for c in Check.allCases {
            if r.checked.contains(c) {
                cases.append((c, r.problems.filter { $0.check == c }, nil))
            } else if let k = r.skipped.first(where: { $0.check == c }) {
                cases.append((c, nil, k.reason))
            }
        }
        let failures = cases.filter { ($0.1?.isEmpty == false) }.count
        let skipped = cases.filter { $0.2 != nil }.count
        let suite = "pairdx verify \(r.splitDir)"
        var x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        x +=
            "<testsuites name=\"pairdx verify\" tests=\"\(cases.count)\" failures=\"\(failures)\" errors=\"0\" skipped=\"\(skipped)\">\n"
        x +=
            "  <testsuite name=\"\(HTMLEscape.xml(suite))\" tests=\"\(cases.count)\" failures=\"\(failures)\" errors=\"0\" skipped=\"\(skipped)\">\n"
        for (c, problems, reason) in cases {
            let open = "    <testcase classname=\"pairdx.verify\" name=\"\(c.rawValue)\""
            if let reason {
                x += open + ">\n      <skipped message=\"\(HTMLEscape.xml(reason))\"/>\n    </testcase>\n"
            } else if let problems, !problems.isEmpty {
                x +=
                    open
                    + ">\n      <failure type=\"\(c.rawValue)\" message=\"\(problems.count) problem(s): \(HTMLEscape.xml(problems[0].description))\">"
                x +=
                    HTMLEscape.xml(problems.map(\.description).joined(separator: "\n"))
                    + "</failure>\n    </testcase>\n"
            } else {
                x += open + "/>\n"
            }
        }
        x += "  </testsuite>\n</testsuites>\n"
        return x
    }
}
