import Foundation
import PairDxCore

/// Finds candidate articles: from an id list, an esearch query, or the listing of a source.
public struct Discoverer: Sendable {
    public var client: HTTPClient
    public var pageSize = Discoverer.esearchMaxPage
    public var maxResults: Int?

    public init(client: HTTPClient) { self.client = client }

    /// Candidates from a file of PMC ids (one per line, with or without `PMC` and `.version`;
    /// blank lines and `#` comments skipped). Bad lines are returned as problems, not fatal.
    public func fromIDs(file: String) throws -> (candidates: [Candidate], problems: [String]) {
        let text = try FileSystem.readString(file)
        var out: [Candidate] = [], problems: [String] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if let p = PMCID.parse(line) {
                out.append(Candidate(pmcid: p.id, version: p.version, via: .ids))
            } else {
                problems.append("\((file as NSString).lastPathComponent) line \(i + 1): '\(line)' is not a PMC id")
            }
        }
        return (out, problems)
    }

    /// Newest version of every article in a source, by ListObjectsV2 (`delimiter=/`, paged) or a
    /// directory listing. O(prefixes).
    public func fromListing(_ source: Source) async throws -> [Candidate] {
        var prefixes: [String] = []
        if let dir = source.directory {
            prefixes = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter {
                FileSystem.exists("\(dir)/\($0)/\($0).json")
            }
        } else {
            var token: String? = nil
            var pages = PageGuard("listing \(source.base)", maxPages: client.options.maxPages)
            repeat {
                try pages.next(token)
                var url = source.base + "?list-type=2&delimiter=%2F&max-keys=1000"
                if let token {
                    url +=
                        "&continuation-token="
                        + (token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? token)
                }
                let r = await client.run([DownloadRequest(url: url, kind: .listing)])[0]
                guard r.ok, let data = r.data else {
                    throw PairDxError.io("listing \(url) failed: \(r.error ?? "no body")")
                }
                let page = try S3Listing.parse(data, source: url)
                prefixes += page.prefixes.map { String($0.dropLast()) }
                token = page.nextToken
            } while token != nil
        }
        return Discoverer.newest(
            prefixes.compactMap { PMCID.parse($0) }.filter { $0.version != nil }
                .map { Candidate(pmcid: $0.id, version: $0.version, via: source.directory == nil ? .list : .mirror) })
    }

    /// Every PMC id an esearch query returns. Large result sets are paged the way NCBI's E-utilities documentation
    /// prescribes: the first request posts the search to the History server (`usehistory=y`), later pages name it by
    /// `WebEnv` and `query_key` and step `retstart` by `retmax` (at most 10,000 ids a request) until `Count` ids are in.
    /// `endpoint` is the esearch.fcgi URL (NCBI's, or a mirror's).
    public func fromESearch(endpoint: String, term: String, apiKey: String?) async throws -> [Candidate] {
        var start = 0, total = Int.max
        var out: [Candidate] = []
        var history: (webEnv: String, queryKey: String)? = nil
        func enc(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? s }
        let size = min(pageSize, Discoverer.esearchMaxPage)
        var pages = PageGuard("esearch \(endpoint)", maxPages: client.options.maxPages)
        while start < total {
            let want = min(size, (maxResults ?? Int.max) - out.count)
            if want <= 0 { break }
            try pages.next(start == 0 ? nil : String(start))
            var url = "\(endpoint)?db=pmc&term=\(enc(term))&retstart=\(start)&retmax=\(want)"
            if let history {
                url += "&WebEnv=\(enc(history.webEnv))&query_key=\(enc(history.queryKey))&usehistory=y"
            } else {
                url += "&usehistory=y"
            }
            if let apiKey { url += "&api_key=\(apiKey)" }
            let r = await client.run([DownloadRequest(url: url, kind: .listing)])[0]
            guard r.ok, let data = r.data else {
                throw PairDxError.io("esearch \(endpoint) failed: \(r.error ?? "no body")")
            }
            let page = try ESearchPage.parse(data, source: "esearch")
            total = page.count
            if history == nil, let w = page.webEnv, let q = page.queryKey { history = (w, q) }
            if page.ids.isEmpty { break }
            out += page.ids.compactMap { PMCID.parse($0) }.map { Candidate(pmcid: $0.id, version: nil, via: .esearch) }
            start += page.ids.count
        }
        return Discoverer.dedupe(out)
    }

    /// The most ids one esearch request returns (`retmax`), per NCBI's documentation.
    public static let esearchMaxPage = 10_000

    /// The esearch endpoint: `explicit` when given, else the source's `esearch.fcgi` when it is an http mirror, else NCBI's.
    public static func esearchEndpoint(explicit: String?, source: String?) -> String {
        if let explicit { return explicit }
        if let s = source, s.lowercased().hasPrefix("http") { return (s.hasSuffix("/") ? s : s + "/") + "esearch.fcgi" }
        return "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/esearch.fcgi"
    }

    /// One candidate per (pmcid): the highest version named, or nil (newest) when any said so.
    static func newest(_ cs: [Candidate]) -> [Candidate] {
        var best: [String: Candidate] = [:]
        for c in cs {
            if let b = best[c.pmcid], (b.version ?? 0) >= (c.version ?? 0) { continue }
            best[c.pmcid] = c
        }
        return best.values.sorted { $0.sortKey < $1.sortKey }
    }

    public static func dedupe(_ cs: [Candidate]) -> [Candidate] {
        var seen: [String: Candidate] = [:]
        for c in cs {
            if let s = seen[c.pmcid] {
                if s.version == nil { continue }
                if c.version == nil || (c.version ?? 0) > (s.version ?? 0) { seen[c.pmcid] = c }
            } else {
                seen[c.pmcid] = c
            }
        }
        return seen.values.sorted { $0.sortKey < $1.sortKey }
    }
}

extension Discoverer {
    /// Candidates from a file of PMCIDs when `ids` is given (unique, with the problem lines), otherwise from the
    /// listing of `source` (a mirror directory, `file://` or an S3-style `http(s)://` bucket).
    public func candidates(ids: String?, source: String?) async throws -> (candidates: [Candidate], problems: [String])
    {
        if let ids {
            let r = try fromIDs(file: ids)
            return (Discoverer.dedupe(r.candidates), r.problems)
        }
        guard let source else {
            throw PairDxError.usage("discover needs --ids FILE, --query TERMS or --source DIR|URL")
        }
        return (try await fromListing(try Source(source)), [])
    }
}
