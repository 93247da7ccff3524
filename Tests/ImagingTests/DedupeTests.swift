import Foundation
import PairDxTestSupport
import PairDxCore
import Testing
@testable import Imaging

/// A figure-like picture: `seed` decides a dozen rectangles and ellipses of different greys on a gradient.
func scene(seed: UInt64, width: Int, height: Int) -> [UInt8] {
    var rng = SplitMix64(state: seed)
    var px = [UInt8](repeating: 0, count: width * height * 3)
    for y in 0..<height {
        for x in 0..<width {
            for c in 0..<3 { px[(y * width + x) * 3 + c] = UInt8((x + y + c * 40) * 120 / (width + height)) }
        }
    }
    for _ in 0..<12 {
        let cx = Double(rng.next() % 1000) / 1000, cy = Double(rng.next() % 1000) / 1000
        let rx = 0.05 + Double(rng.next() % 250) / 1000, ry = 0.05 + Double(rng.next() % 250) / 1000
        let colour = (0..<3).map { _ in UInt8(rng.next() % 256) }
        let ellipse = rng.next() % 2 == 0
        for y in 0..<height {
            for x in 0..<width {
                let dx = (Double(x) / Double(width) - cx) / rx, dy = (Double(y) / Double(height) - cy) / ry
                let inside = ellipse ? dx * dx + dy * dy <= 1 : abs(dx) <= 1 && abs(dy) <= 1
                if inside { for c in 0..<3 { px[(y * width + x) * 3 + c] = colour[c] } }
            }
        }
    }
    return px
}

/// A work directory in the test's scratch folder (removed when the test ends).
struct TempWork {
    let work: WorkDirectory
    init() throws { work = WorkDirectory(try Scratch.directory("imaging")) }
}

@Suite(.scratch) struct DedupeTests {
    /// Builds a work directory with exact, pixel-identical and near duplicates plus bad images, runs
    /// `hash` and `dedupe`, and checks the clusters.
    @Test func clustersExactAndNearDuplicates() throws {
        let tmp = try TempWork()
        let store = tmp.work.blobs
        let a = scene(seed: 1, width: 240, height: 200), b = scene(seed: 2, width: 240, height: 200)
        let c = scene(seed: 3, width: 240, height: 200)
        let aPNG = try ImageEncoder.png(pixels: a, width: 240, height: 200, channels: 3)
        let aJPEG = try ImageEncoder.jpeg(pixels: a, width: 240, height: 200, channels: 3, quality: 92)
        let aJPEGLow = try ImageEncoder.jpeg(
            pixels: a, width: 240, height: 200, channels: 3, quality: 55, progressive: true)
        let aSmall = try ImageEncoder.png(
            pixels: Resample.resize(a, width: 240, height: 200, channels: 3, toWidth: 120, toHeight: 100),
            width: 120, height: 100, channels: 3)
        // Same pixels, other bytes: an RGBA PNG whose colour samples are a's.
        var rgba = [UInt8]()
        for i in 0..<(240 * 200) { rgba += a[(i * 3)..<(i * 3 + 3)] + [255] }
        let aRGBA = try ImageEncoder.png(pixels: rgba, width: 240, height: 200, channels: 4)
        let bPNG = try ImageEncoder.png(pixels: b, width: 240, height: 200, channels: 3)
        let cJPEG = try ImageEncoder.jpeg(pixels: c, width: 240, height: 200, channels: 3, quality: 90)
        let truncated = Data(bPNG.prefix(bPNG.count / 3))
        let gif = Data("GIF89a".utf8) + Data(repeating: 1, count: 64)

        var figures = [FigureRecord]()
        func add(_ id: String, _ data: Data, status: FetchStatus = .ok) throws {
            let sha = try store.put(data)
            let pmcid = ItemID.article(of: id)
            figures.append(
                FigureRecord(
                    id: id, pmcid: pmcid, version: 1, figure: String(id.dropFirst(pmcid.count + 1)),
                    label: nil, caption: "c", context: "fig", href: "h", media: "m", license: "CC BY",
                    sha256: sha, bytes: data.count, url: nil, status: status))
        }
        try add("PMC1/F1", aPNG)
        try add("PMC1/F2", bPNG)
        try add("PMC2/F1", aPNG)  // exact copy, other article
        try add("PMC2/F2", aRGBA)  // same pixels, other bytes
        try add("PMC3/F1", aJPEG)  // re-encoded
        try add("PMC3/F2", aJPEGLow)  // re-encoded at low quality, progressive
        try add("PMC4/F1", aSmall)  // rescaled
        try add("PMC4/F2", cJPEG)
        try add("PMC5/F1", truncated)
        try add("PMC5/F2", gif)
        figures.append(
            FigureRecord(
                id: "PMC6/F1", pmcid: "PMC6", version: 1, figure: "F1", label: nil, caption: "c",
                context: "fig", href: "h", media: nil, license: nil, sha256: nil, bytes: nil, url: nil,
                status: FetchStatus(.mediaMissing)))

        let summary = try HashStage.run(work: tmp.work, threads: 2)
        #expect(summary.images == 9 && summary.rejected == 2)
        #expect(summary.reasons == ["truncated": 1, "unsupported-format": 1])
        let images = try JSONL.read(ImageRecord.self, from: tmp.work.images)
        #expect(images.map(\.sha256) == images.map(\.sha256).sorted())
        let aRecord = try #require(images.first { $0.sha256 == SHA256.hex(aPNG) })
        let rgbaRecord = try #require(images.first { $0.sha256 == SHA256.hex(aRGBA) })
        #expect(aRecord.pixelSHA256 == rgbaRecord.pixelSHA256 && aRecord.width == 240 && aRecord.format == "png")

        let result = Dedupe.run(figures: figures, images: images, radius: Dedupe.defaultRadius, threads: 2)
        let clusters = result.clusters
        // Every usable figure exactly once.
        let members = clusters.flatMap(\.members)
        #expect(
            members.sorted() == ["PMC1/F1", "PMC1/F2", "PMC2/F1", "PMC2/F2", "PMC3/F1", "PMC3/F2", "PMC4/F1", "PMC4/F2"]
        )
        let big = try #require(clusters.first { $0.members.contains("PMC1/F1") })
        #expect(big.members == ["PMC1/F1", "PMC2/F1", "PMC2/F2", "PMC3/F1", "PMC3/F2", "PMC4/F1"])
        #expect(big.keep == "PMC1/F1")  // most pixels (tie), then smallest id
        #expect(big.kind == "near" && big.crossArticle && big.articles == ["PMC1", "PMC2", "PMC3", "PMC4"])
        #expect(big.maxDistance <= Dedupe.defaultRadius)
        #expect(clusters.filter { $0.kind == "single" }.map(\.keep).sorted() == ["PMC1/F2", "PMC4/F2"])
        #expect(result.unusable == ["figure-status": 1, "image-rejected": 2])

