import ArgumentParser
import Foundation
import Ingest
import PairDxCore

struct FetchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Fetch metadata, JATS and figure images of work/candidates.jsonl from a source.",
        discussion: """
            For each candidate: the newest version (unless one is named), its PMCn.v.json (retracted and non-open-access articles are skipped with the reason), its JATS, and each figure graphic's media file (href matched against media_urls; jpg/png preferred; tif/gif recorded as unsupported). Images are checked by magic bytes and stored in work/blobs/sha256/…; HTML error pages, oversized bodies and unsafe names are rejected per figure, never stopping the run. Writes work/articles.jsonl, work/figures.jsonl, work/fetch-report.json and prints a one-line summary (--json: the report). Resumable: kill it at any time and run it again; completed downloads (work/fetch-journal.jsonl) are not repeated, nor are files the source answered with 404 (--retry-missing asks again).
            """
    )
    @OptionGroup var global: GlobalOptions
    @OptionGroup var net: ClientOptions
    @OptionGroup var sharding: ShardOptions

    @Option(help: "Mirror directory, file:// or http(s):// base of the PMC Cloud layout.")
    var source: String

    @Flag(help: "Ask again for files an earlier run found missing (404); by default the journal remembers them.")
    var retryMissing = false

    @OptionGroup var output: JSONOutput

    func run() async throws {
        global.apply()
        let work = try sharding.view(global.workDirectory)
        guard FileSystem.exists(work.candidates) else {
            throw PairDxError.io("\(work.candidates) does not exist: run 'pairdx discover' first")
        }
        let candidates = try JSONL.read(Candidate.self, from: work.candidates).filter {
            work.shard?.contains($0.pmcid) ?? true
        }
        let fetcher = try Fetcher(
            source: try Source(source), work: work, client: net.makeClient(), retryMissing: retryMissing)
        let report = try await fetcher.run(candidates)
        if json {
            FileHandle.standardOutput.write(try CanonicalJSON.encode(report, pretty: true) + Data("\n".utf8))
        } else {
            print(report.summary)
        }
    }
}

extension FetchCommand: ReportsJSON {}
