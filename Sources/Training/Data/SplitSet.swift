import Curation
import Foundation
import PairDxCore

/// A split directory as training reads it, through Curation's split model: `splits.json` decoded as
/// `SplitsSummary` (name, recipe, classes in recipe order) and `train.csv`, `val.csv`, `test.csv` read and
/// validated by `SplitFiles.readCSV` with the summary's classes (any bad row stops the load, naming file, line and field).
public struct SplitSet: Sendable {
    public let directory: String
    /// Class names in recipe order; a row's label is its class's index here.
    public let classes: [String]
    public let name: String
    public let recipe: String?
    public let train: [Splitter.Item]
    public let val: [Splitter.Item]
    public let test: [Splitter.Item]

    public init(
        directory: String, classes: [String], name: String, recipe: String?, train: [Splitter.Item],
        val: [Splitter.Item],
        test: [Splitter.Item]
    ) {
        self.directory = directory
        self.classes = classes
        self.name = name
        self.recipe = recipe
        self.train = train
        self.val = val
        self.test = test
    }

    /// Reads `directory`. Throws `PairDxError.io` when it or a file is missing, `PairDxError.badInput` when
    /// `splits.json` is not a split summary or a CSV has a bad row.
    public static func load(_ directory: String) throws -> SplitSet {
        guard FileSystem.exists(directory) else {
            throw PairDxError.io(
                "\(directory): split directory not found; run 'pairdx split' first or pass --split Splits/<name>")
        }
        let meta = (directory as NSString).appendingPathComponent("splits.json")
        guard FileSystem.exists(meta) else {
            throw PairDxError.io("\(meta): not found (a split directory holds splits.json and the three CSVs)")
        }
        let summary: SplitsSummary
        do { summary = try JSONDecoder().decode(SplitsSummary.self, from: FileSystem.read(meta)) } catch {
            throw PairDxError.badInput("\(meta): not a \(SplitsSummary.schemaID) summary: \(error)")
        }
        let classes = Set(summary.classes)
        func rows(_ part: SplitName) throws -> [Splitter.Item] {
            try SplitFiles.readCSV(
                (directory as NSString).appendingPathComponent("\(part.rawValue).csv"), classes: classes)
        }
        return SplitSet(
            directory: directory, classes: summary.classes, name: summary.name, recipe: summary.recipe,
            train: try rows(.train), val: try rows(.val), test: try rows(.test))
    }

    /// An empty stand-in, for resolving a recipe before any split is read.
    public static let placeholder = SplitSet(
        directory: "", classes: [], name: "", recipe: nil, train: [], val: [], test: [])

    public func rows(_ part: SplitName) -> [Splitter.Item] {
        switch part {
        case .train: train;
        case .val: val;
        case .test: test
        }
    }

    /// Every row of the three splits.
    public var all: [Splitter.Item] { train + val + test }
}
