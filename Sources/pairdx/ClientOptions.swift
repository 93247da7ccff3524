import ArgumentParser
import Ingest
import PairDxCore

/// Network options shared by `discover` and `fetch`.
struct ClientOptions: ParsableArguments {
    @Option(help: "Transfers in flight at once.")
    var concurrency: Int = 8

    @Option(help: "Requests per second per host (default: 3 for NCBI hosts, 10 with --api-key; unlimited elsewhere).")
    var rate: Double?

    @Option(name: .customLong("api-key"), help: "NCBI API key (raises the NCBI rate to 10 requests/s).")
    var apiKey: String?

    @Option(help: "Contact named in the User-Agent (an email or URL).")
    var contact: String = "https://github.com/pairdx/pairdx"

    @Option(help: "Retries per request for 429, 5xx, timeouts and network errors.")
    var retries: Int = 4

    @Option(name: .customLong("max-listing-bytes"), help: "Largest listing or esearch page accepted, in bytes.")
    var maxListingBytes: Int = BodyLimits().listing

    @Option(
        name: .customLong("max-metadata-bytes"), help: "Largest article metadata file (PMCn.v.json) accepted, in bytes."
    )
    var maxMetadataBytes: Int = BodyLimits().metadata

    @Option(name: .customLong("max-jats-bytes"), help: "Largest JATS XML file accepted, in bytes.")
    var maxJATSBytes: Int = BodyLimits().jats

    @Option(name: .customLong("max-media-bytes"), help: "Largest media file (figure) accepted, in bytes.")
    var maxMediaBytes: Int = BodyLimits().media

    @Option(
        name: .customLong("timeout-base"),
        help: "Seconds every transfer may take on top of its size allowance (see --timeout-rate).")
    var timeoutBase: Double = HTTPClientOptions().timeoutBase

    @Option(
        name: .customLong("timeout-rate"),
        help: "Slowest average rate, in bytes per second, a transfer's total time limit allows for its size limit.")
    var timeoutRate: Int = HTTPClientOptions().timeoutRate

    @Option(name: .customLong("connect-timeout"), help: "Seconds to wait for a connection.")
    var connectTimeout: Double = 10

    @Option(name: .customLong("max-pages"), help: "Most pages one paged listing or esearch query may take.")
    var maxPages: Int = HTTPClientOptions().maxPages

    func validate() throws {
        if concurrency < 1 { throw ValidationError("--concurrency must be at least 1") }
        if let rate, rate <= 0 { throw ValidationError("--rate must be positive") }
        if retries < 0 { throw ValidationError("--retries must be 0 or more") }
        for (flag, value) in [
            ("--max-listing-bytes", maxListingBytes), ("--max-metadata-bytes", maxMetadataBytes),
            ("--max-jats-bytes", maxJATSBytes), ("--max-media-bytes", maxMediaBytes),
            ("--timeout-rate", timeoutRate), ("--max-pages", maxPages)
        ] where value < 1 {
            throw ValidationError("\(flag) must be positive")
        }
        if !(timeoutBase > 0) { throw ValidationError("--timeout-base must be positive") }
    }

    /// These options as command-line arguments (every one explicit), for the `fetch` processes of a sharded rebuild.
    var arguments: [String] {
        var a = [
            "--concurrency", "\(concurrency)", "--retries", "\(retries)", "--contact", contact,
            "--max-listing-bytes", "\(maxListingBytes)", "--max-metadata-bytes", "\(maxMetadataBytes)",
            "--max-jats-bytes", "\(maxJATSBytes)", "--max-media-bytes", "\(maxMediaBytes)",
            "--timeout-base", "\(timeoutBase)", "--timeout-rate", "\(timeoutRate)",
            "--connect-timeout", "\(connectTimeout)", "--max-pages", "\(maxPages)"
        ]
        if let rate { a += ["--rate", "\(rate)"] }
        if let apiKey { a += ["--api-key", apiKey] }
        return a
    }

    func makeClient() -> HTTPClient {
        var o = HTTPClientOptions()
        o.concurrency = concurrency
        o.maxRetries = retries
        o.bodyLimits.listing = maxListingBytes
        o.bodyLimits.metadata = maxMetadataBytes
        o.bodyLimits.jats = maxJATSBytes
        o.bodyLimits.media = maxMediaBytes
        o.timeoutBase = timeoutBase
        o.timeoutRate = timeoutRate
        o.maxPages = maxPages
        o.connectTimeout = connectTimeout
        o.contact = contact
        let explicit = rate
        let ncbi: Double = apiKey == nil ? 3 : 10
        o.rateLimit = { host in explicit ?? (HTTPClientOptions.isNCBI(host) ? ncbi : nil) }
        return HTTPClient(options: o)
    }
}
