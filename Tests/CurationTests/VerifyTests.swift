import Foundation
import PairDxCore
import PairDxTestSupport
import Testing
@testable import Curation

/// `pairdx verify` cannot be fooled: the tamper matrix, hostile split rows (also for export and audit), the pinned
/// digest, and the CI formats checked against their consumers.
@Suite(.scratch) struct VerifyTests {
    /// A fresh split + manifest under `<root>/Splits/<name>` and `<root>/Manifests/<name>` on a small work directory.
    static func built(_ tag: String) throws -> (
        work: WorkDirectory, root: String, split: String, manifest: String, recipe: Recipe
    ) {
        let work = try Fixture.makeWork(articles: 40)
        let r = try Fixture.recipe("pairdx-synth-v1")
        let root = try Scratch.directory(tag)
        let split = root + "/Splits/\(r.name)", manifest = root + "/Manifests/\(r.name)"
        _ = try LabelStage.run(work: work, recipe: r)
        try CurationStages.balance(work: work, recipe: r)
        try CurationStages.split(work: work, recipe: r, name: r.name, splitDir: split)
        try CurationStages.manifest(work: work, recipe: r, name: r.name, splitDir: split, manifestDir: manifest)
        return (work, root, split, manifest, r)
    }

    func verify(
        _ b: (work: WorkDirectory, root: String, split: String, manifest: String, recipe: Recipe), data: Bool = false,
        expect: Verify.Expectation? = nil
    ) throws -> Verify.Result {
        try Verify.run(
            splitDir: b.split, work: data ? b.work : nil, against: nil,
            expect: expect ?? Verify.Expectation.besideSplit(b.split))
    }

