import Foundation
import PairDxCore

/// `PMCn.v/PMCn.v.json` of the PMC Cloud layout (fields this stage reads; others ignored).
public struct ArticleMetadata: Decodable, Sendable {
    public var pmcid: String
    public var version: Int?
    public var licenseCode: String?
    public var isOpenAccess: Bool?
    public var isRetracted: Bool?
    public var xmlURL: String?
    public var mediaURLs: [String]
    public var pmid: String?
    public var doi: String?
    public var title: String?

    enum Keys: String, CodingKey {
        case pmcid, version, license_code, is_pmc_openaccess, is_retracted, xml_url, media_urls, pmid, doi, title
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        pmcid = try c.decode(String.self, forKey: .pmcid)
        version = try c.decodeIfPresent(Int.self, forKey: .version)
        licenseCode = try c.decodeIfPresent(String.self, forKey: .license_code)
        isOpenAccess = try c.decodeIfPresent(Bool.self, forKey: .is_pmc_openaccess)
        isRetracted = try c.decodeIfPresent(Bool.self, forKey: .is_retracted)
        xmlURL = try c.decodeIfPresent(String.self, forKey: .xml_url)
        mediaURLs = try c.decodeIfPresent([String].self, forKey: .media_urls) ?? []
        // Identifiers appear as strings or numbers in the wild.
        func flexible(_ k: Keys) -> String? {
            if let s = try? c.decodeIfPresent(String.self, forKey: k) { return s }
            if let n = try? c.decodeIfPresent(Int.self, forKey: k) { return String(n) }
            return nil
        }
        pmid = flexible(.pmid)
        doi = try c.decodeIfPresent(String.self, forKey: .doi)
        title = try c.decodeIfPresent(String.self, forKey: .title)
    }
}

/// Everything `fetch` counts (`work/fetch-report.json`).
public struct FetchReport: Codable, Sendable {
    public var schema = "pairdx-fetch-report/1"
    public var candidates = 0
    /// Article outcomes by status class (`ok`, `retracted`, `not-open-access`, `no-figures`,
    /// `metadata-error`, `xml-error`, `http-error`).
    public var articles: [String: Int] = [:]
    /// Figure-graphic outcomes by status class (`ok`, `media-missing`, `unsupported-format`, …).
    public var figures: [String: Int] = [:]
    /// Failed requests by error class after retries (`http-4xx`, `http-5xx`, `network`, `timeout`, …).
    public var httpErrors: [String: Int] = [:]
    public var requests = 0
    public var retries = 0
    public var bytes = 0
    /// Downloads skipped because the journal says they were complete.
    public var reused = 0
    public var seconds = 0.0
    public var requestsPerSecond = 0.0
    public var problems: [String] = []

    public init() {}

    public var summary: String {
        func fmt(_ d: [String: Int]) -> String {
            d.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        }
        return "fetch: \(candidates) candidates; articles: \(fmt(articles)); figures: \(fmt(figures)); "
            + "\(requests) requests (\(retries) retries, \(reused) reused), \(bytes) bytes, "
            + String(format: "%.1f req/s", requestsPerSecond)
    }
}
