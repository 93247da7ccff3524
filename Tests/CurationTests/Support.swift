import Foundation
import PairDxTestSupport
import Imaging
import PairDxCore
@testable import Curation

/// Paths and helpers shared by the curation tests.
enum Fixture {
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static func recipe(_ name: String) throws -> Recipe {
        try Recipe.load(packageRoot + "/Manifests/\(name)/recipe.json")
    }

    @discardableResult
    static func run(_ exe: String, _ args: [String], cwd: String? = nil) throws -> (status: Int32, output: String) {
        try Subprocess.run(exe, args, cwd: cwd)
    }

    /// A small work directory: `articles` articles with 1–4 figures each, real blobs (random bytes stand in for
    /// images; the curation stages never decode), images.jsonl and singleton clusters plus one cross-article pair.
    /// `realImages`: the blobs are small PNGs (distinct per item) instead of stand-in bytes, for tests whose
    /// readers decode the images.
    static func makeWork(articles: Int, seed: UInt64 = 3, startAt: Int = 1, realImages: Bool = false) throws
        -> WorkDirectory
    {
        let work = WorkDirectory(try Scratch.directory("work"))
        try appendArticles(work: work, range: startAt..<(startAt + articles), seed: seed, realImages: realImages)
        return work
    }

    static let classTerms = [
        "ct": "CT", "mri": "MRI", "xray": "chest X-ray", "ultrasound": "ultrasound",
        "histopathology": "H&E", "endoscopy": "colonoscopy"
    ]

    static func appendArticles(work: WorkDirectory, range: Range<Int>, seed: UInt64, realImages: Bool = false) throws {
        let classes = classTerms.keys.sorted()
        var figures = FileSystem.exists(work.figures) ? try JSONL.read(FigureRecord.self, from: work.figures) : []
        var images = FileSystem.exists(work.images) ? try JSONL.read(ImageRecord.self, from: work.images) : []
        var candidates = FileSystem.exists(work.candidates) ? try JSONL.read(Candidate.self, from: work.candidates) : []
        var articles = FileSystem.exists(work.articles) ? try JSONL.read(ArticleRecord.self, from: work.articles) : []
        for a in range {
            let pmcid = "PMC\(1000 + a)"
            let n = 1 + Int(KeyedHash.value(seed: seed, domain: "n", id: pmcid) % 4)
            candidates.append(Candidate(pmcid: pmcid, via: .ids))
            articles.append(ArticleRecord(pmcid: pmcid, version: 1, status: .ok, license: "CC BY", figures: n))
            for f in 1...n {
                let id = "\(pmcid)/F\(f)"
                let c = classes[Int(KeyedHash.value(seed: seed, domain: "c", id: id) % 6)]
                let sha = try work.blobs.put(realImages ? try png(id: id) : Data("image \(id)".utf8))
                let ph = Hex.encode64(KeyedHash.value(seed: seed, domain: "ph", id: id))
                figures.append(
                    FigureRecord(
                        id: id, pmcid: pmcid, version: 1, figure: "F\(f)", label: "Figure \(f)",
                        caption: "Axial \(classTerms[c]!) image of the abdomen shows a lesion (arrow).",
                        context: "fig", href: "f\(f)", media: "f\(f).png", license: "CC BY",
                        sha256: sha, bytes: 10, url: nil, status: .ok))
                images.append(
                    ImageRecord(
                        sha256: sha, format: "png", width: 256, height: 256, channels: 1,
                        pixelSHA256: sha, phash: ph, dhash: ph, ahash: ph))
            }
        }
        try JSONL.write(figures, to: work.figures, sortedBy: \.sortKey)
        try JSONL.write(images, to: work.images, sortedBy: \.sortKey)
        try JSONL.write(candidates, to: work.candidates, sortedBy: \.sortKey)
        try JSONL.write(articles, to: work.articles, sortedBy: \.sortKey)
        let clusters = figures.map {
            ClusterRecord(keep: $0.id, members: [$0.id], articles: [$0.pmcid], kind: "single", maxDistance: 0)
        }
        try JSONL.write(clusters, to: work.clusters, sortedBy: \.sortKey)
    }

    /// An 8×6 RGB PNG whose pixels come from the item id.
    static func png(id: String) throws -> Data {
        let h = KeyedHash.value(seed: 9, domain: "png", id: id)
        var pixels = [UInt8](repeating: 0, count: 8 * 6 * 3)
        for i in pixels.indices { pixels[i] = UInt8(truncatingIfNeeded: (h >> UInt64(i % 56)) &+ UInt64(i * 7)) }
        return try ImageEncoder.png(pixels: pixels, width: 8, height: 6, channels: 3)
    }
}
