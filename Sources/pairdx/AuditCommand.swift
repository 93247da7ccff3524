import ArgumentParser
import Curation
import Foundation
import PairDxCore

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Report class balance, the funnel, duplicates and leakage of a split set; gate CI on it.",
        discussion: """
            Reads Splits/<name>/{train,val,test}.csv, splits.json and Manifests/<name>/recipe.json (+ sources.csv);
            with --data also the work directory's records and blobs (funnel, captions, images, thumbnails).
            Writes report.html (self-contained: inline SVG charts and thumbnails, no script, no external
            requests), report.json (schema pairdx-audit/1, see docs/report-schema.md), report.md and datasheet.md.

            Gates (exit 1 naming the rule that failed): --max-leakage (default 0: near-duplicate pairs plus
            articles across splits), --max-imbalance, --min-per-class.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The split set to audit: Splits/<name>.")
    var splits: String

    @Option(
        name: .customLong("data"),
        help: "Work directory with the stage records and blobs (enables funnel, captions, images, thumbnails).")
    var data: String?

    @Option(help: "Output directory (default: report/<name> beside Splits/).")
    var out: String?

    @Option(help: "Manifest directory holding recipe.json and sources.csv (default: Manifests/<name> beside Splits/).")
    var manifest: String?

    @Option(help: "GloVe text file ('word v1 … vN' lines): report the share of caption tokens it covers.")
    var glove: String?

    @Option(
        help:
            "Suspect labels to show (pairdx suspects; default: WORKDIR/suspects.json when --data is given and it exists)."
    )
    var suspects: String?

    @Option(
        name: .customLong("max-imbalance"),
        help: "Fail when largest/smallest class count exceeds this in any split or overall.")
    var maxImbalance: Double?

    @Option(
        name: .customLong("max-leakage"),
        help: "Fail when near-duplicate pairs plus articles across splits exceed this.")
    var maxLeakage: Int = 0

    @Option(
        name: .customLong("min-per-class"),
        help: "Fail when a class has fewer items than this in a split the recipe gives a share.")
    var minPerClass: Int?

    @Option(name: .customLong("samples"), help: "Thumbnails per class in report.html.")
    var samples: Int = 8

    @OptionGroup var output: JSONOutput

    func validate() throws {
        if let x = maxImbalance, !(x >= 1) { throw ValidationError("--max-imbalance must be at least 1 (got \(x))") }
        if maxLeakage < 0 { throw ValidationError("--max-leakage must be 0 or more") }
        if let n = minPerClass, n < 0 { throw ValidationError("--min-per-class must be 0 or more") }
        if samples < 0 || samples > 64 { throw ValidationError("--samples must be within 0...64") }
    }

    func run() async throws {
        global.apply()
        let options = AuditOptions(
            maxImbalance: maxImbalance, maxLeakage: maxLeakage, minPerClass: minPerClass,
            samplesPerClass: samples)
        let outDir = out ?? Audit.defaultOutput(forSplits: splits)
        let report = try Audit.run(
            splitDir: splits, data: data, out: outDir, manifest: manifest, glove: glove,
            suspects: suspects, options: options)
        for f in report.findings { Log.info("audit: \(f)") }
        if json {
            FileHandle.standardOutput.write(try CanonicalJSON.encode(report, pretty: true))
        } else {
            print((outDir as NSString).appendingPathComponent("report.html"))
        }
        try Audit.enforceGates(report)
    }
}

extension AuditCommand: ReportsJSON {}
