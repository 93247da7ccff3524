import Foundation
import PairDxCore

/// One row of a split CSV (`id,class,article,figure,sha256,phash,phash256,group`; `sha256` and `group` are found by name).
public struct SplitRow: Sendable, Equatable {
    public var id: String
    public var className: String
    public var sha256: String
    public var group: String
}

/// Reads `Splits/<name>/{train,val,test}.csv` and `splits.json` (the contract `Curation` writes) with
/// PairDxCore's `CSV`; `Training` does not import `Curation`.
public struct SplitFiles: Sendable {
    public let directory: String
    /// Class names in recipe order (from `splits.json`, else first-seen order in the CSVs).
    public let classes: [String]
    public let name: String
    public let recipe: String?
    public let train: [SplitRow]
    public let val: [SplitRow]
    public let test: [SplitRow]

    static let header = ["id", "class", "article", "figure", "sha256", "phash", "group"]

    public static func load(_ directory: String) throws -> SplitFiles {
        guard FileSystem.exists(directory) else {
            throw PairDxError.io("\(directory): split directory not found; run 'pairdx split' first or pass --split Splits/<name>")
        }
        var classes: [String] = []
        var name = (directory as NSString).lastPathComponent
        var recipe: String?
        let meta = (directory as NSString).appendingPathComponent("splits.json")
        if FileSystem.exists(meta) {
            let obj = try JSONSerialization.jsonObject(with: FileSystem.read(meta)) as? [String: Any]
            guard let obj else { throw PairDxError.badInput("\(meta): not a JSON object") }
            classes = obj["classes"] as? [String] ?? []
            name = obj["name"] as? String ?? name
            recipe = obj["recipe"] as? String
        }
        func rows(_ part: String) throws -> [SplitRow] {
            let path = (directory as NSString).appendingPathComponent("\(part).csv")
            let table = CSV.parse(try FileSystem.readString(path))
            guard let head = table.first, head.count >= 5, head[0] == "id", head[1] == "class" else {
                throw PairDxError.badInput("\(path): header must be \(header.joined(separator: ","))")
            }
            let col = Dictionary(head.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
            guard let si = col["sha256"] else { throw PairDxError.badInput("\(path): no sha256 column") }
            let gi = col["group"]
            var out: [SplitRow] = []
            for (n, r) in table.dropFirst().enumerated() {
                if r.count == 1 && r[0].isEmpty { continue }
                guard r.count == head.count else {
                    throw PairDxError.badInput("\(path):\(n + 2): \(r.count) fields, expected \(head.count)")
                }
                out.append(SplitRow(id: r[0], className: r[1], sha256: r[si], group: gi.map { r[$0] } ?? r[0]))
            }
            return out
        }
        let train = try rows("train"), val = try rows("val"), test = try rows("test")
        if classes.isEmpty {
            for r in train + val + test where !classes.contains(r.className) { classes.append(r.className) }
        }
        for (part, list) in [("train", train), ("val", val), ("test", test)] {
            if let bad = list.first(where: { !classes.contains($0.className) }) {
                throw PairDxError.badInput("\(directory)/\(part).csv: item \(bad.id) has class '\(bad.className)' not among \(classes)")
            }
        }
        return SplitFiles(directory: directory, classes: classes, name: name, recipe: recipe, train: train, val: val, test: test)
    }

    /// An empty stand-in, for resolving a recipe before any split is read.
    public static let placeholder = SplitFiles(directory: "", classes: [], name: "", recipe: nil, train: [], val: [], test: [])

    public func rows(_ part: SplitPart) -> [SplitRow] {
        switch part { case .train: train; case .val: val; case .test: test }
    }
}

public enum SplitPart: String, Sendable, CaseIterable { case train, val, test }
