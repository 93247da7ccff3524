import Foundation
import PairDxCore

/// Suspect labels (`suspects.json`, schema `pairdx-suspects/1`): split items whose caption label an image model
/// trained *out of fold* confidently contradicts, found the confident-learning way.
///
/// The rule (as cleanlab's confident joint): for each class j the threshold t_j is the mean out-of-fold probability
/// of j over the items labelled j (the class's mean self-confidence). An item's confident class is the most probable
/// class among those whose probability reaches their threshold; an item whose confident class is not its label is a
/// suspect. Suspects are ranked by normalised margin p(label) − max over other classes p(j), lowest first. The share
/// of label errors of class y is estimated from the confident joint's row y: off-diagonal counts over the row total
/// (the calibrated joint keeps that ratio).
///
/// The file is canonical: sorted keys, probabilities rounded to 4 decimals, no paths, no timestamps. The model part
/// (training k image models, one per fold) lives in `Training`; this type only reads and writes the format, scores
/// probabilities, and is what the audit and `balance --exclude-suspects` read.
public struct SuspectLabels: Codable, Sendable, Equatable {
    public static let schemaID = "pairdx-suspects/1"
    public static let fileName = "suspects.json"

    /// How the out-of-fold probabilities were made.
    public struct Method: Codable, Sendable, Equatable {
        /// `image` (the ResNet-18 baseline).
        public var model: String
        /// Folds over train+val+test; an item's fold is a keyed hash of (seed, its split group), so no group, and
        /// hence no duplicate or article-mate, is split between a model's training items and the items it scores.
        public var folds: Int
        public var epochs: Int
        public var resolution: Int
        public var widthMultiplier: Double
        public var batchSize: Int
        public var learningRate: Double
        public var seed: UInt64
        /// `deterministic` or `fast` and the matrix kernel: in deterministic mode the file is the same on any CPU.
        public var computeMode: String
        public var kernel: String
        /// SHA-256 of each fold model's weights, in fold order.
        public var foldWeightsSHA256: [String]
        /// Where the ResNet-18 weights started (`seed` or the ImageNet file's name).
        public var imageInitialisation: String
        public var rule: String

        public init(
            model: String, folds: Int, epochs: Int, resolution: Int, widthMultiplier: Double, batchSize: Int,
            learningRate: Double, seed: UInt64, computeMode: String, kernel: String, foldWeightsSHA256: [String],
            imageInitialisation: String
        ) {
            self.model = model; self.folds = folds; self.epochs = epochs; self.resolution = resolution
            self.widthMultiplier = widthMultiplier; self.batchSize = batchSize; self.learningRate = learningRate
            self.seed = seed; self.computeMode = computeMode; self.kernel = kernel
            self.foldWeightsSHA256 = foldWeightsSHA256; self.imageInitialisation = imageInitialisation
            self.rule = SuspectLabels.ruleText
        }
    }

    /// One class's row of the confident joint.
    public struct ClassEstimate: Codable, Sendable, Equatable {
        public var `class`: String
        /// Split items with this caption label, and how many of them were scored (decodable image).
        public var items: Int
        public var scored: Int
        /// The class's threshold: mean out-of-fold probability of the class over its own items.
        public var threshold: Double
        /// Scored items whose out-of-fold arg-max is the label.
        public var outOfFoldAccuracy: Double
        /// Items of this label with a confident class (the confident joint's row total) and suspects among them.
        public var confident: Int
        public var suspects: Int
        /// Estimated share of this class's items whose label is wrong (off-diagonal share of the row).
        public var estimatedErrorShare: Double
    }

    /// A suspect item.
    public struct Suspect: Codable, Sendable, Equatable {
        public var rank: Int
        public var id: String
        public var split: SplitName
        /// The caption label and the image model's confident class.
        public var label: String
        public var predicted: String
        public var labelProbability: Double
        public var predictedProbability: Double
        /// p(label) − max over other classes p(j): the lower, the more the image disagrees.
        public var margin: Double
        public var fold: Int
    }

    public var schema: String
    /// The split set's name and the SHA-256 of its `SHA256SUMS` (a file made for other split files is stale).
    public var split: String
    public var splitSHA256: String?
    public var recipe: String?
    public var classes: [String]
    public var method: Method
    /// Split items, items scored, and suspects.
    public var items: Int
    public var scored: Int
    public var perClass: [ClassEstimate]
    /// Estimated share of wrong labels over all scored items (class estimates weighted by class size).
    public var estimatedErrorShare: Double
    public var suspects: [Suspect]
    /// Items not scored (image missing or undecodable), id → reason, sorted by id.
    public var skipped: [String: String]

