import ArgumentParser
import Foundation
import Ingest
import PairDxCore
import Pipeline

/// Where `plan` and `rebuild` take their candidates from, and how they reach the source.
struct CandidateOptions: ParsableArguments {
    @Option(help: "File of PMCIDs to take as candidates instead of listing the source.")
    var ids: String?
    @Option(
        help:
            "Where candidates come from: auto (--ids when given, else the recipe's esearch query, else the source's listing), ids, query, listing."
    )
    var candidates: CandidateOrigin = .auto
    @Option(
        help:
            "esearch.fcgi endpoint for the recipe's query (default: <source>/esearch.fcgi for an http source, else NCBI's)."
    )
    var esearch: String?

    /// Sets the candidate origin and the client (limits, rate, API key) of a rebuild or plan.
    func apply(to o: inout Rebuild.Options, net: ClientOptions) {
        o.ids = ids
        o.candidates = candidates
        o.esearch = esearch
        o.apiKey = net.apiKey
        o.client = net.makeClient().options
        o.clientArguments = net.arguments
    }
}

/// Options shared by `plan` and `rebuild --plan`.
struct PlanOptions: ParsableArguments {
    @Option(
        name: .customLong("plan-sample"),
        help:
            "Most articles of the seeded order the plan samples: it reads metadata and JATS until every class has \(RebuildPlan.binomialCount) caption-labelled figures (fewer when the recipe needs fewer), then the media the per-class cap selects."
    )
    var sample: Int = 2000
    @Option(
        name: .customLong("plan-rate"),
        help:
            "Requests per second the wall-time estimate assumes (default: --rate, else NCBI's 3, or 10 with --api-key)."
    )
    var rate: Double?

    func rate(_ net: ClientOptions) -> Double { rate ?? net.rate ?? (net.apiKey == nil ? 3 : 10) }
}

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Estimate a caption-first rebuild before it starts: articles, requests, bytes and wall time.",
        discussion: """
            Discovers the candidates as rebuild does and samples a prefix of the seeded scan order (the articles the scan
            reads first, so nothing is wasted: a rebuild in the same work directory takes them from the fetch journal),
            grown until the rarest class has enough caption-labelled figures for a ±20% estimate at 95%, at most
            --plan-sample articles. Measures per-class yield per article, bytes per document and per figure, and prints
            the estimate with a 95% interval from the limiting class's count. Writes <work>/plan.json; a later rebuild
            in the same work directory logs the estimate against the actual run.
            """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var recipe: RecipeOptions
    @OptionGroup var net: ClientOptions
    @OptionGroup var planOptions: PlanOptions

    @Option(help: "Mirror directory, file:// or http(s):// base of the PMC Cloud layout.")
    var source: String
    @OptionGroup var candidateOptions: CandidateOptions
    @OptionGroup var output: JSONOutput

    func run() async throws {
        global.apply()
        if planOptions.sample < 1 { throw PairDxError.usage("--plan-sample must be at least 1") }
        var o = Rebuild.Options(recipePath: recipe.recipePath, work: global.workDirectory)
        o.source = source
        candidateOptions.apply(to: &o, net: net)
        o.threads = global.threadCount
        let plan = try await Rebuild(o).plan(maxSample: planOptions.sample, rate: planOptions.rate(net))
        if json { try printJSON(plan) } else { print(plan.text, terminator: "") }
        Log.info("plan: \(global.workDirectory.path("plan.json"))")
    }
}

extension PlanCommand: ReportsJSON {}
