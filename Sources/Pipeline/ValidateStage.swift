import Foundation
import PairDxCore
import Training
import Validation

/// Validation as a stamped stage of a rebuild: it reruns when the split, the recipe, the captions, the published
/// figures, any weights or vectors file, the compute mode or the stage's code version changed, and is skipped
/// otherwise (its report is then read back from `<out>/validation.json`).
public struct ValidateStage: Sendable {
    public var split: String
    public var recipe: Recipe
    /// The recipe file: an input of the fingerprint.
    public var recipePath: String
    public var published: String
    public var work: WorkDirectory
    public var out: String
    public var threads: Int
    public var glove: String?
    public var clip: Validation.CLIPInput
    public var biomedclip: Validation.BiomedCLIPInput
    public var mode: ComputeMode
    public var imageWeights: String?

    public init(
        split: String, recipe: Recipe, recipePath: String, published: String, work: WorkDirectory, out: String,
        threads: Int, glove: String? = nil, clip: Validation.CLIPInput = .init(),
        biomedclip: Validation.BiomedCLIPInput = .init(), mode: ComputeMode = .deterministic,
        imageWeights: String? = nil
    ) {
        self.split = split; self.recipe = recipe; self.recipePath = recipePath; self.published = published;
        self.work = work
        self.out = out; self.threads = threads; self.glove = glove; self.clip = clip; self.biomedclip = biomedclip
        self.mode = mode; self.imageWeights = imageWeights
    }

    /// The stage: inputs are every file that decides the models and the table; the thread count is a parameter only
    /// in fast mode (the deterministic kernel gives the same bytes at any count).
    public var stage: Stage {
        var inputs = [split, recipePath, published, work.figures]
        inputs += [glove, clip.weights, clip.bpe, biomedclip.weights, biomedclip.vocabulary, imageWeights].compactMap {
            $0
        }
        var parameters = ["mode": mode.rawValue, "clip-activation": clip.activation.map { "\($0)" } ?? "default"]
        if mode == .fast { parameters["threads"] = "\(threads)" }
        let me = self
        return Stage(
            .validate, inputs: inputs, outputs: ["json", "md", "html"].map { "\(out)/validation.\($0)" },
            parameters: parameters
        ) {
            Log.info("validate: training image, text and fusion on \(me.split)")
            _ = try Validation.run(
                split: me.split, data: me.work.root, out: me.out, recipe: me.recipe, threads: me.threads,
                glove: me.glove, published: me.published, clip: me.clip, biomedclip: me.biomedclip,
                mode: me.mode, imageWeights: me.imageWeights)
        }
    }

    /// Runs the stage (or skips it) and returns the report it wrote or kept.
    public func run(force: Bool = false) throws -> ValidationReport {
        var runner = StageRunner(work: work, force: force)
        try runner.run(stage)
        let path = "\(out)/validation.json"
        return try CanonicalJSON.decode(ValidationReport.self, from: FileSystem.read(path), source: path)
    }
}
