import Foundation
import PairDxCore
import PairDxTestSupport
import Training

/// A small random CLIP for tests: written as open_clip-named safetensors beside a BPE merges file of CLIP's size,
/// and the toy recipe with a CLIP entry, for the CLIP classification tests and the CLIP rows of validate.
public enum CLIPTestModel {
    /// 64-wide towers (one 64-wide head each), CLIP's vocabulary so the real tokeniser's ids fit.
    public static let config = CLIPConfiguration(
        embedDimension: 16, imageSize: 32, patchSize: 16, visionWidth: 128, visionLayers: 2,
        visionHeads: 2, contextLength: 16, vocabularySize: CLIPTokenizer.vocabularySize,
        textWidth: 64, textHeads: 1, textLayers: 1)

    /// A folder holding `clip.safetensors` (random weights, seed 3) and `merges.txt`: a merges file with CLIP's
    /// 48,894 merges (pairs of byte symbols), so the tokeniser builds CLIP's 49,408-id vocabulary without the real file.
    public struct Files {
        public let dir: String
        public var weights: String { dir + "/clip.safetensors" }
        public var merges: String { dir + "/merges.txt" }

        public init() throws {
            dir = try Scratch.directory("clipval")
            try CLIPWeights.save(CLIPModel(configuration: CLIPTestModel.config, seed: 3), to: dir + "/clip.safetensors")
            var symbols: [String] = (Array(33...126) + Array(161...172) + Array(174...255)).map {
                String(Unicode.Scalar(UInt8($0)))
            }
            symbols += (0..<(256 - symbols.count)).map { String(Unicode.Scalar(UInt32(256 + $0))!) }
            var lines = ["#version: synthetic"]
            outer: for a in symbols {
                for b in symbols {
                    lines.append("\(a) \(b)")
                    if lines.count == CLIPTokenizer.vocabularySize - 512 - 2 + 1 { break outer }
                }
            }
            try AtomicFile.write(Data((lines.joined(separator: "\n") + "\n").utf8), to: dir + "/merges.txt")
        }
    }

    /// The toy recipe with the toy corpus's three classes (each with a prompt), two templates and a CLIP entry.
    public static func recipe(towers: ModelHyperparameters.Towers = .both, epochs: Int = 2) throws -> Recipe {
        var r = try toyRecipe()
        r.classes = try zip(ToyCorpus.classes, ["a CT scan", "an MRI image", "an X-ray radiograph"]).map {
            try JSONDecoder().decode(
                Recipe.ClassRule.self,
                from: Data(
                    #"{"name": "\#($0)", "prompt": "\#($1)", "include": ["\#($0)"], "exclude": [], "caseSensitive": []}"#
                        .utf8))
        }
        r.validation.promptTemplates = ["{}", "a figure showing {}"]
        var h = toyHyper(epochs: epochs, batch: 8, lr: 1e-3)
        h.resolution = 32
        h.warmupSteps = 2
        h.weightDecay = 0.1
        h.towers = towers
        r.training["clip"] = h
        try r.validate(source: "test recipe")
        return r
    }
}