        // Scoring against a truth file: PMC4/F2 is claimed (wrongly) to duplicate PMC1/F2.
        let truthJSON = """
            {"schema": "pairdx-synth-truth/1", "seed": 1, "figures": [],
             "exactDuplicateGroups": [["PMC1/F1", "PMC2/F1"]],
             "nearDuplicateGroups": [{"ids": ["PMC1/F1", "PMC3/F1", "PMC3/F2"], "how": "requality"},
                                     {"ids": ["PMC1/F1", "PMC4/F1"], "how": "rescaled"},
                                     {"ids": ["PMC1/F2", "PMC4/F2"], "how": "cropped"},
                                     {"ids": ["PMC1/F2", "PMC5/F1"], "how": "cropped"}],
             "hazards": {}}
            """
        let truth = try JSONDecoder().decode(SynthTruth.self, from: Data(truthJSON.utf8))
        let report = DedupeReport.make(result, radius: 8, truth: truth)
        let t = try #require(report.truth)
        #expect(t.recall["exact"] == DedupeReport.Rate(1, 1))
        #expect(t.recall["near:requality"] == DedupeReport.Rate(3, 3))
        #expect(t.recall["near:cropped"] == DedupeReport.Rate(0, 1))
        #expect(t.pairsWithUnusableMember == 1)
        // PMC2/F2 (same pixels) is not in the truth groups: its 5 pairs are false positives.
        #expect(t.precision["all"] == DedupeReport.Rate(10, 15))
        #expect(t.falsePositives.count == 5 && t.missed.map { [$0.a, $0.b] } == [["PMC1/F2", "PMC4/F2"]])
        #expect(report.clusters.sizeHistogram == ["1": 2, "6": 1] && report.clusters.duplicatesDropped == 5)
        let encoded = try CanonicalJSON.encode(report)
        #expect(try CanonicalJSON.encode(DedupeReport.make(result, radius: 8, truth: truth)) == encoded)
    }
}