    static let ruleText =
        "confident learning: per-class threshold = mean out-of-fold probability of the class over its own items; "
        + "suspect when the most probable class at or above its threshold is not the caption label; ranked by p(label) - max p(other)"

    /// One item's out-of-fold class probabilities (in `classes` order).
    public struct Scored: Sendable, Equatable {
        public var id: String
        public var split: SplitName
        public var label: Int
        public var probabilities: [Double]
        public var fold: Int
        public init(id: String, split: SplitName, label: Int, probabilities: [Double], fold: Int) {
            self.id = id; self.split = split; self.label = label; self.probabilities = probabilities; self.fold = fold
        }
    }

    /// Applies the rule to out-of-fold probabilities. `items` counts split items per class, scored or not.
    /// Pure and O(items · classes).
    public static func find(
        _ scored: [Scored], classes: [String], itemsPerClass: [String: Int], split: String, splitSHA256: String?,
        recipe: String?, method: Method, skipped: [String: String]
    ) -> SuspectLabels {
        let k = classes.count
        var sum = [Double](repeating: 0, count: k), count = [Int](repeating: 0, count: k),
            correct = [Int](repeating: 0, count: k)
        for s in scored where s.label >= 0 && s.label < k && s.probabilities.count == k {
            sum[s.label] += s.probabilities[s.label]; count[s.label] += 1
            if argmax(s.probabilities) == s.label { correct[s.label] += 1 }
        }
        // A class with no scored item gets threshold 1: nothing is confidently that class.
        let thresholds = (0..<k).map { count[$0] > 0 ? sum[$0] / Double(count[$0]) : 1 }
        var joint = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
        var found: [Suspect] = []
        for s in scored where s.label >= 0 && s.label < k && s.probabilities.count == k {
            let p = s.probabilities
            var confident: Int? = nil
            for j in 0..<k where p[j] >= thresholds[j] { if confident == nil || p[j] > p[confident!] { confident = j } }
            guard let c = confident else { continue }
            joint[s.label][c] += 1
            guard c != s.label else { continue }
            var other = 0.0
            for j in 0..<k where j != s.label { other = max(other, p[j]) }
            found.append(
                Suspect(
                    rank: 0, id: s.id, split: s.split, label: classes[s.label], predicted: classes[c],
                    labelProbability: round4(p[s.label]), predictedProbability: round4(p[c]),
                    margin: round4(p[s.label] - other), fold: s.fold))
        }
        found.sort { $0.margin != $1.margin ? $0.margin < $1.margin : ItemID.sortKey($0.id) < ItemID.sortKey($1.id) }
        for i in found.indices { found[i].rank = i + 1 }
        var estimates: [ClassEstimate] = []
        var weighted = 0.0
        for (y, name) in classes.enumerated() {
            let row = joint[y].reduce(0, +)
            let share = row > 0 ? Double(row - joint[y][y]) / Double(row) : 0
            weighted += share * Double(count[y])
            estimates.append(
                ClassEstimate(
                    class: name, items: itemsPerClass[name] ?? count[y], scored: count[y],
                    threshold: round4(thresholds[y]),
                    outOfFoldAccuracy: round4(count[y] > 0 ? Double(correct[y]) / Double(count[y]) : 0),
                    confident: row, suspects: row - joint[y][y], estimatedErrorShare: round4(share)))
        }
        let scoredCount = count.reduce(0, +)
        return SuspectLabels(
            schema: schemaID, split: split, splitSHA256: splitSHA256, recipe: recipe, classes: classes, method: method,
            items: itemsPerClass.values.reduce(0, +), scored: scoredCount, perClass: estimates,
            estimatedErrorShare: round4(scoredCount > 0 ? weighted / Double(scoredCount) : 0),
            suspects: found, skipped: skipped)
    }

    static func argmax(_ p: [Double]) -> Int {
        var best = 0
        for j in p.indices where p[j] > p[best] { best = j }
        return best
    }

    /// Rounds to 4 decimals, so the file's floats print the same everywhere.
    public static func round4(_ x: Double) -> Double { x.isFinite ? (x * 10_000).rounded() / 10_000 : 0 }

    // MARK: - Files

    /// Canonical bytes (sorted keys, pretty, trailing newline).
    public func encoded() throws -> Data {
        var d = try CanonicalJSON.encode(self, pretty: true)
        if d.last != 0x0A { d.append(0x0A) }
        return d
    }

