import ArgumentParser
import Foundation
import Imaging
import PairDxCore

struct DedupeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dedupe",
        abstract: "Cluster exact and near-duplicate figures → clusters.jsonl and dedupe-report.json.",
        discussion: """
            Runs after 'hash'. Reads <work>/figures.jsonl (figures with status ok) and <work>/images.jsonl.

            Figures are duplicates when their images have the same bytes or the same decoded pixels; or \
            256-bit pHashes within --confirm-radius and 64-bit pHashes within the radius, with aligned 32×32 \
            thumbnails that agree in detail (near, --detail); or, with --crops on, when one is a trim, a half or a \
            re-encoding at the same size of the other at the same pixel scale (crop, panel, near: sizes that fit, \
            content-anchored pair keys voting for one offset, pixels that agree there). With --crops on, near \
            pairs are checked on 64×64 planes of their pixels instead of the thumbnails, and 64-bit pHashes \
            within 4 bits that the 256-bit hashes did not confirm are candidates too, unless --detail is off \
            (docs/pairdx-phash-v2.md §2).

            Clusters do not chain: in keep order (most pixels, then smallest id) each figure not yet placed \
            founds a cluster and takes the unplaced figures that are duplicates of it. Every usable figure lands \
            in exactly one cluster, singletons included. Clusters spanning articles are counted as cross-article.

            The radius comes from --radius, else the recipe's dedupe.radius, else \(Dedupe.defaultRadius) \
            (chosen from evidence: docs/pairdx-phash-v1.md, docs/pairdx-phash-v2.md); the crop search from \
            --crops, else the recipe's dedupe.crops, else \(Dedupe.defaultCropSearch ? "on" : "off"). With --truth (a synthetic \
            corpus's truth file) the report adds precision and recall per kind of duplicate.
            """
    )
    @OptionGroup var global: GlobalOptions

    @Option(help: "Recipe file whose dedupe.radius and dedupe.crops to use.")
    var recipe: String?

    @Option(help: "Hamming radius on the 64-bit pHash (overrides the recipe).")
    var radius: Int?

    @Option(
        help: "Radius on the 256-bit pHash that must confirm a candidate pair; 'off' to join on the 64-bit pHash alone."
    )
    var confirmRadius: String = String(Dedupe.defaultConfirmRadius)

    @Option(
        help:
            "Search crops and panels (copies that are a trim or a half of another image at the same pixel scale): 'on' or 'off' (default: the recipe's dedupe.crops, else \(Dedupe.defaultCropSearch ? "on" : "off"))."
    )
    var crops: Toggle?

    @Option(
        help:
            "Least detail correlation that confirms a near pair (aligned 32×32 thumbnails), a crop and a panel (aligned pixels), as NEAR,CROP,PANEL; 'off' to trust the hashes alone for near pairs."
    )
    var detail: String = Dedupe.defaultDetail.map { "\($0.near),\($0.crop),\($0.panel)" } ?? "off"

    @Option(help: "Synthetic truth file (pairdx-synth-truth/1) to score the clusters against.")
    var truth: String?

    @OptionGroup var output: JSONOutput

    @Option(
        help: ArgumentHelp(
            "Benchmark: self-join this many random 64-bit hashes (with planted near pairs) at the radius and exit.",
            visibility: .hidden))
    var benchmarkSearch: Int?

    @Option(help: ArgumentHelp("Benchmark: also compare with brute force on this many of them.", visibility: .hidden))
    var benchmarkVerify: Int = 0

    @Option(
        help: ArgumentHelp(
            "Benchmark: recall per transform on the real images under this folder (repeatable) and exit.",
            visibility: .hidden))
    var benchmarkTransforms: [String] = []

    @Option(
        help: ArgumentHelp(
            "Benchmark: hash throughput with and without the crop signature on the images under this folder (repeatable) and exit.",
            visibility: .hidden))
    var benchmarkHash: [String] = []

    func run() async throws {
        global.apply()
        var r = Dedupe.defaultRadius, cropSearch = Dedupe.defaultCropSearch
        if let recipe {
            let spec = try Recipe.load(recipe).dedupe
            r = spec.radius
            cropSearch = spec.cropSearch
        }
        if let radius { r = radius }
        if let crops { cropSearch = crops == .on }
        guard (0...32).contains(r) else { throw PairDxError.usage("--radius must be within 0...32 (got \(r))") }
        if let n = benchmarkSearch {
            print(SearchBenchmark.run(count: n, radius: r, threads: global.threadCount, verify: benchmarkVerify))
            return
        }
        var confirm: Int?
        if confirmRadius != "off" {
            guard let c = Int(confirmRadius), (0...256).contains(c) else {
                throw PairDxError.usage("--confirm-radius takes 0...256 or 'off' (got '\(confirmRadius)')")
            }
            confirm = c
        }
        var detailLimit: Dedupe.DetailThresholds?
        if detail != "off" {
            let v = detail.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard v.count == 3, v.allSatisfy({ (-1...1).contains($0) }) else {
                throw PairDxError.usage(
                    "--detail takes three correlations in -1...1 as NEAR,CROP,PANEL, or 'off' (got '\(detail)')")
            }
            detailLimit = Dedupe.DetailThresholds(near: v[0], crop: v[1], panel: v[2])
        }
        if !benchmarkHash.isEmpty {
            print(try TransformBenchmark.hashThroughput(folders: benchmarkHash, rounds: 3))
            return
        }
        if !benchmarkTransforms.isEmpty {
            print(
                try TransformBenchmark.run(
                    folders: benchmarkTransforms, radius: r, confirmRadius: confirm, cropSearch: cropSearch,
                    detail: detailLimit, threads: global.threadCount))
            return
        }
        var truthFile: SynthTruth?
        if let truth {
            truthFile = try CanonicalJSON.decode(SynthTruth.self, from: FileSystem.read(truth), source: truth)
        }
        let report = try Dedupe.runStage(
            work: global.workDirectory, radius: r, confirmRadius: confirm,
            cropSearch: cropSearch, detail: detailLimit, threads: global.threadCount, truth: truthFile)
        let c = report.clusters
        Log.info(
            "dedupe: \(report.figures.usable) usable figures of \(report.figures.total) → \(c.count) clusters "
                + "(\(c.exact) exact, \(c.near) near, \(c.crossArticle) cross-article, \(c.duplicatesDropped) duplicates, largest \(c.largest)) at radius \(r); "
                + "\(report.candidatePairs) near candidates\(report.pixelRoutePairs.map { " (+\($0) on pixels)" } ?? "") and \(report.cropCandidatePairs) anchor pairs compared, \(report.cropAlignedPairs) crop/panel pairs aligned"
        )
        if let t = report.truth {
            for (k, v) in t.precision.sorted(by: { $0.key < $1.key }) {
                Log.info("  precision \(k): \(v.hits)/\(v.total)")
            }
            for (k, v) in t.recall.sorted(by: { $0.key < $1.key }) { Log.info("  recall \(k): \(v.hits)/\(v.total)") }
        }
        if json { FileHandle.standardOutput.write(try CanonicalJSON.encode(report, pretty: true)) }
    }
}

extension DedupeCommand: ReportsJSON {}

extension DedupeCommand {
    /// A switch given as `on` or `off`.
    enum Toggle: String, ExpressibleByArgument, CaseIterable { case on, off }
}
