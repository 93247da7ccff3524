import Foundation
import PairDxCore

/// The audit's entry point: read a split set (and optionally its work directory), build the report,
/// write `report.html`, `report.json`, `report.md` and `datasheet.md`.
public enum Audit {
    /// The files `run` writes, by name.
    public static let outputFiles = ["report.html", "report.json", "report.md", "datasheet.md"]

    /// Audits `splitDir` (`Splits/<name>`) and writes the four report files into `out`
    /// (default `<splitDir>/../../report/<name>`). Gates are evaluated into `report.gates`;
    /// call `enforceGates` to turn a failure into an error.
    /// - Parameters:
    ///   - data: work directory with the stage records and blobs (funnel, captions, images, thumbnails).
    ///   - manifest: `Manifests/<name>` (default: found from `splitDir`).
    ///   - glove: a GloVe text file for caption-vocabulary coverage.
    ///   - suspects: a `suspects.json` (`pairdx suspects`); default `<data>/suspects.json` when present.
    @discardableResult
    public static func run(
        splitDir: String, data: String? = nil, out: String? = nil, manifest: String? = nil,
        glove: String? = nil, suspects: String? = nil, options: AuditOptions = .init()
    ) throws -> AuditReport {
        var inputs = try AuditLoader.load(
            splitDir: splitDir, manifestDir: manifest, data: data, glove: glove, suspects: suspects)
        let outDir = out ?? defaultOutput(forSplits: splitDir)
        var report = AuditBuilder.build(inputs, options: options)
        var thumbs: [String: String] = [:]
        if let data {
            let t = Thumbnails.make(for: report, blobs: WorkDirectory(data).blobs, side: options.thumbnailSide)
            thumbs = t.uris
            if !t.problems.isEmpty {
                inputs.problems += t.problems
                report = AuditBuilder.build(inputs, options: options)
            }
        }
        try write(report, thumbnails: thumbs, recipe: inputs.recipe, to: outDir)
        return report
    }

    /// Writes the four files atomically. `report.json` is canonical (sorted keys, fixed floats).
    public static func write(_ report: AuditReport, thumbnails: [String: String], recipe: Recipe, to dir: String) throws
    {
        try FileSystem.makeDirectory(dir)
        func p(_ n: String) -> String { (dir as NSString).appendingPathComponent(n) }
        try AtomicFile.write(HTMLRenderer.render(report, thumbnails: thumbnails), to: p("report.html"))
        try AtomicFile.write(try CanonicalJSON.encode(report, pretty: true), to: p("report.json"))
        try AtomicFile.write(MarkdownRenderer.render(report), to: p("report.md"))
        let sources = recipe.sources.map { s in
            [s.kind, s.url, s.query.map { "query: \($0)" }, s.maxArticles.map { "at most \($0) articles" }]
                .compactMap { $0 }.joined(separator: ", ")
        }
        try AtomicFile.write(
            DatasheetRenderer.render(report, recipeDescription: recipe.description, sources: sources),
            to: p("datasheet.md"))
    }

    /// `report/<name>` beside `Splits/`.
    public static func defaultOutput(forSplits splitDir: String) -> String {
        let dir = (splitDir as NSString).standardizingPath
        let name = (dir as NSString).lastPathComponent
        let root = ((dir as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
        return ((root.isEmpty ? "." : root) as NSString).appendingPathComponent("report/\(name)")
    }

    /// Throws `PairDxError.checkFailed` (exit 1) naming every failed gate.
    public static func enforceGates(_ report: AuditReport) throws {
        let failed = report.gates.filter { !$0.passed }
        guard failed.isEmpty else {
            throw PairDxError.checkFailed(
                "audit gate failed: " + failed.map { "\($0.rule) (\($0.detail))" }.joined(separator: "; "))
        }
    }
}
