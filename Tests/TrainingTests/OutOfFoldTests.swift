import Curation
import Foundation
import PairDxTestSupport
import Imaging
import PairDxCore
import Testing
import TrainingTestSupport
@testable import Training

/// Out-of-fold probabilities on a toy corpus (class c = a dominant colour), with labels flipped on purpose:
/// the models that score the flipped items never trained on them, so the image wins over the wrong label.
@Suite(.serialized, .scratch)
struct OutOfFoldTests {
    /// A toy corpus whose classes survive the loader's flips and shifts: class c is a dominant colour (red, green,
    /// blue) with noise; `flips` items get another class in their split file (id → the wrong class written there).
    static func corpus(flips: Int, perClass: Int = 16, side: Int = 24) throws -> (ToyCorpus, [String: String]) {
        let toy = try ToyCorpus(perClass: ["train": 1])  // the folders, files and splits.json; rewritten below
        let work = toy.work
        var figures: [FigureRecord] = []
        var rows = [SplitFiles.header]
        var flipped: [String: String] = [:]
        var g = SeededGenerator(seed: 11)
        for (c, name) in ToyCorpus.classes.enumerated() {
            for i in 0..<perClass {
                let n = c * perClass + i + 1
                let pmcid = "PMC\(5000 + n)", id = "\(pmcid)/F1"
                var px = [UInt8](repeating: 0, count: side * side * 3)
                for p in 0..<(side * side) {
                    for k in 0..<3 {
                        px[p * 3 + k] = UInt8(k == c ? 150 + Int(g.nextUniform() * 100) : Int(g.nextUniform() * 90))
                    }
                }
                let data = try ImageEncoder.png(pixels: px, width: side, height: side, channels: 3)
                let sha = try work.blobs.put(data)
                figures.append(
                    FigureRecord(
                        id: id, pmcid: pmcid, version: 1, figure: "F1", label: "Figure 1", caption: "Figure \(n).",
                        context: "fig", href: "F1", media: "F1.png", license: "CC BY", sha256: sha,
                        bytes: data.count, url: nil, status: .ok))
                var label = name
                if flipped.count < flips && i % 5 == 2 {
                    label = ToyCorpus.classes[(c + 1) % ToyCorpus.classes.count]
                    flipped[id] = label
                }
                rows.append([id, label, pmcid, "F1", sha, "0000000000000000", "", pmcid])
            }
        }
        try JSONL.write(figures, to: work.figures) { $0.sortKey }
        // Every item in train.csv; val and test empty (out of fold, the parts do not matter).
        try AtomicFile.write(rows.map { CSV.line($0) }.joined(), to: "\(toy.splitDir)/train.csv")
        for part in ["val", "test"] { try AtomicFile.write(CSV.line(rows[0]), to: "\(toy.splitDir)/\(part).csv") }
        return (toy, flipped)
    }

    static func config(folds: Int = 3) -> OutOfFold.Config {
        OutOfFold.Config(
            folds: folds, hyper: toyHyper(epochs: 10, batch: 8, lr: 0.02, optimizer: .sgd), seed: 3, threads: 1)
    }

    @Test func everyItemIsScoredOnceByAModelThatNeverSawItsGroup() throws {
        let (toy, flipped) = try Self.corpus(flips: 3)
        let split = try SplitSet.load(toy.splitDir)
        let result = try OutOfFold.run(Self.config(), split: split, work: toy.work)
        let all = SplitName.allCases.flatMap { split.rows($0) }
        #expect(result.items.map(\.id).sorted() == all.map(\.id).sorted(), "each item scored exactly once")
        #expect(result.skipped.isEmpty)
        #expect(result.foldDigests.count == 3 && Set(result.foldDigests).count == 3)
        let groupOf = Dictionary(all.map { ($0.id, $0.group) }, uniquingKeysWith: { a, _ in a })
        for it in result.items {
            #expect(it.fold == OutOfFold.fold(group: groupOf[it.id]!, seed: 3, folds: 3) + 1)
            #expect(abs(it.probabilities.reduce(0, +) - 1) < 1e-9)
            #expect(split.classes[it.label] == all.first { $0.id == it.id }!.class, "the label is the split file's")
        }
        // The image model learned the corners: the flipped items' images point back at their true class.
        for (id, wrong) in flipped {
            let it = try #require(result.items.first { $0.id == id })
            let best = it.probabilities.indices.max { it.probabilities[$0] < it.probabilities[$1] }!
            #expect(
                split.classes[best] != wrong,
                "\(id): labelled \(wrong), image model says \(split.classes[best]) \(it.probabilities)")
            #expect(it.probabilities[it.label] < 0.5, "\(id): \(it.probabilities)")
        }
        let right = result.items.filter { flipped[$0.id] == nil }
        let correct = right.filter { r in
            r.probabilities.indices.max { r.probabilities[$0] < r.probabilities[$1] } == r.label
        }.count
        #expect(Double(correct) / Double(right.count) > 0.9, "\(correct) of \(right.count)")
    }

    @Test func sameSeedSameProbabilitiesAtAnyThreadCount() throws {
        let (toy, _) = try Self.corpus(flips: 1)
        let split = try SplitSet.load(toy.splitDir)
        var c = Self.config(folds: 2)
        c.hyper.epochs = 2
        let one = try OutOfFold.run(c, split: split, work: toy.work)
        c.threads = 2
        let two = try OutOfFold.run(c, split: split, work: toy.work)
        #expect(one.items == two.items && one.foldDigests == two.foldDigests)
    }

    @Test func tooFewFoldsIsAUsageError() throws {
        let toy = try ToyCorpus(perClass: ["train": 2])
        #expect {
            try OutOfFold.run(Self.config(folds: 1), split: try SplitSet.load(toy.splitDir), work: toy.work)
        } throws: {
            "\($0)".contains("--folds must be at least 2")
        }
    }
}
