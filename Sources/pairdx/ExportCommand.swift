import ArgumentParser
import Curation
import PairDxCore

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a split with its images as a BagIt bag or an image-folder tree for Python loaders.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var recipe: RecipeOptions
    @Option(name: .long, help: "Write a BagIt 1.0 bag (RFC 8493) into this directory.")
    var bagit: String?
    @Option(name: .long, help: "Write split/class/file + metadata.jsonl into this directory.")
    var imagefolder: String?
    @Flag(name: .long, help: "Print the summary as JSON on stdout.")
    var json = false

    func validate() throws {
        if bagit == nil && imagefolder == nil { throw ValidationError("give --bagit DIR and/or --imagefolder DIR") }
    }

    func run() async throws {
        global.apply()
        let r = try recipe.load()
        var results: [String: Export.Summary] = [:]
        if let bagit {
            results["bagit"] = try Export.bagit(splitDir: recipe.splitDir(r), manifestDir: recipe.manifestDir(r), work: global.workDirectory, to: bagit,
                                              classes: Set(r.classes.map(\.name)))
        }
        if let imagefolder {
            results["imagefolder"] = try Export.imageFolder(splitDir: recipe.splitDir(r), work: global.workDirectory, to: imagefolder,
                                                          classes: Set(r.classes.map(\.name)))
        }
        if json { try printJSON(results) } else {
            for (k, v) in results.sorted(by: { $0.key < $1.key }) { Log.info("export \(k): \(v.files) files, \(v.bytes) bytes") }
        }
        if results.values.contains(where: { !$0.missingImages.isEmpty }) {
            throw PairDxError.badInput("some images are missing from the blob store of \(global.work); run `pairdx fetch` first")
        }
    }
}