    public func write(to path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileSystem.makeDirectory(dir) }
        try AtomicFile.write(try encoded(), to: path)
    }

    /// Reads and checks a suspects file: schema, every suspect's classes among `classes`, ranks 1…n.
    /// - Throws: `PairDxError.io` when missing, `.badInput` naming the file and the item when malformed.
    public static func load(_ path: String) throws -> SuspectLabels {
        guard FileSystem.exists(path) else {
            throw PairDxError.io(
                "\(path): no suspects file; run 'pairdx suspects --split Splits/<name> --data WORKDIR' first")
        }
        let s = try CanonicalJSON.decode(SuspectLabels.self, from: try FileSystem.read(path), source: path)
        guard s.schema == schemaID else {
            throw PairDxError.badInput("\(path): schema '\(s.schema)', expected '\(schemaID)'")
        }
        for (i, x) in s.suspects.enumerated() {
            guard s.classes.contains(x.label), s.classes.contains(x.predicted) else {
                throw PairDxError.badInput(
                    "\(path): suspect \(x.id) names a class outside \(s.classes) ('\(x.label)' → '\(x.predicted)')")
            }
            guard x.rank == i + 1 else {
                throw PairDxError.badInput("\(path): suspect \(x.id) has rank \(x.rank) at position \(i + 1)")
            }
        }
        return s
    }

    /// The digest a suspects file records for `splitDir`: SHA-256 of its `SHA256SUMS`; nil when the split has none.
    public static func splitDigest(_ splitDir: String) -> String? {
        try? SplitFiles.digest(of: splitDir)
    }

    // MARK: - Scoring against a synthetic corpus's truth

    /// Precision and recall of the suspects against the items whose caption label differs from the class the
    /// synthetic image was drawn as (`pairdx synth`'s truth file): the planted misleading captions that got through.
    public struct TruthScore: Codable, Sendable, Equatable {
        /// Scored split items whose label is wrong per the truth, suspects, and suspects among the wrong ones.
        public var wrongLabels: Int
        public var suspects: Int
        public var truePositives: Int
        public var precision: Double?
        public var recall: Double?
        /// Wrong labels by the caption kind the truth records (`misleading`, `two`, …), and how many were flagged.
        public var wrongByCaptionKind: [String: Int]
        public var foundByCaptionKind: [String: Int]
        /// Wrong labels not flagged, ids sorted.
        public var missed: [String]
        /// Suspects whose label is right, ids sorted.
        public var falseAlarms: [String]
    }

    /// Scores the suspects on the truth. `labels` maps every scored split item to its caption label; items absent
    /// from the truth are not counted.
    public func score(truth: SynthTruth, labels: [String: String]) -> TruthScore {
        let byID = Dictionary(truth.figures.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let skippedIDs = Set(skipped.keys)
        var wrong = Set<String>()
        var wrongKind: [String: Int] = [:]
        for (id, label) in labels where !skippedIDs.contains(id) {
            guard let f = byID[id], f.class != label else { continue }
            wrong.insert(id); wrongKind[f.captionKind, default: 0] += 1
        }
        let flagged = Set(suspects.map(\.id))
        let hits = flagged.intersection(wrong)
        var foundKind: [String: Int] = [:]
        for id in hits { foundKind[byID[id]!.captionKind, default: 0] += 1 }
        let sort: (Set<String>) -> [String] = { $0.sorted { ItemID.sortKey($0) < ItemID.sortKey($1) } }
        return TruthScore(
            wrongLabels: wrong.count, suspects: flagged.count, truePositives: hits.count,
            precision: flagged.isEmpty ? nil : Double(hits.count) / Double(flagged.count),
            recall: wrong.isEmpty ? nil : Double(hits.count) / Double(wrong.count),
            wrongByCaptionKind: wrongKind, foundByCaptionKind: foundKind,
            missed: sort(wrong.subtracting(flagged)), falseAlarms: sort(flagged.subtracting(wrong)))
    }
}

// MARK: - Excluding suspects before balancing

/// An item `balance --exclude-suspects` left out (`work/excluded.jsonl`, then `Manifests/<name>/excluded.csv`).
public struct ExcludedItem: Codable, Sendable, Hashable {
    public var id: String
    /// The caption label and the image model's confident class.
    public var `class`: String
    public var predicted: String
    /// SHA-256 of the suspects file that flagged it.
    public var suspectsSHA256: String
    public init(id: String, class c: String, predicted: String, suspectsSHA256: String) {
        self.id = id; self.class = c; self.predicted = predicted; self.suspectsSHA256 = suspectsSHA256
    }
    public var sortKey: String { ItemID.sortKey(id) }

    public static let csvHeader = ["id", "class", "predicted", "suspects_sha256"]
    public static let manifestFile = "excluded.csv"
}

extension WorkDirectory {
    /// Items the last `balance` left out as suspect labels; absent when it excluded nothing.
    public var excluded: String { path("excluded.jsonl") }
}
