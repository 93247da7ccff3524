import Curation
import Foundation
import PairDxCore

/// Out-of-fold class probabilities of every split item from the image baseline: the items of train+val+test are
/// dealt into k folds by a keyed hash of (seed, the item's split group), one ResNet-18 is trained on the other k−1
/// folds, and it scores the fold it never saw. Because folds follow the split groups (same article ∪ same duplicate
/// cluster), no model has trained on a copy or an article-mate of an item it scores.
///
/// The probabilities feed the confident-learning rule (`Curation.SuspectLabels`); this type knows nothing of it.
public enum OutOfFold {
    public struct Config: Sendable {
        public var folds: Int
        /// The image model's hyper-parameters (the recipe's `training.image`, usually with fewer epochs).
        public var hyper: ModelHyperparameters
        public var seed: UInt64
        public var threads: Int
        public var mode: ComputeMode
        /// ImageNet starting weights for every fold's ResNet-18 (torchvision names), and where they came from.
        public var imageTowerInit: [String: Tensor]?
        public var imageTowerSource: String?
        public init(
            folds: Int, hyper: ModelHyperparameters, seed: UInt64, threads: Int, mode: ComputeMode = .deterministic
        ) {
            self.folds = folds; self.hyper = hyper; self.seed = seed; self.threads = threads; self.mode = mode
        }
    }

    /// One scored item: its split part, its label's index in `SplitSet.classes`, softmax probabilities, its fold.
    public struct Item: Sendable, Equatable {
        public var id: String
        public var part: SplitName
        public var label: Int
        public var probabilities: [Double]
        public var fold: Int
    }

    public struct Result: Sendable {
        public var items: [Item]
        /// Items left out of scoring (no caption record, missing blob, undecodable image): id → reason.
        public var skipped: [String: String]
        /// Weights digest of each fold's model, in fold order.
        public var foldDigests: [String]
        public var kernel: String
        public var imageInitialisation: String
        public var seconds: Double
    }

    /// The fold of a split group: keyed hash of (seed, group) modulo `folds`.
    public static func fold(group: String, seed: UInt64, folds: Int) -> Int {
        Int(KeyedHash.value(seed: seed, domain: "suspect-fold", id: group) % UInt64(folds))
    }

    /// Trains `config.folds` image models and scores every item out of fold. Progress goes to stderr.
    /// - Throws: `PairDxError.usage` for fewer than 2 folds, `.badInput` when a fold would train on nothing.
    public static func run(_ config: Config, split: SplitSet, work: WorkDirectory, captions: [String: String]? = nil)
        throws -> Result
    {
        let k = config.folds
        guard k >= 2 else { throw PairDxError.usage("--folds must be at least 2 (got \(k))") }
        let start = DispatchTime.now().uptimeNanoseconds
        let caps = try captions ?? Dataset.loadCaptions(work)
        let all: [(row: Splitter.Item, part: SplitName)] = SplitName.allCases.flatMap { p in
            split.rows(p).map { ($0, p) }
        }
        let foldOf = all.map { fold(group: $0.row.group, seed: config.seed, folds: k) }
        var items: [Item] = []
        var skipped: [String: String] = [:]
        var digests: [String] = []
        var kernel = BLAS.kernel, initialisation = "seed"
        for f in 0..<k {
            let held = all.indices.filter { foldOf[$0] == f }
            let rest = all.indices.filter { foldOf[$0] != f }
            guard !rest.isEmpty else {
                throw PairDxError.badInput(
                    "\(split.directory): fold \(f + 1) of \(k) leaves nothing to train on (too few groups)")
            }
            if held.isEmpty { digests.append(""); continue }
            // The fold as a split of its own: train on the other folds, score this one (no validation part).
            let foldSplit = SplitSet(
                directory: split.directory, classes: split.classes, name: "\(split.name)-fold\(f + 1)of\(k)",
                recipe: split.recipe, train: rest.map { all[$0].row }, val: [], test: held.map { all[$0].row })
            Log.info("suspects: fold \(f + 1)/\(k): training on \(rest.count) items, scoring \(held.count)")
            var tc = TrainConfig(
                kind: .image, hyper: config.hyper, seed: config.seed &+ UInt64(f), threads: config.threads,
                mode: config.mode)
            tc.imageTowerInit = config.imageTowerInit
            tc.imageTowerSource = config.imageTowerSource
            let trained = try Trainer.train(tc, split: foldSplit, work: work, captions: caps)
            for (id, why) in trained.skipped { skipped[id] = "training fold \(f + 1): \(why)" }
            digests.append(trained.weightsDigest)
            kernel = trained.kernel
            initialisation = trained.imageInitialisation ?? "seed"
            let scored = try score(trained.model, split: foldSplit, work: work, captions: caps, threads: config.threads)
            let partOf = Dictionary(held.map { (all[$0].row.id, all[$0].part) }, uniquingKeysWith: { a, _ in a })
            for s in scored.items {
                items.append(
                    Item(
                        id: s.id, part: partOf[s.id] ?? .test, label: s.label, probabilities: s.probabilities,
                        fold: f + 1))
            }
            for (id, why) in scored.skipped { skipped[id] = why }
        }
        // An item scored is not skipped, whatever a training fold said about it.
        for it in items { skipped[it.id] = nil }
        items.sort { ItemID.sortKey($0.id) < ItemID.sortKey($1.id) }
        return Result(
            items: items, skipped: skipped, foldDigests: digests, kernel: kernel, imageInitialisation: initialisation,
            seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    /// Softmax probabilities of `model` over the test part of `split`, in split order.
    static func score(
        _ model: any Classifier, split: SplitSet, work: WorkDirectory, captions: [String: String],
        threads: Int
    ) throws -> (items: [(id: String, label: Int, probabilities: [Double])], skipped: [String: String]) {
        let spec = model.spec
        let ds = try Dataset.load(split, part: .test, work: work, captions: captions, requireImages: true)
        let loader = BatchLoader(
            ds, blobs: work.blobs, batchSize: 64, resolution: spec.resolution, needsImages: true,
            seed: 0, workers: threads, decodedCache: work.decodedImageCache)
        var out: [(id: String, label: Int, probabilities: [Double])] = []
        Evaluation.forEachBatch(model, loader: loader) { b, z, c in
            for r in 0..<b.count { out.append((b.ids[r], b.labels[r], softmax(z, offset: r &* c, count: c))) }
        }
        var skipped = ds.problems
        for (id, why) in loader.failures { skipped[id] = why }
        return (out, skipped)
    }

    /// Softmax of `count` logits in Double, with the deterministic exponential (same bits on every CPU).
    static func softmax(_ z: UnsafeBufferPointer<Float>, offset: Int, count: Int) -> [Double] {
        var m = -Double.infinity
        for j in 0..<count { m = max(m, Double(z[offset &+ j])) }
        var e = [Double](repeating: 0, count: count)
        var sum = 0.0
        for j in 0..<count { e[j] = DeterministicMath.exp(Double(z[offset &+ j]) - m); sum += e[j] }
        for j in 0..<count { e[j] /= sum }
        return e
    }
}