    @Test func untouchedSplitPassesEveryCheckAndMatchesItsRecordedDigest() throws {
        let b = try Self.built("clean")
        let v = try verify(b, data: true)
        #expect(v.ok, "\(v.problems)")
        #expect(
            try String(decoding: FileSystem.read(b.manifest + "/croissant.json"), as: UTF8.self).contains(
                "\"contentUrl\" : \"../../Splits/\(b.recipe.name)/train.csv\""))
        #expect(Set(v.checked) == Set(Verify.Check.allCases).subtracting([.diff]))
        #expect(v.digest == SHA256.hex(try FileSystem.read(b.split + "/SHA256SUMS")))
        #expect(try Manifest.recordedSplitDigest(b.manifest) == v.digest)
        // The record is a sha256sum line too, checkable from the manifest directory.
        let r = try Fixture.run("/usr/bin/sha256sum", ["-c", Manifest.splitDigestFile], cwd: b.manifest)
        #expect(r.status == 0, "\(r.output)")
        #expect(try FileSystem.readString(b.manifest + "/SHA256SUMS").contains("  split.sha256\n"))
    }

    // MARK: the tamper matrix

    @Test func emptySha256sumsFails() throws {
        let b = try Self.built("empty")
        try AtomicFile.write(Data(), to: b.split + "/SHA256SUMS")
        let v = try verify(b, expect: nil)
        #expect(!v.ok && !v.badInput)
        #expect(
            v.problems.contains {
                $0.check == .sha256sums && $0.file == b.split + "/SHA256SUMS"
                    && $0.message.hasPrefix("SHA256SUMS is empty")
            }, "\(v.problems)")
        // Even without a pinned digest.
        let u = try Verify.run(splitDir: b.split, work: nil, against: nil)
        #expect(!u.ok && u.problems.contains { $0.message.hasPrefix("SHA256SUMS is empty") })
    }

    @Test func aMissingLineFailsNamingTheUnlistedFile() throws {
        let b = try Self.built("line")
        let sums = try FileSystem.readString(b.split + "/SHA256SUMS").split(separator: "\n").filter {
            !$0.hasSuffix("  train.csv")
        }
        try AtomicFile.write(sums.joined(separator: "\n") + "\n", to: b.split + "/SHA256SUMS")
        let v = try Verify.run(splitDir: b.split, work: nil, against: nil)
        #expect(
            v.problems.contains {
                $0.check == .sha256sums && $0.item == "train.csv"
                    && $0.message == "train.csv is not listed in SHA256SUMS"
            }, "\(v.problems)")
    }

    @Test func anExtraFileFailsListedOrNot() throws {
        let b = try Self.built("extra")
        try AtomicFile.write("notes\n", to: b.split + "/README.txt")
        let v = try Verify.run(splitDir: b.split, work: nil, against: nil)
        #expect(
            v.problems.contains {
                $0.check == .sha256sums && $0.file == b.split + "/README.txt" && $0.message.hasPrefix("extra file")
            }, "\(v.problems)")
        // Listed in SHA256SUMS with its right digest: still not a file of a split.
        let sums =
            try FileSystem.readString(b.split + "/SHA256SUMS") + "\(SHA256.hex(Data("notes\n".utf8)))  README.txt\n"
        try AtomicFile.write(sums, to: b.split + "/SHA256SUMS")
        let w = try Verify.run(splitDir: b.split, work: nil, against: nil)
        #expect(
            w.problems.contains { $0.line == 5 && $0.message.hasPrefix("lists a file that is not part of a split") },
            "\(w.problems)")
        #expect(w.problems.contains { $0.message.hasPrefix("extra file") })
    }

    @Test func malformedDuplicatedAndUnsortedLinesAreNamedByLine() throws {
        let b = try Self.built("malformed")
        var lines = try FileSystem.readString(b.split + "/SHA256SUMS").split(separator: "\n").map(String.init)
        lines.swapAt(0, 1)
        lines.append(lines[1])
        lines.append("not a checksum line")
        try AtomicFile.write(lines.joined(separator: "\n") + "\n", to: b.split + "/SHA256SUMS")
        let v = try Verify.run(splitDir: b.split, work: nil, against: nil)
        let p = v.problems.filter { $0.check == .sha256sums }
        #expect(p.contains { $0.line == 2 && $0.message.contains("listed after") }, "\(p)")
        #expect(p.contains { $0.line == 5 && $0.message.contains("again (first on line 2)") }, "\(p)")
        #expect(p.contains { $0.line == 6 && $0.message.hasPrefix("malformed line") }, "\(p)")
    }

    /// A consistent re-write (a row changes class, splits.json and SHA256SUMS recomputed to match) passes every
    /// check that only compares the files with each other; the pinned digest catches it.
    @Test func aConsistentRewriteIsCaughtByThePinnedDigest() throws {
        let b = try Self.built("rewrite")
        let pinned = try #require(try verify(b).digest)
        var items: [SplitName: [Splitter.Item]] = [:]
        for s in SplitName.allCases { items[s] = try SplitFiles.readCSV(b.split + "/\(s.rawValue).csv") }
        let other = b.recipe.classes.map(\.name).first { $0 != items[.train]![0].class }!
        items[.train]![0].class = other
        let summary = try CanonicalJSON.decode(
            SplitsSummary.self, from: FileSystem.read(b.split + "/splits.json"), source: "splits.json")
        try SplitFiles.write(
            .init(items: items, groupCount: summary.groups.count, largestGroup: summary.groups.largest),
            to: b.split, name: b.recipe.name, recipe: b.recipe, sourceSnapshot: summary.sourceSnapshot)
        let unpinned = try Verify.run(splitDir: b.split, work: b.work, against: nil)
        #expect(unpinned.ok, "the re-write is consistent: \(unpinned.problems)")
        #expect(unpinned.skipped.contains { $0.check == .digest })
        let literal = try Verify.run(splitDir: b.split, work: nil, against: nil, expect: .parse(pinned))
        #expect(literal.problems.map(\.check) == [.digest], "\(literal.problems)")
        #expect(literal.problems.first?.message.contains("--expect pins \(pinned)") == true)
        // The record beside the split (Manifests/<name>/split.sha256), used by default, catches it too.
        let beside = try verify(b)
        #expect(
            beside.problems.contains { $0.check == .digest && $0.item == b.manifest + "/split.sha256" },
            "\(beside.problems)")
    }

    @Test func oneByteInAnImageBlobFails() throws {
        let b = try Self.built("blob")
        let item = try SplitFiles.readCSV(b.split + "/val.csv")[0]
        let blob = b.work.blobs.path(for: item.sha256)
        var d = try FileSystem.read(blob)
        d[d.count / 2] ^= 0x01
        try AtomicFile.write(d, to: blob)
        let v = try verify(b, data: true)
        #expect(v.problems.map(\.check) == [.images], "\(v.problems)")
        #expect(v.problems.first?.item == item.id && v.problems.first?.file == b.split + "/val.csv")
    }

    @Test func expectRejectsAnythingButADigest() throws {
        #expect(throws: PairDxError.self) { try Verify.Expectation.parse("abc") }
        #expect(
            try Verify.Expectation.parse("sha256:" + String(repeating: "a", count: 64)).digest
                == String(repeating: "a", count: 64))
        let dir = try Scratch.directory("digest")
        try AtomicFile.write("zz  ../x/SHA256SUMS\n", to: dir + "/split.sha256")
        #expect { try Manifest.recordedSplitDigest(dir) } throws: { ($0 as? PairDxError)?.kind == .badInput }
        #expect { try Manifest.recordedSplitDigest(dir + "/none") } throws: { ($0 as? PairDxError)?.kind == .io }
    }

    // MARK: hostile split rows

    /// Each case rewrites line 2 of train.csv (or the whole file); `line` and `field` are what the error must name.
    static let hostile: [(name: String, edit: @Sendable (String) -> String, line: Int, field: String?, says: String)] =
        [
            ("class ../", { row($0, 1, "../../../tmp/pwn") }, 2, "class", "must start with a letter or digit"),
            ("class absolute", { row($0, 1, "/etc") }, 2, "class", "must start with a letter or digit"),
            ("class not in recipe", { row($0, 1, "cardiology") }, 2, "class", "is not a class of the recipe"),
            (
                "sha256 traversal", { row($0, 4, "../../../../etc/passwd") }, 2, "sha256",
                "is not 64 lowercase hex digits"
            ),
            (
                "sha256 uppercase", { row($0, 4, String(repeating: "A", count: 64)) }, 2, "sha256",
                "is not 64 lowercase hex digits"
            ),
            ("NUL in id", { row($0, 0, "PMC1/fig\u{0}1") }, 2, "id", "contains NUL"),
            ("group ..", { row($0, 7, "PMC1/../x") }, 2, "group", "'..' path segment"),
            ("absolute group", { row($0, 7, "/PMC1") }, 2, "group", "is an absolute path"),
            ("phash256 not hex", { row($0, 6, "xyz") }, 2, "phash256", "is not 64 lowercase hex digits"),
            (
                "10 MB line", { lines($0, insertAt: 2, String(repeating: "A", count: 10 << 20)) }, 2, nil,
                "bytes long (at most 4096)"
            ),
            ("CRLF", { $0.replacingOccurrences(of: "\n", with: "\r\n") }, 1, nil, "carriage return (CRLF)"),
            ("BOM", { "\u{FEFF}" + $0 }, 1, nil, "byte-order mark"),
            (
                "duplicated header", { lines($0, insertAt: 2, SplitFiles.header.joined(separator: ",")) }, 2, nil,
                "repeats the header"
            ),
            ("quoted field", { row($0, 3, "\"fig1\"") }, 2, "figure", "quotes, commas"),
            (
                "repeated id", { lines($0, insertAt: 3, String($0.split(separator: "\n")[1])) }, 3, "id",
                "repeats the id of line 2"
            ),
            ("short row", { lines($0, insertAt: 2, "PMC1/F1,ct") }, 2, nil, "2 fields, expected 8")
        ]

    static func row(_ csv: String, _ field: Int, _ value: String) -> String {
        var ls = csv.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var f = ls[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        f[field] = value
        ls[1] = f.joined(separator: ",")
        return ls.joined(separator: "\n")
    }

    static func lines(_ csv: String, insertAt n: Int, _ line: String) -> String {
        var ls = csv.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        ls.insert(line, at: n - 1)
        return ls.joined(separator: "\n")
    }

    @Test(arguments: 0..<hostile.count)
    func hostileRowIsBadInputForVerifyExportAndAudit(_ index: Int) throws {
        let h = Self.hostile[index]
        let b = try Self.built("hostile")
        let train = b.split + "/train.csv"
        try AtomicFile.write(h.edit(try FileSystem.readString(train)), to: train)
        let located = "\(train):\(h.line): " + (h.field.map { "field '\($0)'" } ?? "")

        let v = try Verify.run(splitDir: b.split, work: b.work, against: nil)
        #expect(v.badInput, "\(h.name): \(v.problems)")
        let csv = v.problems.filter { $0.check == .csv }
        #expect(
            csv.contains { p in
                p.file == train && p.line == h.line && p.message.contains(h.says)
                    && (h.field.map { f in p.message.hasPrefix("field '\(f)'") } ?? true)
            }, "\(h.name): \(csv)")
        #expect(
            csv.allSatisfy { $0.description.utf8.count < 1000 },
            "\(h.name): a problem echoes the hostile value at length")

        let out = b.root + "/export"
        for export in [
            {
                try Export.bagit(
                    splitDir: b.split, manifestDir: b.manifest, work: b.work, to: out + "/bag",
                    classes: Set(b.recipe.classes.map(\.name)))
            },
            { try Export.imageFolder(splitDir: b.split, recipe: b.recipe, work: b.work, to: out + "/folder") },
            {
                try Export.webDataset(
                    splitDir: b.split, work: b.work, to: out + "/wds", shardSize: 10,
                    classes: Set(b.recipe.classes.map(\.name)))
            }
        ] {
            #expect { _ = try export() } throws: { e in
                guard let e = e as? PairDxError, e.kind == .badInput else { return false }
                return e.message.contains(located) && e.message.contains(h.says)
            }
        }
        #expect(!FileSystem.exists(out), "\(h.name): the export wrote files before failing")
        #expect(!FileSystem.exists("/tmp/pwn"))

        #expect { try Audit.run(splitDir: b.split, data: b.work.root, out: b.root + "/report") } throws: { e in
            guard let e = e as? PairDxError, e.kind == .badInput else { return false }
            return e.message.contains(located) && e.message.contains(h.says)
        }
        #expect(!FileSystem.exists(b.root + "/report"))
    }

    @Test func recipeAndClassNamesMustBeSafePathComponents() throws {
        for bad in ["../evil", "/abs", "a/b", ".hidden", "", "x y", "nul\u{0}"] {
            var r = try Fixture.recipe("pairdx-synth-v1")
            r.name = bad
            #expect(throws: PairDxError.self, "name \(bad)") { try r.validate(source: "recipe.json") }
            var c = try Fixture.recipe("pairdx-synth-v1")
            c.classes[0].name = bad
            #expect(throws: PairDxError.self, "class \(bad)") { try c.validate(source: "recipe.json") }
        }
        #expect(throws: Never.self) { try Fixture.recipe("pairdx-synth-v1").validate(source: "recipe.json") }
    }

    // MARK: CI formats, checked against their consumers

    /// Two problems with awkward characters (a file name with a comma and a colon, a message with % and a newline).
    func resultWithProblems() throws -> Verify.Result {
        let b = try Self.built("formats")
        try AtomicFile.write("x\n", to: b.split + "/a,b:c%.txt")
        try AtomicFile.write(Data(), to: b.split + "/SHA256SUMS")
        var r = try Verify.run(splitDir: b.split, work: nil, against: nil)
        r.problems.append(
            .init(.csv, file: b.split + "/train.csv", line: 7, item: "PMC1/F1", "100% wrong\r\nsecond line"))
        return r
    }

    /// GitHub's grammar: `::command prop=value,prop=value::message` on one line; values escape `%` `\r` `\n` `:` `,`,
    /// the message `%` `\r` `\n`. Parsed back, each annotation gives the problem's file, line and text.
    @Test func githubAnnotationsFollowTheWorkflowCommandGrammar() throws {
        let r = try resultWithProblems()
        let out = Verify.githubAnnotations(r)
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.count == r.problems.count + r.skipped.count)
        let grammar = try Regex(
            #"^::(error|notice)(?: ((?:file|line|title)=[^,:\r\n]*(?:,(?:file|line|title)=[^,:\r\n]*)*))?::([^\r\n]*)$"#
        )
        func unescape(_ s: Substring) -> String {
            s.replacingOccurrences(of: "%0A", with: "\n").replacingOccurrences(of: "%0D", with: "\r")
                .replacingOccurrences(of: "%3A", with: ":")
                .replacingOccurrences(of: "%2C", with: ",").replacingOccurrences(of: "%25", with: "%")
        }
        for (i, p) in r.problems.enumerated() {
            let m = try #require(try grammar.wholeMatch(in: lines[i]), "not a workflow command: \(lines[i])")
            #expect(m.output[1].substring == "error")
            var props: [String: String] = [:]
            for kv in (m.output[2].substring ?? "").split(separator: ",") {
                let parts = kv.split(separator: "=", maxSplits: 1)
                props[String(parts[0])] = unescape(parts[1])
            }
            #expect(props["file"] == p.file)
            #expect(props["line"] == p.line.map(String.init))
            #expect(props["title"] == "pairdx verify: \(p.check.rawValue)")
            #expect(unescape(m.output[3].substring!) == (p.item.map { "\($0): " } ?? "") + p.message)
        }
        #expect(lines.contains { $0.hasPrefix("::error file=") && $0.contains("a%2Cb%3Ac%25.txt") })
        #expect(lines.last?.hasPrefix("::notice title=pairdx verify%3A ") == true)
    }

    static let python = Prerequisite.python([])

    /// The JUnit report parses with Python's xml.etree; suites, cases, failures and skips are where CI tools look.
    @Test(python.trait) func junitReportParsesAndCountsFailuresAndSkips() throws {
        let py = try Self.python.require()
        let r = try resultWithProblems()
        let dir = try Scratch.directory("junit")
        try AtomicFile.write(Verify.junit(r), to: dir + "/verify.xml")
        let script = """
            import sys, xml.etree.ElementTree as ET
            root = ET.parse(sys.argv[1]).getroot()
            assert root.tag == "testsuites", root.tag
            suites = root.findall("testsuite")
            assert len(suites) == 1
            s = suites[0]
            cases = s.findall("testcase")
            assert int(s.get("tests")) == len(cases) == int(root.get("tests"))
            failed = [c.get("name") for c in cases if c.find("failure") is not None]
            not_run = [(c.get("name"), c.find("skipped").get("message")) for c in cases if c.find("skipped") is not None]
            assert int(s.get("failures")) == len(failed) and int(s.get("skipped")) == len(not_run)
            text = [c.find("failure").text for c in cases if c.find("failure") is not None]
            print(",".join(sorted(failed)))
            print("|".join(n + "=" + m for n, m in not_run))
            print(any("100% wrong\\r\\nsecond line" in t for t in text))
            """
        let res = try Fixture.run(py, ["-c", script, dir + "/verify.xml"])
        #expect(res.status == 0, "\(res.output)")
        let out = res.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let failedChecks = Set(r.problems.map(\.check.rawValue)).sorted()
        #expect(out.first == failedChecks.joined(separator: ","))
        #expect(out.count > 2 && out[1] == r.skipped.map { "\($0.check.rawValue)=\($0.reason)" }.joined(separator: "|"))
        #expect(out.count > 2 && out[2] == "True")
    }

    @Test func jsonIsOneObjectWithProblemsByFileLineAndItem() throws {
        let r = try resultWithProblems()
        let obj = try #require(try JSONSerialization.jsonObject(with: CanonicalJSON.encode(r)) as? [String: Any])
        #expect(obj["ok"] as? Bool == false)
        let problems = try #require(obj["problems"] as? [[String: Any]])
        #expect(problems.count == r.problems.count)
        #expect(
            problems.contains {
                $0["check"] as? String == "csv" && $0["line"] as? Int == 7 && $0["item"] as? String == "PMC1/F1"
                    && ($0["file"] as? String)?.hasSuffix("/train.csv") == true
            })
        #expect((obj["skipped"] as? [[String: Any]])?.isEmpty == false)
    }
}
