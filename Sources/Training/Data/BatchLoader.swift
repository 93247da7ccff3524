import Foundation
import PairDxCore

/// Turns a `Dataset` into mini-batches: deterministic order from the seed, images decoded, resized, augmented and
/// normalised in background threads while the model trains on the previous batch.
///
/// Order: training epochs sort examples by a keyed hash of (seed, epoch, id), so the order depends only on the
/// seed and the ids; evaluation keeps split order. Decoded R×R bytes are cached in memory when the whole split
/// fits in `cacheBytes`, so later epochs skip decoding; with a `decodedCache` directory they are also kept on disk
/// (`<dir>/<R>/<sha256[0..<2]>/<sha256>.rgb`, the R·R·3 bytes exactly as decoded), so a split too large for memory
/// is still decoded once, and every loader of a run (train, val, test; each model of validate) shares the work.
/// Images that fail to decode are dropped from their batch and listed in `failures` (id → reason).
/// Thread-safe: one stream at a time per loader.
public final class BatchLoader: @unchecked Sendable {
    public let examples: [Example]
    public let batchSize: Int
    public let resolution: Int
    public let needsImages: Bool
    public let seed: UInt64
    public let workers: Int

    private let blobs: BlobStore
    private let lock = NSLock()
    private var cache: [[UInt8]?]
    private let useCache: Bool
    private let decodedCache: String?
    private var failed: [String: String] = [:]

    public init(
        _ dataset: Dataset, blobs: BlobStore, batchSize: Int, resolution: Int, needsImages: Bool, seed: UInt64,
        workers: Int = 2, cacheBytes: Int = 1_500_000_000, decodedCache: String? = nil
    ) {
        self.decodedCache = decodedCache
        precondition(batchSize > 0 && resolution > 0)
        examples = dataset.examples
        self.blobs = blobs; self.batchSize = batchSize; self.resolution = resolution
        self.needsImages = needsImages; self.seed = seed; self.workers = max(1, workers)
        cache = Array(repeating: nil, count: dataset.examples.count)
        useCache = dataset.examples.count * resolution * resolution * 3 <= cacheBytes
    }

    /// Items whose image could not be decoded (id → reason).
    public var failures: [String: String] { lock.lock(); defer { lock.unlock() }; return failed }

    public var batchesPerEpoch: Int { (examples.count + batchSize - 1) / batchSize }

    /// Example indices in the order of `epoch` (shuffled by keyed hash when `shuffle`).
    public func order(epoch: Int, shuffle: Bool) -> [Int] {
        guard shuffle else { return Array(examples.indices) }
        let keys = examples.map { KeyedHash.value(seed: seed, domain: "order-\(epoch)", id: $0.id) }
        return examples.indices.sorted {
            keys[$0] != keys[$1] ? keys[$0] < keys[$1] : examples[$0].id < examples[$1].id
        }
    }

    /// Builds the batch of `indices` (decoding in parallel on `workers` threads).
    public func batch(_ indices: [Int], epoch: Int, augment: Bool) -> Batch {
        var rgb = [[UInt8]?](repeating: nil, count: indices.count)
        if needsImages {
            let r = resolution
            nonisolated(unsafe) let results = UnsafeMutableBufferPointer<[UInt8]?>.allocate(capacity: indices.count)
            results.initialize(repeating: nil)
            defer { results.deinitialize(); results.deallocate() }
            let n = indices.count, w = min(workers, max(n, 1))
            DispatchQueue.concurrentPerform(iterations: w) { t in
                var i = t
                while i < n { results[i] = self.pixels(indices[i], resolution: r); i += w }
            }
            for i in 0..<n { rgb[i] = results[i] }
        }
        let kept = needsImages ? indices.indices.filter { rgb[$0] != nil } : Array(indices.indices)
        let exs = kept.map { examples[indices[$0]] }
        var images: Tensor?
        if needsImages {
            let r = resolution, plane = 3 * r * r
            images = Tensor(shape: [kept.count, 3, r, r]) { out in
                for (b, k) in kept.enumerated() {
                    ImagePipeline.normalise(
                        rgb[k]!, resolution: r, augment: augment ? (seed, epoch, exs[b].id) : nil,
                        into: out.baseAddress! + b * plane)
                }
            }
        }
        let packed = Batch.packTokens(exs.map(\.tokens))
        return Batch(
            ids: exs.map(\.id), labels: exs.map(\.label), images: images, tokens: packed.tokens,
            tokenLength: packed.tokenLength, lengths: packed.lengths)
    }

