import Curation
import Foundation
import PairDxCore
import Training

/// The text baseline on real figure captions (ROCO's caption files), labelled by the recipe's caption rules.
///
/// Every captions.txt under the directory is read (`ROCO_id<TAB>caption`); captions the rules label go into
/// train/val/test by keyed hash of (seed, id) at the recipe's ratios (not balanced); the text model is trained
/// with the recipe's `training.text` and tested. Caveat printed in every report: the labels come from the
/// captions themselves, so the text model's task is easier than the paper's (labels from figure content).
public enum RealCaptions {
    public struct Report: Codable, Sendable {
        public var source: String
        public var recipe: String
        public var captions: Int
        public var labelled: Int
        public var perClass: [String: Int]
        public var splitCounts: [String: Int]
        public var embeddings: String
        public var test: EvaluationReport
        public var trainSeconds: Double
        public var caveat: String
    }

    public static let caveat =
        "Labels come from the captions themselves (the recipe's caption rules), so a text model's task is easier than the paper's; this measures the text pipeline on real captions, not the published accuracy."

    public static func run(directory: String, recipe: Recipe, threads: Int, glove: String?, out: String) throws
        -> Report
    {
        let files = FileSystem.listFiles(under: directory).filter {
            $0 == "captions.txt" || $0.hasSuffix("/captions.txt")
        }
        .map { (directory as NSString).appendingPathComponent($0) }
        guard !files.isEmpty else {
            throw PairDxError.io("\(directory): no captions.txt files found (ROCO layout expected)")
        }
        let labeler = Labeler(recipe: recipe)
        var captions: [String: String] = [:]
        var labels: [String: String] = [:]
        for f in files {
            for line in try FileSystem.readString(f).split(separator: "\n") {
                let parts = line.split(separator: "\t", maxSplits: 1)
                guard parts.count == 2 else { continue }
                let id = parts[0].trimmingCharacters(in: .whitespaces),
                    caption = parts[1].trimmingCharacters(in: .whitespaces)
                guard captions[id] == nil else { continue }
                captions[id] = caption
                if let c = labeler.label(caption: caption).class { labels[id] = c }
            }
        }
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("pairdx-real-captions-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let work = WorkDirectory(tmp + "/work")
        try FileSystem.makeDirectory(work.root)
        // The labelled captions split by keyed hash, kept in memory: they have no images and are no split rows.
        let classes = recipe.classes.map(\.name)
        var parts: [SplitName: [Example]] = [.train: [], .val: [], .test: []]
        var counts: [String: Int] = [:]
        for id in labels.keys.sorted() {
            guard let label = classes.firstIndex(of: labels[id]!) else { continue }
            let u = KeyedHash.unit(seed: recipe.seed, domain: "real-captions-split", id: id)
            let part: SplitName =
                u < recipe.split.train ? .train : (u < recipe.split.train + recipe.split.val ? .val : .test)
            parts[part]!.append(Example(id: id, label: label, sha256: "", caption: captions[id]!))
            counts[part.rawValue, default: 0] += 1
        }
        guard var h = recipe.training["text"] else {
            throw PairDxError.badInput("recipe \(recipe.name): no training.text entry")
        }
        h.threads = threads
        let labelled = labels.keys.reduce(into: [String: String]()) { $0[$1] = captions[$1] }
        let config = TrainConfig(
            kind: .text, hyper: h, seed: recipe.seed, threads: threads, glove: glove, gloveCache: nil)
        let result = try Trainer.train(
            config, classes: classes, train: Dataset(part: .train, examples: parts[.train]!),
            val: Dataset(part: .val, examples: parts[.val]!), work: work, captions: labelled)
        let test = try Evaluation.run(
            result.model, vocabulary: result.vocabulary, dataset: Dataset(part: .test, examples: parts[.test]!),
            split: "real-captions", work: work, threads: threads)
        var perClass: [String: Int] = [:]
        for c in labels.values { perClass[c, default: 0] += 1 }
        let report = Report(
            source: (directory as NSString).lastPathComponent, recipe: recipe.name, captions: captions.count,
            labelled: labels.count, perClass: perClass, splitCounts: counts, embeddings: result.model.spec.embeddings,
            test: test, trainSeconds: result.trainSeconds, caveat: caveat)
        try FileSystem.makeDirectory(out)
        try AtomicFile.write(try CanonicalJSON.encode(report, pretty: true), to: out + "/real-captions.json")
        try AtomicFile.write(
            "# Text baseline on real captions (\(report.source), recipe `\(recipe.name)`)\n\n\(caveat)\n\n"
                + summary(report) + "\n\n```\n" + test.metrics.table() + "```\n", to: out + "/real-captions.md")
        return report
    }

    public static func summary(_ r: Report) -> String {
        String(
            format: "real captions: %d read, %d labelled by %@ (%@); train %d / val %d / test %d; embeddings %@\n"
                + "text baseline test accuracy %.2f%%, macro-F1 %.4f, OOV %.2f%%, trained in %@\ncaveat: %@",
            r.captions, r.labelled, r.recipe,
            r.perClass.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "),
            r.splitCounts["train"] ?? 0, r.splitCounts["val"] ?? 0, r.splitCounts["test"] ?? 0, r.embeddings,
            100 * r.test.metrics.accuracy, r.test.metrics.macroF1, 100 * (r.test.oovShare ?? 0),
            Trainer.duration(r.trainSeconds), r.caveat)
    }
}
