import Foundation
import Imaging
import PairDxCore
import Curation
import PairDxTestSupport
import Training

/// A small corpus on disk in the layout the pipeline writes: `Splits/toy/{train,val,test}.csv` + `splits.json`,
/// a work directory with `figures.jsonl` and PNG blobs. Class c's images carry a bright square in corner c
/// (so the image tower can learn them); captions name the class in words, except `misleading` ones.
public struct ToyCorpus {
    public let root: String
    public var splitDir: String { root + "/Splits/toy" }
    public var work: WorkDirectory { WorkDirectory(root + "/work") }
    public static let classes = ["ct", "mri", "xray"]
    public static let words = ["computed tomography slice", "magnetic resonance sequence", "plain radiograph film"]

    public init(perClass: [String: Int] = ["train": 12, "val": 4, "test": 4], side: Int = 24, corruptOne: Bool = false)
        throws
    {
        root = try Scratch.directory("toy")
        let work = WorkDirectory(root + "/work")
        try FileSystem.makeDirectory(root + "/Splits/toy")
        try FileSystem.makeDirectory(work.root)
        var figures: [FigureRecord] = []
        var n = 0
        for part in ["train", "val", "test"] {
            var csv = CSV.line(SplitFiles.header)
            for (c, name) in Self.classes.enumerated() {
                for i in 0..<(perClass[part] ?? 0) {
                    n += 1
                    let pmcid = "PMC\(1000 + n)", fig = "F\(i + 1)", id = "\(pmcid)/\(fig)"
                    var px = [UInt8](repeating: 30, count: side * side * 3)
                    let q = side / 2
                    let (x0, y0) = [(0, 0), (q, 0), (0, q)][c]
                    for y in y0..<(y0 + q) {
                        for x in x0..<(x0 + q) {
                            for k in 0..<3 { px[(y * side + x) * 3 + k] = UInt8(180 + (n * 7 + k * 13) % 70) }
                        }
                    }
                    var data = try ImageEncoder.png(pixels: px, width: side, height: side, channels: 3)
                    if corruptOne && part == "train" && c == 0 && i == 0 { data = Data("not an image".utf8) }
                    let sha = try work.blobs.put(data)
                    let caption = "Figure \(i + 1). A \(Self.words[c]) of case \(n) showing a lesion."
                    figures.append(
                        FigureRecord(
                            id: id, pmcid: pmcid, version: 1, figure: fig, label: "Figure \(i + 1)", caption: caption,
                            context: "fig", href: fig, media: fig + ".png", license: "CC BY", sha256: sha,
                            bytes: data.count, url: nil, status: .ok))
                    csv += CSV.line([id, name, pmcid, fig, sha, "0000000000000000", "", pmcid])
                }
            }
            try AtomicFile.write(csv, to: "\(root)/Splits/toy/\(part).csv")
        }
        try JSONL.write(figures, to: work.figures) { $0.sortKey }
        let summary = try JSONSerialization.data(withJSONObject: Self.summary(perClass: perClass))
        try AtomicFile.write(summary, to: root + "/Splits/toy/splits.json")
    }

    /// A `splits.json` with every field of Curation's `SplitsSummary` (counts true, digests placeholders).
    public static func summary(perClass: [String: Int]) -> [String: Any] {
        let zero = String(repeating: "0", count: 64)
        let splits = perClass.mapValues { n -> [String: Any] in
            [
                "count": n * classes.count, "perClass": Dictionary(uniqueKeysWithValues: classes.map { ($0, n) }),
                "membershipSHA256": zero
            ]
        }
        return [
            "schema": SplitsSummary.schemaID, "name": "toy", "recipe": "toy", "recipeSHA256": zero, "seed": 1,
            "mode": "balanced",
            "classes": classes, "ratios": ["train": 0.6, "val": 0.2, "test": 0.2], "sourceSnapshot": zero,
            "splits": splits,
            "groups": ["count": perClass.values.reduce(0, +) * classes.count, "largest": 1]
        ]
    }
}

/// `count` rows of a split as Curation's reader builds them from CSV (article PMC<n>, figure F1, class n mod classes).
public func splitRows(count: Int, classes: [String]) throws -> [Splitter.Item] {
    var csv = CSV.line(SplitFiles.header)
    for n in 1...count {
        csv += CSV.line([
            "PMC\(n)/F1", classes[n % classes.count], "PMC\(n)", "F1", SHA256.hex(Data("\(n)".utf8)), "", "", "PMC\(n)"
        ])
    }
    return try SplitFiles.parseCSV(csv, source: "rows.csv")
}

public func toyHyper(
    epochs: Int = 3, batch: Int = 8, lr: Double = 3e-3, optimizer: ModelHyperparameters.Optimizer = .adamw
) -> ModelHyperparameters {
    let json = """
        {"epochs": \(epochs), "batchSize": \(batch), "resolution": 24, "learningRate": \(lr), "weightDecay": 0.0001,
         "optimizer": "\(optimizer.rawValue)", "momentum": 0.9, "schedule": "cosine", "warmupSteps": 0, "width": 16, "heads": 2,
         "dropout": 0.1, "maxTokens": 16, "widthMultiplier": 0.125, "threads": 1}
        """
    return try! JSONDecoder().decode(ModelHyperparameters.self, from: Data(json.utf8))
}

/// The recipe the tests use: the synthetic-corpus recipe's shape with tiny models.
public func toyRecipe(sources: String = "embedded") throws -> Recipe {
    let hyper = try String(data: JSONEncoder().encode(toyHyper(epochs: 4, lr: 1e-2)), encoding: .utf8)!
    let json = """
        {"schema": "pairdx-recipe/1", "name": "toy", "description": "test", "provenance": {},
         "sources": [{"kind": "\(sources)"}],
         "classes": [{"name": "ct", "prompt": "a CT scan", "include": ["ct"], "exclude": [], "caseSensitive": []}],
         "excludeAll": [], "minImageSide": 8, "minCaptionWords": 1, "dedupe": {"radius": 4, "hash": "phash"},
         "balance": {"policy": "equalize"}, "split": {"train": 0.6, "val": 0.2, "test": 0.2, "mode": "balanced", "grouping": ["article"]},
         "seed": 7, "training": {"image": \(hyper), "text": \(hyper), "fusion": \(hyper)},
         "validation": {"tolerancePoints": 2.0, "promptTemplates": ["{}"]}}
        """
    return try JSONDecoder().decode(Recipe.self, from: Data(json.utf8))
}

/// The committed published figures (`Manifests/published-results.json`).
public func publishedPath() -> String { Prerequisite.packageRoot + "/Manifests/published-results.json" }
