import ArgumentParser
import Foundation
import PairDxCore

/// Which recipe a curation stage follows, and where split and manifest directories live.
struct RecipeOptions: ParsableArguments {
    @Option(name: .long, help: "Recipe name (looked up as Manifests/<name>/recipe.json) or path to a recipe.json.")
    var recipe: String = "pairdx-synth-v1"

    @Option(name: .customLong("splits-root"), help: "Folder holding Splits/<name>/.")
    var splitsRoot: String = "Splits"

    @Option(name: .customLong("manifests-root"), help: "Folder holding Manifests/<name>/.")
    var manifestsRoot: String = "Manifests"

    var recipePath: String {
        recipe.hasSuffix(".json") || recipe.contains("/") ? recipe : "\(manifestsRoot)/\(recipe)/recipe.json"
    }

    func load() throws -> Recipe { try Recipe.load(recipePath) }

    func splitDir(_ r: Recipe) -> String { "\(splitsRoot)/\(r.name)" }
    func manifestDir(_ r: Recipe) -> String { "\(manifestsRoot)/\(r.name)" }
}

/// Prints a result as canonical JSON on stdout (for `--json`).
func printJSON<T: Encodable>(_ value: T) throws {
    FileHandle.standardOutput.write(try CanonicalJSON.encode(value, pretty: true))
}
