import Foundation

/// The layout of a work directory: one file per stage output, plus the content-addressed blob store.
///
/// A sharded view (`shard` set) names every per-item file with the shard's suffix (`figures.shard-1-of-4.jsonl`,
/// journals and scratch folders included), while the files every shard shares — `candidates.jsonl`, the blob
/// store and the download cache, both content-addressed — keep their names. Stages written against
/// `WorkDirectory` therefore run per shard unchanged.
public struct WorkDirectory: Sendable {
    public let root: String
    public let shard: Shard?
    public init(_ root: String, shard: Shard? = nil) { self.root = root; self.shard = shard }

    /// Names shared by all shards.
    public static let sharedNames: Set<String> = ["candidates.jsonl", "blobs", "cache", "mirror"]

    public func path(_ name: String) -> String {
        let n = WorkDirectory.sharedNames.contains(name) ? name : sharded(name, shard: shard)
        return (root as NSString).appendingPathComponent(n)
    }

    /// The same directory without the shard view.
    public var whole: WorkDirectory { WorkDirectory(root) }

    public var candidates: String { path("candidates.jsonl") }
    public var articles: String { path("articles.jsonl") }
    public var figures: String { path("figures.jsonl") }
    public var fetchReport: String { path("fetch-report.json") }
    public var images: String { path("images.jsonl") }
    public var clusters: String { path("clusters.jsonl") }
    public var dedupeReport: String { path("dedupe-report.json") }
    public var labels: String { path("labels.jsonl") }
    public var balanced: String { path("balanced.jsonl") }
    public var blobs: BlobStore { BlobStore(root: path("blobs")) }

    /// `name` with a shard suffix: `figures.jsonl` → `figures.shard-2-of-4.jsonl`.
    public func sharded(_ file: String, shard: Shard?) -> String {
        guard let shard else { return file }
        let ext = (file as NSString).pathExtension
        let base = ext.isEmpty ? file : (file as NSString).deletingPathExtension
        return "\(base).shard-\(shard.index)-of-\(shard.count)\(ext.isEmpty ? "" : "." + ext)"
    }
}

/// Shard `index` of `count` (0-based): an item belongs to it when its keyed hash modulo `count` is `index`.
public struct Shard: Sendable, Hashable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) throws {
        guard count >= 1, index >= 0, index < count else {
            throw PairDxError.usage("shard \(index)/\(count) is out of range: use I/N with 0 ≤ I < N")
        }
        self.index = index; self.count = count
    }

    /// Parses `I/N`.
    public init(parsing s: String) throws {
        let parts = s.split(separator: "/")
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else {
            throw PairDxError.usage("--shard expects I/N (for example 0/4), got '\(s)'")
        }
        try self.init(index: i, count: n)
    }

    public func contains(_ id: String) -> Bool {
        Int(KeyedHash.value(seed: 0, domain: "shard", id: id) % UInt64(count)) == index
    }

    public var description: String { "\(index)/\(count)" }
}

/// Content-addressed blobs: `blobs/sha256/ab/cd/<64 hex>`. Writes go through a temporary file and an
/// atomic rename, so concurrent writers of the same blob (shards, threads) are harmless.
public struct BlobStore: Sendable {
    public let root: String
    public init(root: String) { self.root = root }

    public func path(for sha256: String) -> String {
        let a = sha256.prefix(2), b = sha256.dropFirst(2).prefix(2)
        return "\(root)/sha256/\(a)/\(b)/\(sha256)"
    }

    public func contains(_ sha256: String) -> Bool { FileManager.default.fileExists(atPath: path(for: sha256)) }

    public func read(_ sha256: String) throws -> Data { try FileSystem.read(path(for: sha256)) }

    /// Moves a finished, verified temporary file into the store under its digest.
    public func adopt(temporary tmp: String, sha256: String) throws {
        let dest = path(for: sha256)
        try FileSystem.makeDirectory((dest as NSString).deletingLastPathComponent)
        if contains(sha256) { try? FileManager.default.removeItem(atPath: tmp); return }
        try AtomicFile.commit(temporary: tmp, to: dest)
    }

    /// Stores bytes and returns their sha256.
    @discardableResult
    public func put(_ data: Data) throws -> String {
        let digest = SHA256.hex(data)
        if contains(digest) { return digest }
        try AtomicFile.write(data, to: path(for: digest))
        return digest
    }

    /// Every stored digest, sorted.
    public func all() -> [String] {
        FileSystem.listFiles(under: root + "/sha256").map { ($0 as NSString).lastPathComponent }
            .filter { $0.count == 64 }.sorted()
    }
}
