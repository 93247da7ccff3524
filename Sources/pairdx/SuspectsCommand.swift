import ArgumentParser
import Curation
import Foundation
import PairDxCore
import Training

struct SuspectsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suspects",
        abstract:
            "Find suspect labels: items whose image an out-of-fold image model confidently puts in another class.",
        discussion: """
            Deals every item of the split (train, val and test) into --folds folds by a keyed hash of its split group, trains
            the image baseline (the recipe's training.image; --epochs, --res, --batch, --lr override) on the other folds and
            scores each fold with the model that never saw it. Confident learning then flags an item when the most probable
            class at or above its threshold (the class's mean out-of-fold probability over its own items) is not the caption
            label; suspects are ranked by p(label) - max p(other). Writes suspects.json (canonical; default
            WORKDIR/suspects.json, where `pairdx audit --data WORKDIR` finds it) and prints a summary on stderr.
            --truth FILE (the <mirror>.truth.json of `pairdx synth`) scores the suspects against the planted wrong labels.
            `pairdx balance --exclude-suspects FILE` leaves the suspects out before balancing.
            """)
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "Split directory (Splits/<name>).") var split: String
    @Option(name: .long, help: "Work directory with figures.jsonl and blobs/ (default: --work).") var data: String?
    @Option(name: .long, help: "Recipe name or recipe.json path (default: the recipe named in splits.json).")
    var recipe: String?
    @Option(name: .long, help: "Folds (each item is scored by a model trained on the others).") var folds: Int = 4
    @OptionGroup var overrides: HyperparameterOverrides
    @Option(name: .long, help: "Output file (default: WORKDIR/suspects.json).") var out: String?
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Ground truth of a synthetic corpus (pairdx synth's <mirror>.truth.json): print precision and recall of the suspects on the wrong labels it reveals.",
            valueName: "file"))
    var truth: String?
    @OptionGroup var compute: ComputeOptions
    @OptionGroup var output: JSONOutput

    func run() async throws {
        global.apply()
        let splitFiles = try SplitSet.load(split)
        let r = try TrainingSetup.recipe(recipe, split: splitFiles)
        var h = try TrainingSetup.hyper(r, kind: .image)
        overrides.apply(to: &h)
        let work = WorkDirectory(data ?? global.work)
        let threads = global.threads ?? h.threads ?? Platform.coreCount
        let s = overrides.seed ?? r.seed
        var config = OutOfFold.Config(folds: folds, hyper: h, seed: s, threads: threads, mode: compute.mode)
        if let weights = compute.imageWeights {
            let imagenet = try ImageNetResNet18.load(weights, widthMultiplier: h.widthMultiplier ?? 1)
            config.imageTowerInit = imagenet.tensors
            config.imageTowerSource = imagenet.source
        }
        let result = try OutOfFold.run(config, split: splitFiles, work: work)
        let found = Self.suspects(
            result, split: splitFiles, recipe: r.name, hyper: h, config: config, mode: compute.mode)
        let path = out ?? work.path(SuspectLabels.fileName)
        try found.write(to: path)
        Log.info(
            "suspects: \(found.suspects.count) of \(found.scored) scored items (estimated label-error share \(Self.pct(found.estimatedErrorShare))) "
                + "in \(Trainer.duration(result.seconds)) on \(Platform.hardware), \(threads) threads, \(compute.mode.rawValue) mode → \(path)"
        )
        for c in found.perClass {
            Log.info(
                "  \(c.class): \(c.suspects) suspect(s) of \(c.scored), estimated error share \(Self.pct(c.estimatedErrorShare)), "
                    + "out-of-fold accuracy \(Self.pct(c.outOfFoldAccuracy)), threshold \(String(format: "%.3f", c.threshold))"
            )
        }
        var score: SuspectLabels.TruthScore?
        if let truth {
            let t = try CanonicalJSON.decode(SynthTruth.self, from: try FileSystem.read(truth), source: truth)
            var labels: [String: String] = [:]
            for p in SplitName.allCases { for row in splitFiles.rows(p) { labels[row.id] = row.class } }
            let sc = found.score(truth: t, labels: labels)
            score = sc
            Log.info(
                "suspects vs \(truth): \(sc.truePositives) of \(sc.suspects) suspects are wrong labels (precision \(sc.precision.map(Self.pct) ?? "n/a")); "
                    + "\(sc.truePositives) of \(sc.wrongLabels) wrong labels found (recall \(sc.recall.map(Self.pct) ?? "n/a")); wrong labels by caption kind "
                    + sc.wrongByCaptionKind.sorted { $0.key < $1.key }.map {
                        "\($0.key) \(sc.foundByCaptionKind[$0.key] ?? 0)/\($0.value)"
                    }.joined(separator: ", "))
        }
        if json {
            try printJSON(
                Summary(
                    file: path, items: found.items, scored: found.scored, suspects: found.suspects.count,
                    estimatedErrorShare: found.estimatedErrorShare, perClass: found.perClass, seconds: result.seconds,
                    hardware: Platform.hardware, threads: threads, truth: score))
        }
    }

    /// The out-of-fold probabilities → the confident-learning result.
    static func suspects(
        _ result: OutOfFold.Result, split: SplitSet, recipe: String, hyper h: ModelHyperparameters,
        config: OutOfFold.Config, mode: ComputeMode
    ) -> SuspectLabels {
        var perClass: [String: Int] = [:]
        for p in SplitName.allCases { for row in split.rows(p) { perClass[row.class, default: 0] += 1 } }
        let method = SuspectLabels.Method(
            model: "image", folds: config.folds, epochs: h.epochs, resolution: h.resolution,
            widthMultiplier: h.widthMultiplier ?? 1,
            batchSize: h.batchSize, learningRate: h.learningRate, seed: config.seed, computeMode: mode.rawValue,
            kernel: result.kernel,
            foldWeightsSHA256: result.foldDigests, imageInitialisation: result.imageInitialisation)
        let scored = result.items.map {
            SuspectLabels.Scored(
                id: $0.id, split: $0.part, label: $0.label, probabilities: $0.probabilities, fold: $0.fold)
        }
        return SuspectLabels.find(
            scored, classes: split.classes, itemsPerClass: perClass, split: split.name,
            splitSHA256: SuspectLabels.splitDigest(split.directory), recipe: recipe, method: method,
            skipped: result.skipped)
    }

    static func pct(_ x: Double) -> String { String(format: "%.1f%%", 100 * x) }

    struct Summary: Encodable {
        var file: String
        var items: Int
        var scored: Int
        var suspects: Int
        var estimatedErrorShare: Double
        var perClass: [SuspectLabels.ClassEstimate]
        var seconds: Double
        var hardware: String
        var threads: Int
        var truth: SuspectLabels.TruthScore?
    }
}

extension SuspectsCommand: ReportsJSON {}
