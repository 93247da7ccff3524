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

    @Option(name: .customLong("max-bytes"), help: "Largest body accepted, in bytes.")
    var maxBytes: Int = 200 << 20

    @Option(name: .customLong("connect-timeout"), help: "Seconds to wait for a connection.")
    var connectTimeout: Double = 10

    func validate() throws {
        if concurrency < 1 { throw ValidationError("--concurrency must be at least 1") }
        if let rate, rate <= 0 { throw ValidationError("--rate must be positive") }
        if retries < 0 { throw ValidationError("--retries must be 0 or more") }
        if maxBytes < 1 { throw ValidationError("--max-bytes must be positive") }
    }

    func makeClient() -> HTTPClient {
        var o = HTTPClientOptions()
        o.concurrency = concurrency
        o.maxRetries = retries
        o.maxBodyBytes = maxBytes
        o.connectTimeout = connectTimeout
        o.contact = contact
        let explicit = rate
        let ncbi: Double = apiKey == nil ? 3 : 10
        o.rateLimit = { host in explicit ?? (HTTPClientOptions.isNCBI(host) ? ncbi : nil) }
        return HTTPClient(options: o)
    }
}
