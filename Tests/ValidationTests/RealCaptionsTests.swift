import Curation
import Foundation
import PairDxCore
import PairDxTestSupport
import Testing
import Training
import TrainingTestSupport
@testable import Validation

/// `validate --real-captions` as a library call on a small real input: the first lines of two of ROCO's caption
/// files (radiology and non-radiology figures of PMC articles), in ROCO's layout, labelled by `pairdx-v2`'s rules.
@Suite(.scratch) struct RealCaptionsTests {
    static let roco = Prerequisite.path(
        "../shared/data/roco-captions", what: "ROCO caption files (../shared/data/roco-captions)")

    /// `lines` lines of each ROCO file into `<dir>/test/<kind>/captions.txt`, and one id of the first file again in
    /// the second (the first copy counts).
    static func sample(_ source: String, into dir: String, lines: [String: Int]) throws -> Set<String> {
        var ids: Set<String> = []
        var repeated = ""
        for kind in lines.keys.sorted() {
            let text = try FileSystem.readString("\(source)/test/\(kind)/captions.txt")
            var kept = text.split(separator: "\n").prefix(lines[kind]!).map(String.init)
            ids.formUnion(kept.map { String($0.split(separator: "\t")[0]).trimmingCharacters(in: .whitespaces) })
            if repeated.isEmpty {
                repeated = kept[0]
            } else {
                kept.append(repeated.split(separator: "\t")[0] + "\tA different caption.")
            }
            try FileSystem.makeDirectory("\(dir)/test/\(kind)")
            try AtomicFile.write(kept.joined(separator: "\n") + "\n", to: "\(dir)/test/\(kind)/captions.txt")
        }
        return ids
    }

    @Test(roco.trait)
    func textBaselineOnRealCaptionsWritesItsReport() throws {
        let source = try Self.roco.require()
        let dir = try Scratch.directory("realcap")
        let ids = try Self.sample(source, into: dir + "/roco", lines: ["radiology": 400, "non-radiology": 100])
        var recipe = try Recipe.load(Prerequisite.packageRoot + "/Manifests/pairdx-v2/recipe.json")
        recipe.training["text"] = toyHyper(epochs: 2, batch: 16, lr: 3e-3)
        let out = dir + "/report"
        let r = try RealCaptions.run(directory: dir + "/roco", recipe: recipe, threads: 1, glove: nil, out: out)

        #expect(r.captions == ids.count, "each id once, the first caption kept")
        #expect(
            r.labelled > 50 && r.labelled < r.captions,
            "the rules label some captions and not others: \(r.labelled) of \(r.captions)")
        #expect(
            r.perClass.values.reduce(0, +) == r.labelled
                && Set(r.perClass.keys).isSubset(of: recipe.classes.map(\.name)))
        #expect(r.splitCounts.values.reduce(0, +) == r.labelled)
        #expect((r.splitCounts["train"] ?? 0) > (r.splitCounts["test"] ?? 0) && (r.splitCounts["test"] ?? 0) > 0)
        #expect(r.test.metrics.count == r.splitCounts["test"], "every test caption scored")
        #expect(r.recipe == "pairdx-v2" && r.source == "roco" && r.embeddings == "learned")

        let back = try JSONDecoder().decode(
            RealCaptions.Report.self, from: FileSystem.read(out + "/real-captions.json"))
        #expect(back.labelled == r.labelled && back.splitCounts == r.splitCounts && back.perClass == r.perClass)
        let md = try FileSystem.readString(out + "/real-captions.md")
        #expect(md.contains(RealCaptions.caveat) && md.contains("recipe `pairdx-v2`"))
        #expect(RealCaptions.summary(r).contains("\(r.labelled) labelled by pairdx-v2"))
    }

    @Test func aFolderWithoutCaptionFilesIsNamed() throws {
        let dir = try Scratch.directory("realcap-empty")
        try FileSystem.makeDirectory(dir + "/test/radiology")
        #expect {
            try RealCaptions.run(directory: dir, recipe: try toyRecipe(), threads: 1, glove: nil, out: dir + "/report")
        } throws: { "\($0)".contains(dir) && "\($0)".contains("no captions.txt") }
        #expect(!FileSystem.exists(dir + "/report"), "nothing written")
    }
}
