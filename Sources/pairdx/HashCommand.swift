import ArgumentParser
import Foundation
import Imaging
import PairDxCore

struct HashCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash",
        abstract:
            "Decode, check and hash the images of work/figures.jsonl (every stored blob without it) → images.jsonl.",
        discussion: """
            Runs after 'fetch'. For each blob in <work>/blobs: checks its bytes against its sha256 name,
            decodes it row by row (PNG, JPEG; limits below, see README "Reliability"), and records format, size,
            channels, the sha256 of the decoded pixels, and 64-bit pHash, dHash and aHash (pairdx-phash-v1,
            docs/pairdx-phash-v1.md) — or the reason it cannot be used (empty-file, not-an-image: html,
            unsupported-format: gif, truncated, corrupt, too-large, over-budget, too-many-scans, too-small,
            blob-corrupt). A bad image
            never stops the run. Writes <work>/images.jsonl sorted by sha256; work is spread over --threads.
            """
    )
    @OptionGroup var global: GlobalOptions
    @OptionGroup var sharding: ShardOptions

    @OptionGroup var decoding: DecodeOptions

    @OptionGroup var output: JSONOutput

    func run() async throws {
        global.apply()
        let work = try sharding.view(global.workDirectory)
        guard FileManager.default.fileExists(atPath: work.blobs.root) else {
            throw PairDxError.io("\(work.blobs.root) does not exist: run 'pairdx fetch --work \(work.root)' first")
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let summary = try HashStage.run(work: work, threads: global.threadCount, budget: decoding.budget())
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        Log.info(
            String(
                format: "hash: %d images, %d ok, %d rejected in %.2f s (%d threads) → %@", summary.images,
                summary.ok, summary.rejected, seconds, global.threadCount, work.images))
        for (reason, n) in summary.reasons.sorted(by: { $0.key < $1.key }) { Log.info("  rejected \(reason): \(n)") }
        if json { print(try CanonicalJSON.string(summary)) }
    }
}

extension HashCommand: ReportsJSON {}
