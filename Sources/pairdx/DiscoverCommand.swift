import ArgumentParser
import Foundation
import Ingest
import PairDxCore

struct DiscoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "discover",
        abstract: "List candidate articles into work/candidates.jsonl (ids file, source listing, or esearch).",
        discussion: """
            Candidates come from one of:
              --ids FILE        PMC ids, one per line (PMC123, 123 or PMC123.2)
              --query TERMS     NCBI esearch over db=pmc, paged with retstart/retmax;
                                endpoint --esearch URL, or <source>/esearch.fcgi
              --source DIR|URL  every article of a mirror directory, or of a bucket or
                                mirror server via S3 ListObjectsV2 (newest versions)

            Writes work/candidates.jsonl sorted by PMC number and prints a one-line summary (--json: counts). Next: pairdx fetch --source ...
            """
    )
    @OptionGroup var global: GlobalOptions
    @OptionGroup var net: ClientOptions

    @Option(help: "Mirror directory, file:// or http(s):// base of the PMC Cloud layout.")
    var source: String?

    @Option(help: "File of PMC ids.")
    var ids: String?

    @Option(help: "esearch query terms (Entrez syntax).")
    var query: String?

    @Option(help: "esearch.fcgi endpoint (default: NCBI's, or the source's when it is an http mirror).")
    var esearch: String?

    @Option(name: .customLong("max-results"), help: "Stop esearch after this many ids.")
    var maxResults: Int?

    @OptionGroup var output: JSONOutput

    func run() async throws {
        global.apply()
        var d = Discoverer(client: net.makeClient())
        d.maxResults = maxResults
        var problems: [String] = []
        let candidates: [Candidate]
        if ids == nil, let query {
            let endpoint = Discoverer.esearchEndpoint(explicit: esearch, source: source)
            candidates = try await d.fromESearch(endpoint: endpoint, term: query, apiKey: net.apiKey)
        } else {
            (candidates, problems) = try await d.candidates(ids: ids, source: source)
        }
        for p in problems { Log.warning(p) }
        let work = global.workDirectory
        try FileSystem.makeDirectory(work.root)
        try JSONL.write(candidates, to: work.candidates, sortedBy: \.sortKey)
        if json {
            struct Out: Encodable { var candidates: Int; var problems: [String] }
            print(try CanonicalJSON.string(Out(candidates: candidates.count, problems: problems)))
        } else {
            print(
                "discover: \(candidates.count) candidates → \(work.candidates)"
                    + (problems.isEmpty ? "" : " (\(problems.count) bad lines skipped)"))
        }
    }
}

extension DiscoverCommand: ReportsJSON {}
