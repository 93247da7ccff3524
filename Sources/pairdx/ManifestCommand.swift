import ArgumentParser
import Curation
import PairDxCore

struct ManifestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manifest",
        abstract:
            "Write Manifests/<name>/: recipe, sources.csv, items.csv, croissant.json (Croissant 1.0) and SHA256SUMS.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var recipe: RecipeOptions

    func run() async throws {
        global.apply()
        let r = try recipe.load()
        try CurationStages.manifest(
            work: global.workDirectory, recipe: r, name: r.name, splitDir: recipe.splitDir(r),
            manifestDir: recipe.manifestDir(r))
        Log.info("manifest → \(recipe.manifestDir(r))")
    }
}
