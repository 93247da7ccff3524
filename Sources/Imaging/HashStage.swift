import Foundation
import PairDxCore

/// `pairdx hash`: every blob in the store → one `ImageRecord` (hashes, or a reject reason).
public enum HashStage {
    public struct Summary: Codable, Sendable, Equatable {
        public var images: Int
        public var ok: Int
        public var rejected: Int
        /// Reject reason code (`truncated`, `unsupported-format`, …) → count, sorted by key when encoded.
        public var reasons: [String: Int]
        public var hash: String
    }

    /// Hashes one blob: checks the bytes against their name, decodes, digests the pixels, hashes
    /// (`pairdx-phash-v2`). Never throws: a bad blob becomes a record with `reject`.
    public static func record(sha256: String, data: Data, budget: DecodeBudget) -> ImageRecord {
        let sniffed = data.isEmpty ? nil : FormatSniffer.sniff(data)?.rawValue
        let actual = SHA256.hex(data)
        guard actual == sha256 else {
            return ImageRecord(sha256: sha256, format: sniffed, reject: "blob-corrupt: content hashes to \(actual)")
        }
        do {
            let h = try ImageHasher.hash(data, mode: .v2, budget: budget, pixelDigest: true)
            return ImageRecord(
                sha256: sha256, format: h.format.rawValue, width: h.width, height: h.height,
                channels: h.channels, pixelSHA256: h.pixelSHA256, phash: h.hashes.phashHex,
                dhash: h.hashes.dhashHex, ahash: h.hashes.ahashHex, phash256: h.hashes.phash256Hex,
                crop256: CropSignature.hex(h.hashes.crops), thumb32: AlignedDetail.hex(h.hashes.thumbnail))
        } catch {
            return ImageRecord(sha256: sha256, format: sniffed, reject: error.reason)
        }
    }

    /// Hashes the blobs of `work`'s figures (every stored blob when there is no `figures.jsonl`) on `threads` threads and writes `images.jsonl` (sorted by
    /// sha256). O(total pixels / threads) time; memory: per thread one blob and a few rows of its width, plus
    /// `budget.memory` (shared) for interlaced PNGs and multi-scan JPEGs.
    /// `reuse`: records already computed for some blobs (a caption-first scan hashes each blob once across its
    /// batches); they are written as given.
    public static func run(
        work: WorkDirectory, threads: Int, budget: DecodeBudget = DecodeBudget(),
        reuse: [String: ImageRecord] = [:]
    ) throws -> Summary {
        let store = work.blobs
        // The blobs this work directory's figures use (a shard's own, under a sharded view); every stored blob
        // when there is no figures file yet.
        let names =
            FileSystem.exists(work.figures)
            ? Set(try JSONL.read(FigureRecord.self, from: work.figures).compactMap { $0.status.isOK ? $0.sha256 : nil })
                .sorted()
            : store.all()
        let progress = Progress("hash", total: names.count)
        let records = Parallel.map(count: names.count, threads: threads, batch: 4) { i -> ImageRecord in
            defer { progress.advance() }
            let sha = names[i]
            if let known = reuse[sha] { return known }
            do {
                return record(sha256: sha, data: try store.read(sha), budget: budget)
            } catch {
                return ImageRecord(sha256: sha, reject: "unreadable: \(error)")
            }
        }
        progress.finish()
        try JSONL.write(records, to: work.images, sortedBy: \.sortKey)
        return summarize(records)
    }

    public static func summarize(_ records: [ImageRecord]) -> Summary {
        var reasons = [String: Int]()
        for r in records { if let reject = r.reject { reasons[reasonCode(reject), default: 0] += 1 } }
        let rejected = records.filter { $0.reject != nil }.count
        return Summary(
            images: records.count, ok: records.count - rejected, rejected: rejected, reasons: reasons,
            hash: HashMode.v2.rawValue)
    }

    /// `truncated: png: …` → `truncated`.
    public static func reasonCode(_ reason: String) -> String {
        String(reason.prefix { $0 != ":" })
    }
}
