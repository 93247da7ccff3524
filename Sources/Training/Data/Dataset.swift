import Curation
import Foundation
import PairDxCore

/// One labelled figure–caption pair ready for the loader.
public struct Example: Sendable {
    public var id: String
    public var label: Int
    public var sha256: String
    public var caption: String
    /// Caption token ids (at most `maxTokens`), filled once a vocabulary exists.
    public var tokens: [Int32] = []

    public init(id: String, label: Int, sha256: String, caption: String) {
        self.id = id
        self.label = label
        self.sha256 = sha256
        self.caption = caption
    }
}

/// The items of one split part joined with their captions (`figures.jsonl`) and image blobs.
///
/// Items whose caption record or blob is missing are skipped and counted in `problems` (id → reason), so one
/// bad item never stops a run.
public struct Dataset: Sendable {
    public var part: SplitName
    public var examples: [Example]
    public var problems: [String: String]

    public init(part: SplitName, examples: [Example], problems: [String: String] = [:]) {
        self.part = part
        self.examples = examples
        self.problems = problems
    }

    /// Joins `rows` with the work directory's captions and blob store. O(rows + figures).
    /// `requireImages: false` (text models) keeps items whose blob is absent.
    public static func load(
        _ split: SplitSet, part: SplitName, work: WorkDirectory,
        captions: [String: String]? = nil, requireImages: Bool = true
    ) throws -> Dataset {
        let caps = try captions ?? loadCaptions(work)
        let blobs = work.blobs
        var examples: [Example] = []
        var problems: [String: String] = [:]
        for r in split.rows(part) {
            guard let label = split.classes.firstIndex(of: r.class) else { continue }
            guard let c = caps[r.id] else { problems[r.id] = "no caption in figures.jsonl"; continue }
            guard !requireImages || blobs.contains(r.sha256) else {
                problems[r.id] = "blob \(r.sha256) missing from \(blobs.root)"; continue
            }
            examples.append(Example(id: r.id, label: label, sha256: r.sha256, caption: c))
        }
        return Dataset(part: part, examples: examples, problems: problems)
    }

    /// Caption by item id from `figures.jsonl`.
    public static func loadCaptions(_ work: WorkDirectory) throws -> [String: String] {
        guard FileSystem.exists(work.figures) else {
            throw PairDxError.io("\(work.figures): not found; pass --data WORKDIR holding figures.jsonl and blobs/")
        }
        var out: [String: String] = [:]
        for f in try JSONL.read(FigureRecord.self, from: work.figures) { out[f.id] = f.caption }
        return out
    }

    /// Encodes every caption with `vocab`, at most `maxTokens` tokens each; returns the counts.
    @discardableResult
    public mutating func tokenize(_ vocab: Vocabulary, maxTokens: Int) -> TokenStats {
        var stats = TokenStats()
        for i in examples.indices {
            examples[i].tokens = vocab.encode(examples[i].caption, maxTokens: maxTokens, stats: &stats)
        }
        return stats
    }
}
