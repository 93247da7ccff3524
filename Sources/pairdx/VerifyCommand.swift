import ArgumentParser
import Curation
import Foundation
import PairDxCore

extension Verify.Format: ExpressibleByArgument {}

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract:
            "Check a split directory: SHA256SUMS, every CSV field, unique ids, intact groups, counts, membership, images, the pinned digest.",
        discussion: """
            SHA256SUMS must list exactly the split's files (splits.json, test.csv, train.csv, val.csv), one canonical line
            each; the directory holds nothing else. The split digest is the sha256 of SHA256SUMS: --expect DIGEST (or
            --expect-from Manifests/<name>) fails on any other state. Without either, Manifests/<name>/split.sha256 beside
            Splits/ is used when it exists. --data checks every image's bytes; --against compares with another split
            directory (e.g. a fresh rebuild) and lists moved, missing and extra items.

            Output: --format text (stderr), json (one object on stdout: ok, digest, checked, skipped, problems with
            check/file/line/item/message), github (workflow-command annotations on stdout); --junit FILE writes a JUnit XML
            report as well. Exit 0 when everything holds, 1 when a check fails, 65 when a split file has an invalid field.
            """)
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The split directory, e.g. Splits/pairdx-synth-v1.")
    var splitDir: String
    @Option(
        name: .long,
        help:
            "Work directory whose blob store holds the images (default: --work when given; without either the images are not checked)."
    )
    var data: String?
    @Option(name: .long, help: "A reference split directory to diff against.")
    var against: String?
    @Option(name: .long, help: "The split digest the directory must have (64 hex digits, sha256 of its SHA256SUMS).")
    var expect: String?
    @Option(
        name: .customLong("expect-from"),
        help: "A manifest directory (or its split.sha256) recording the digest the split must have.")
    var expectFrom: String?
    @Option(name: .long, help: "text, json or github (GitHub Actions annotations).")
    var format: Verify.Format = .text
    @OptionGroup var output: JSONOutput
    @Option(name: .long, help: "Also write a JUnit XML report to this file.")
    var junit: String?

    func validate() throws {
        if expect != nil && expectFrom != nil { throw ValidationError("give --expect or --expect-from, not both") }
        if json && format != .text && format != .json {
            throw ValidationError("--json and --format \(format.rawValue) disagree")
        }
    }

    func run() async throws {
        global.apply()
        let expectation: Verify.Expectation?
        if let expect {
            expectation = try Verify.Expectation.parse(expect)
        } else if let expectFrom {
            expectation = try Verify.Expectation.recorded(in: expectFrom)
        } else {
            expectation = try Verify.Expectation.besideSplit(splitDir)
        }
        let result = try Verify.run(
            splitDir: splitDir, work: (data ?? global.workOption).map { WorkDirectory($0) }, against: against,
            expect: expectation,
            threads: global.threadCount)
        if let junit { try AtomicFile.write(Verify.junit(result), to: junit) }
        switch json ? .json : format {
        case .text: Log.write(String(Verify.text(result).dropLast()))
        case .json: try printJSON(result)
        case .github: FileHandle.standardOutput.write(Data(Verify.githubAnnotations(result).utf8))
        }
        guard !result.ok else { return }
        let summary = "verify \(splitDir): \(result.problems.count) problem(s)"
        if result.badInput { throw PairDxError.badInput(summary + " (a split file has invalid fields)") }
        throw PairDxError.checkFailed(summary)
    }
}

extension VerifyCommand: ReportsJSON {}
