import Foundation
import PairDxCore

/// Joins the per-shard outputs of the item stages (`fetch`, `hash`, `label`) into the files the global stages read.
///
/// Shard files are named by `WorkDirectory.sharded` (`figures.shard-2-of-4.jsonl`). Every shard must be present;
/// records are concatenated, de-duplicated by their key (two shards may hash the same blob: the records are equal),
/// and written sorted, so the merged bytes equal a one-process run's.
public enum ShardMerge {
    public struct Summary: Codable, Sendable {
        public var files: [String: Int]
    }

    /// The per-item files shards write and `merge` joins.
    public static let mergedNames = [
        "articles.jsonl", "figures.jsonl", "images.jsonl", "labels.jsonl", "fetch-report.json"
    ]

    /// Removes every shard's copy of the merged files (`labels.shard-1-of-4.jsonl`, whatever the shard count) from
    /// the work directory, so a sharded run merges only what its own shards wrote. Journals and caches stay: they
    /// let a killed shard resume. Returns the names removed.
    @discardableResult
    public static func removeShardOutputs(work: WorkDirectory) throws -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: work.root)) ?? []
        var removed: [String] = []
        for name in names.sorted() where mergedNames.contains(where: { isShardCopy(name, of: $0) }) {
            do { try FileManager.default.removeItem(atPath: work.path(name)) } catch {
                throw PairDxError.io(
                    "cannot remove the stale shard file \(work.path(name)): \(error.localizedDescription)")
            }
            removed.append(name)
        }
        return removed
    }

    /// `figures.shard-2-of-4.jsonl` is a shard copy of `figures.jsonl`.
    static func isShardCopy(_ name: String, of file: String) -> Bool {
        let ext = (file as NSString).pathExtension, base = (file as NSString).deletingPathExtension
        guard name.hasPrefix(base + ".shard-"), name.hasSuffix("." + ext) else { return false }
        let middle = name.dropFirst(base.count + 7).dropLast(ext.count + 1).split(
            separator: "-", omittingEmptySubsequences: false)
        return middle.count == 3 && middle[1] == "of" && Int(middle[0]) != nil && Int(middle[2]) != nil
    }

    public static func merge(work: WorkDirectory, shards n: Int) throws -> Summary {
        var files: [String: Int] = [:]
        func shardPaths(_ name: String) throws -> [String]? {
            let paths = try (0..<n).map { work.path(work.sharded(name, shard: try Shard(index: $0, count: n))) }
            let present = paths.filter(FileSystem.exists)
            if present.isEmpty { return nil }
            if present.count != n {
                let missing = paths.filter { !FileSystem.exists($0) }.map { ($0 as NSString).lastPathComponent }
                throw PairDxError.io(
                    "cannot merge \(name): missing \(missing.joined(separator: ", ")); rerun those shards")
            }
            return paths
        }
        func join<T: Codable & Equatable & Sendable>(_ type: T.Type, _ name: String, key: (T) -> String) throws {
            guard let paths = try shardPaths(name) else { return }
            var byKey: [String: T] = [:]
            for p in paths {
                for r in try JSONL.read(T.self, from: p) {
                    let k = key(r)
                    if let prev = byKey[k], prev != r {
                        throw PairDxError.badInput("\(p): record \(k) differs from the same record in another shard")
                    }
                    byKey[k] = r
                }
            }
            try JSONL.write(Array(byKey.values), to: work.path(name), sortedBy: key)
            files[name] = byKey.count
        }
        try join(ArticleRecord.self, "articles.jsonl", key: \.sortKey)
        try join(FigureRecord.self, "figures.jsonl", key: \.sortKey)
        try join(ImageRecord.self, "images.jsonl", key: \.sortKey)
        try join(LabelRecord.self, "labels.jsonl", key: \.sortKey)
        if let paths = try shardPaths("fetch-report.json") {
            var total: Any = [String: Any]()
            for p in paths { total = sum(total, try JSONSerialization.jsonObject(with: FileSystem.read(p))) }
            var d = try JSONSerialization.data(
                withJSONObject: total, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
            d.append(0x0A)
            try AtomicFile.write(d, to: work.fetchReport)
            files["fetch-report.json"] = n
        }
        return Summary(files: files)
    }

    /// Adds numbers key by key, recursing into objects; other values keep the first shard's.
    static func sum(_ a: Any, _ b: Any) -> Any {
        if let x = a as? [String: Any], let y = b as? [String: Any] {
            var out = x
            for (k, v) in y { out[k] = x[k].map { sum($0, v) } ?? v }
            return out
        }
        if !(a is Bool), !(b is Bool), let x = a as? NSNumber, let y = b as? NSNumber {
            if x.doubleValue.rounded() == x.doubleValue && y.doubleValue.rounded() == y.doubleValue {
                return x.int64Value + y.int64Value
            }
            return x.doubleValue + y.doubleValue
        }
        return a
    }
}

/// The shard processes of one sharded step, run side by side on this machine.
enum ShardProcesses {
    /// Starts `count` processes of `executable` at once (shard `i` gets `arguments(i)`, stdout discarded, stderr
    /// inherited) and waits for all of them. Returns one description per shard that did not exit 0, named by `name(i)`;
    /// throws only when a process cannot be started.
    static func run(executable: String, count: Int, arguments: (Int) -> [String], name: (Int) -> String) throws
        -> [String]
    {
        var procs: [(Int, Process)] = []
        for i in 0..<count {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: executable)
            p.arguments = arguments(i)
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            procs.append((i, p))
        }
        var failed: [String] = []
        for (i, p) in procs {
            p.waitUntilExit()
            if p.terminationStatus != 0 { failed.append("\(name(i)) exited \(p.terminationStatus)") }
        }
        return failed
    }
}
