import ArgumentParser
import Curation
import PairDxCore

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract:
            "Export a split with its images: a BagIt bag, a Hugging Face-ready image folder, WebDataset tar shards.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var recipe: RecipeOptions
    @Option(name: .long, help: "Write a BagIt 1.0 bag (RFC 8493) into this directory.")
    var bagit: String?
    @Option(
        name: .long,
        help:
            "Write split/class/file + metadata.jsonl, a dataset card (README.md) and croissant.json into this directory."
    )
    var imagefolder: String?
    @Option(
        name: .long,
        help: "Write WebDataset tar shards (split/NNNNN.tar: key.jpg|png, key.txt, key.json) into this directory.")
    var webdataset: String?
    @Option(name: .long, help: "Samples per WebDataset shard.")
    var shardSize = 1000
    @OptionGroup var output: JSONOutput

    func validate() throws {
        if bagit == nil && imagefolder == nil && webdataset == nil {
            throw ValidationError("give --bagit DIR, --imagefolder DIR and/or --webdataset DIR")
        }
        if shardSize < 1 { throw ValidationError("--shard-size must be at least 1") }
    }

    func run() async throws {
        global.apply()
        let r = try recipe.load()
        var results: [String: Export.Summary] = [:]
        if let bagit {
            results["bagit"] = try Export.bagit(
                splitDir: recipe.splitDir(r), manifestDir: recipe.manifestDir(r), work: global.workDirectory, to: bagit,
                classes: Set(r.classes.map(\.name)))
        }
        if let imagefolder {
            results["imagefolder"] = try Export.imageFolder(
                splitDir: recipe.splitDir(r), recipe: r, work: global.workDirectory, to: imagefolder)
        }
        if let webdataset {
            results["webdataset"] = try Export.webDataset(
                splitDir: recipe.splitDir(r), work: global.workDirectory, to: webdataset, shardSize: shardSize,
                classes: Set(r.classes.map(\.name)))
        }
        if json {
            try printJSON(results)
        } else {
            for (k, v) in results.sorted(by: { $0.key < $1.key }) {
                Log.info("export \(k): \(v.files) files, \(v.bytes) bytes")
            }
        }
        if results.values.contains(where: { !$0.missingImages.isEmpty }) {
            throw PairDxError.io(
                "some images are missing from the blob store of \(global.work); run `pairdx fetch` first")
        }
    }
}

extension ExportCommand: ReportsJSON {}
