import Foundation
import PairDxCore

/// `Splits/<name>/splits.json` (schema `pairdx-splits/1`).
public struct SplitsSummary: Codable, Sendable, Equatable {
    public struct PerSplit: Codable, Sendable, Equatable {
        public var count: Int
        public var perClass: [String: Int]
        /// sha256 over the split's ids, sorted, each followed by "\n".
        public var membershipSHA256: String
    }
    public struct Groups: Codable, Sendable, Equatable {
        public var count: Int
        public var largest: Int
    }
    public struct Ratios: Codable, Sendable, Equatable {
        public var train: Double
        public var val: Double
        public var test: Double
    }

    public var schema: String
    public var name: String
    public var recipe: String
    public var recipeSHA256: String
    public var seed: UInt64
    public var mode: String
    public var classes: [String]
    public var ratios: Ratios
    /// sha256 over "id\tsha256\n" of every fetched figure, sorted by id: names the source bytes the split was made from.
    public var sourceSnapshot: String
    public var splits: [String: PerSplit]
    public var groups: Groups

    public static let schemaID = "pairdx-splits/1"
}

/// Reads and writes the files of a split directory. Every file is canonical: sorted rows, fixed columns,
/// no timestamps or absolute paths, so the same inputs give the same bytes.
public enum SplitFiles {
    public static let header = ["id", "class", "article", "figure", "sha256", "phash", "group"]
    public static let checksummed = ["splits.json", "test.csv", "train.csv", "val.csv"]

    public static func membershipHash(_ ids: [String]) -> String {
        let h = Hasher256()
        for id in ids.sorted(by: { ItemID.sortKey($0) < ItemID.sortKey($1) }) { h.update(id + "\n") }
        return h.finalizeHex()
    }

    public static func csv(_ items: [Splitter.Item]) -> String {
        var s = CSV.line(header)
        for it in items { s += CSV.line([it.id, it.class, it.article, it.figure, it.sha256, it.phash, it.group]) }
        return s
    }

    /// Writes `train.csv`, `val.csv`, `test.csv`, `splits.json` and `SHA256SUMS` into `dir`.
    @discardableResult
    public static func write(_ a: Splitter.Assignment, to dir: String, name: String, recipe: Recipe,
                             sourceSnapshot: String) throws -> SplitsSummary {
        let classes = recipe.classes.map(\.name)
        var per: [String: SplitsSummary.PerSplit] = [:]
        var files: [String: Data] = [:]
        for s in SplitName.allCases {
            let items = a.items[s] ?? []
            var pc = Dictionary(uniqueKeysWithValues: classes.map { ($0, 0) })
            for it in items { pc[it.class, default: 0] += 1 }
            per[s.rawValue] = .init(count: items.count, perClass: pc, membershipSHA256: membershipHash(items.map(\.id)))
            files["\(s.rawValue).csv"] = Data(csv(items).utf8)
        }
        let summary = SplitsSummary(
            schema: SplitsSummary.schemaID, name: name, recipe: recipe.name, recipeSHA256: try recipe.digest(),
            seed: recipe.seed, mode: recipe.split.mode, classes: classes,
            ratios: .init(train: recipe.split.train, val: recipe.split.val, test: recipe.split.test),
            sourceSnapshot: sourceSnapshot, splits: per, groups: .init(count: a.groupCount, largest: a.largestGroup))
        files["splits.json"] = try CanonicalJSON.encode(summary, pretty: true)
        try FileSystem.makeDirectory(dir)
        for (f, d) in files { try AtomicFile.write(d, to: dir + "/" + f) }
        try AtomicFile.write(sha256sums(files), to: dir + "/SHA256SUMS")
        return summary
    }

    /// `sha256sum -c` format: "<hex>  <name>\n", sorted by name.
    public static func sha256sums(_ files: [String: Data]) -> String {
        files.keys.sorted().map { "\(SHA256.hex(files[$0]!))  \($0)\n" }.joined()
    }

    public static func sourceSnapshot(_ figures: [FigureRecord]) -> String {
        let h = Hasher256()
        for f in figures.sorted(by: { $0.sortKey < $1.sortKey }) where f.status == "ok" {
            h.update("\(f.id)\t\(f.sha256 ?? "")\n")
        }
        return h.finalizeHex()
    }

    /// Reads one split CSV; errors name the file and line.
    public static func readCSV(_ path: String) throws -> [Splitter.Item] {
        try parseCSV(try FileSystem.readString(path), source: path)
    }

    /// Parses the text of a split CSV read from `path` (named in errors).
    public static func parseCSV(_ text: String, source path: String) throws -> [Splitter.Item] {
        let rows = CSV.parse(text)
        guard let head = rows.first, head == header else {
            throw PairDxError.badInput("\(path): header must be \(header.joined(separator: ","))")
        }
        var out: [Splitter.Item] = []
        for (i, r) in rows.dropFirst().enumerated() {
            guard r.count == header.count else {
                throw PairDxError.badInput("\(path):\(i + 2): expected \(header.count) fields, found \(r.count)")
            }
            out.append(.init(id: r[0], class: r[1], article: r[2], figure: r[3], sha256: r[4], phash: r[5], group: r[6]))
        }
        return out
    }
}