    private func pixels(_ index: Int, resolution r: Int) -> [UInt8]? {
        if useCache {
            lock.lock(); let hit = cache[index]; lock.unlock()
            if let hit { return hit }
        }
        let ex = examples[index]
        let cached = decodedCache.map { "\($0)/\(r)/\(ex.sha256.prefix(2))/\(ex.sha256).rgb" }
        if let cached, let data = FileManager.default.contents(atPath: cached), data.count == r * r * 3 {
            let px = [UInt8](data)
            if useCache { lock.lock(); cache[index] = px; lock.unlock() }
            return px
        }
        do {
            let px = try ImagePipeline.prepare(try blobs.read(ex.sha256), resolution: r)
            if useCache { lock.lock(); cache[index] = px; lock.unlock() }
            if let cached {
                // Best effort: a cache that cannot be written only costs a decode next time.
                try? FileSystem.makeDirectory((cached as NSString).deletingLastPathComponent)
                try? AtomicFile.write(Data(px), to: cached)
            }
            return px
        } catch {
            lock.lock(); failed[ex.id] = "\(error)"; lock.unlock()
            return nil
        }
    }

    /// The batches of one epoch, prepared up to `prefetch` ahead on a background thread.
    public func stream(epoch: Int, shuffle: Bool, augment: Bool, prefetch: Int = 2) -> BatchStream {
        let ord = order(epoch: epoch, shuffle: shuffle)
        let chunks = stride(from: 0, to: ord.count, by: batchSize).map {
            Array(ord[$0..<min($0 + batchSize, ord.count)])
        }
        return BatchStream(count: chunks.count, prefetch: prefetch) { [self] i in
            batch(chunks[i], epoch: epoch, augment: augment)
        }
    }
}

/// A bounded producer/consumer queue of batches: a background thread builds batch i+1… while the caller
/// consumes batch i. `next()` returns nil after the last batch.
public final class BatchStream: @unchecked Sendable {
    public let count: Int
    private let condition = NSCondition()
    private var ready: [Int: Batch] = [:]
    private var produced = 0
    private var consumed = 0
    private var cancelled = false

    init(count: Int, prefetch: Int, make: @escaping @Sendable (Int) -> Batch) {
        self.count = count
        let limit = max(1, prefetch)
        let thread = Thread { [self] in
            for i in 0..<count {
                condition.lock()
                while produced - consumed >= limit && !cancelled { condition.wait() }
                let stop = cancelled
                condition.unlock()
                if stop { return }
                let b = make(i)
                condition.lock(); ready[i] = b; produced += 1; condition.broadcast(); condition.unlock()
            }
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    public func next() -> Batch? {
        condition.lock(); defer { condition.unlock() }
        guard consumed < count else { return nil }
        while ready[consumed] == nil { condition.wait() }
        let b = ready.removeValue(forKey: consumed)
        consumed += 1
        condition.broadcast()
        return b
    }

    /// Stops the producer early (e.g. when training is interrupted).
    public func cancel() { condition.lock(); cancelled = true; condition.broadcast(); condition.unlock() }
    deinit { cancel() }
}

extension WorkDirectory {
    /// Where training keeps decoded, resized images (`BatchLoader`'s `decodedCache`): `cache/decoded-v1`. The bytes
    /// depend only on the blob, the resolution and `ImagePipeline.prepare` (bump the suffix when its output changes),
    /// so the cache is valid across runs; delete it to reclaim space.
    public var decodedImageCache: String { path("cache/decoded-v1") }
}
