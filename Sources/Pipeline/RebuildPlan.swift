import Foundation
import Ingest
import PairDxCore

extension RebuildPlan {
    /// Samples, measures and estimates; writes `plan.json` into the work directory.
    public static func make(
        scan: CaptionFirstScan, candidates: [Candidate], origin: CandidateOrigin, sample: Int,
        rate: Double
    ) async throws -> RebuildPlan {
        let order = CaptionFirstScan.order(candidates, seed: scan.recipe.seed)
        let prefix = Array(order.prefix(sample))
        var reuse: [String: ImageRecord] = [:]
        let probe = try await scan.evaluate(prefix, fetcher: try scan.makeFetcher(), reuse: &reuse)
        let work = scan.work
        // What the sample cost, from the fetch journal (every download, whichever run made it).
        let keys = Set(
            try JSONL.read(ArticleRecord.self, from: work.articles).compactMap { a in
                a.version.map { "\(a.pmcid).\($0)" }
            })
        var docs = (n: 0, bytes: 0), media = (n: 0, bytes: 0)
        let journal = work.path("fetch-journal.jsonl")
        if FileSystem.exists(journal) {
            for line in try FileSystem.readString(journal).split(separator: "\n") {
                guard let e = try? JSONDecoder().decode(FetchJournal.Entry.self, from: Data(line.utf8)) else {
                    continue
                }
                let parts = e.url.split(separator: "/")
                guard parts.count >= 2, keys.contains(String(parts[parts.count - 2])) else { continue }
                if e.url.hasSuffix(".json") || e.url.hasSuffix(".xml") {
                    docs.n += 1; docs.bytes += e.bytes
                } else {
                    media.n += 1; media.bytes += e.bytes
                }
            }
        }
        let n = Double(max(prefix.count, 1))
        // Listing one prefix per article whose version is unknown (esearch and id files name none).
        let listings = scan.source.directory == nil ? Double(prefix.filter { $0.version == nil }.count) : 0
        let requestsPerArticle = (Double(docs.n + media.n) + listings) / n
        let bytesPerArticle = Double(docs.bytes + media.bytes) / n
        // Metadata, JATS and listings grow with the articles scanned; media do not, past the cap: a class asks for
        // its labelled figures as the prefix yields them, up to its need raised by the losses the sample showed.
        let docRequestsPerArticle = (Double(docs.n) + listings) / n
        let docBytesPerArticle = Double(docs.bytes) / n
        let bytesPerFigure = media.n > 0 ? Double(media.bytes) / Double(media.n) : 0
        func mediaRequests(articles a: Double) -> Double {
            guard let need = scan.recipe.balance.perClass, scan.recipe.balance.policy == .target else {
                return Double(media.n) / n * a
            }
            return probe.queued.reduce(0.0) { total, q in
                let asked = Double(probe.allowance[q.key] ?? q.value), have = Double(probe.usable[q.key] ?? 0)
                let perUsable = have > 0 ? max(1, asked / have) : 1 + MediaCap.floor
                return total + min(Double(q.value) * a / n, (Double(need) * perUsable).rounded(.up))
            }
        }
        var plan = RebuildPlan(
            recipe: scan.recipe.name, candidateOrigin: origin.rawValue, candidates: order.count, sample: prefix.count,
            perClass: scan.recipe.balance.policy == .target ? scan.recipe.balance.perClass : nil,
            usable: probe.usable, figuresPerArticle: Double(probe.figures) / n,
            requestsPerArticle: requestsPerArticle, bytesPerArticle: bytesPerArticle,
            bytesPerDocument: docs.n > 0 ? Double(docs.bytes) / Double(docs.n) : 0,
            bytesPerFigure: bytesPerFigure)
        if let need = plan.perClass {
            // Articles each class needs, and the interval from a Poisson 95% interval on its sample count.
            var worst: (cls: String, mid: Double, low: Double, high: Double)? = nil
            for c in scan.recipe.classes.map(\.name) {
                let u = Double(probe.usable[c] ?? 0)
                let mid = u > 0 ? Double(need) * n / u : .infinity
                let low = Double(need) * n / (u + 1.96 * u.squareRoot() + 1)
                let high = u - 1.96 * u.squareRoot() > 0.5 ? Double(need) * n / (u - 1.96 * u.squareRoot()) : .infinity
                if worst == nil || mid > worst!.mid { worst = (c, mid, low, high) }
            }
            if let w = worst {
                plan.limitingClass = w.cls
                let total = Double(order.count)
                if w.mid.isFinite {
                    let a = Range3(
                        low: min(w.low, total).rounded(.up), mid: min(w.mid, total).rounded(.up),
                        high: min(w.high, total).rounded(.up))
                    func scaled(_ f: (Double) -> Double) -> Range3 {
                        Range3(low: f(a.low).rounded(), mid: f(a.mid).rounded(), high: f(a.high).rounded())
                    }
                    let req = scaled { docRequestsPerArticle * $0 + mediaRequests(articles: $0) }
                    plan.estimate = Estimate(
                        articles: a, requests: req,
                        bytes: scaled { docBytesPerArticle * $0 + mediaRequests(articles: $0) * bytesPerFigure },
                        seconds: Range3(
                            low: (req.low / rate).rounded(), mid: (req.mid / rate).rounded(),
                            high: (req.high / rate).rounded()),
                        rate: rate)
                }
                if !w.mid.isFinite || w.mid > total {
                    plan.shortfall = Dictionary(
                        uniqueKeysWithValues: scan.recipe.classes.map { c in
                            (c.name, Int((Double(probe.usable[c.name] ?? 0) * total / n).rounded(.down)))
                        })
                }
            }
        }
        try AtomicFile.write(try CanonicalJSON.encode(plan, pretty: true), to: work.path("plan.json"))
        return plan
    }
}
