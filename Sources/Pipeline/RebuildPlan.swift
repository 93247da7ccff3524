import Foundation
import Ingest
import PairDxCore

/// `work/plan.json`: what a caption-first rebuild will cost, estimated from a seeded sample before it starts.
///
/// The sample is the first `sample` articles of the seeded scan order — a uniform sample of the candidates, and the
/// very articles the scan reads first, so planning wastes no request. It is fetched caption-first (metadata, JATS,
/// media of labelled figures), hashed, deduplicated and labelled like the scan does; the per-class yield of usable
/// figures per article then scales to the whole rebuild. The interval comes from the limiting class's count in the
/// sample (a Poisson 95% interval on that count).
public struct RebuildPlan: Codable, Sendable, Equatable {
    public var schema = "pairdx-plan/1"
    public var recipe: String
    public var candidateOrigin: String
    public var candidates: Int
    public var sample: Int
    public var perClass: Int?
    /// Usable figures per class in the sample.
    public var usable: [String: Int]
    public var figuresPerArticle: Double
    public var requestsPerArticle: Double
    public var bytesPerArticle: Double
    /// Mean bytes of a metadata or JATS document, and of a media file.
    public var bytesPerDocument: Double
    public var bytesPerFigure: Double
    /// The class that needs the most articles.
    public var limitingClass: String?
    public var estimate: Estimate?
    /// When the candidates cannot fill the target by this estimate: the per-class counts they would give.
    public var shortfall: [String: Int]?

    public struct Estimate: Codable, Sendable, Equatable {
        public var articles: Range3
        public var requests: Range3
        public var bytes: Range3
        /// Seconds at `rate` requests per second.
        public var seconds: Range3
        public var rate: Double
    }

    /// An estimate with its 95% interval.
    public struct Range3: Codable, Sendable, Equatable {
        public var low: Double
        public var mid: Double
        public var high: Double
    }

    /// Samples, measures and estimates; writes `plan.json` into the work directory.
    public static func make(scan: CaptionFirstScan, candidates: [Candidate], origin: CandidateOrigin, sample: Int,
                            rate: Double) async throws -> RebuildPlan {
        let order = CaptionFirstScan.order(candidates, seed: scan.recipe.seed)
        let prefix = Array(order.prefix(sample))
        var reuse: [String: ImageRecord] = [:]
        let probe = try await scan.evaluate(prefix, reuse: &reuse)
        let work = scan.work
        // What the sample cost, from the fetch journal (every download, whichever run made it).
        let keys = Set(try JSONL.read(ArticleRecord.self, from: work.articles).compactMap { a in a.version.map { "\(a.pmcid).\($0)" } })
        var docs = (n: 0, bytes: 0), media = (n: 0, bytes: 0)
        let journal = work.path("fetch-journal.jsonl")
        if FileSystem.exists(journal) {
            for line in try FileSystem.readString(journal).split(separator: "\n") {
                guard let e = try? JSONDecoder().decode(FetchJournal.Entry.self, from: Data(line.utf8)) else { continue }
                let parts = e.url.split(separator: "/")
                guard parts.count >= 2, keys.contains(String(parts[parts.count - 2])) else { continue }
                if e.url.hasSuffix(".json") || e.url.hasSuffix(".xml") { docs.n += 1; docs.bytes += e.bytes } else { media.n += 1; media.bytes += e.bytes }
            }
        }
        let n = Double(max(prefix.count, 1))
        // Listing one prefix per article whose version is unknown (esearch and id files name none).
        let listings = scan.source.directory == nil ? Double(prefix.filter { $0.version == nil }.count) : 0
        let requestsPerArticle = (Double(docs.n + media.n) + listings) / n
        let bytesPerArticle = Double(docs.bytes + media.bytes) / n
        var plan = RebuildPlan(recipe: scan.recipe.name, candidateOrigin: origin.rawValue, candidates: order.count, sample: prefix.count,
                               perClass: scan.recipe.balance.policy == "target" ? scan.recipe.balance.perClass : nil,
                               usable: probe.usable, figuresPerArticle: Double(probe.figures) / n,
                               requestsPerArticle: requestsPerArticle, bytesPerArticle: bytesPerArticle,
                               bytesPerDocument: docs.n > 0 ? Double(docs.bytes) / Double(docs.n) : 0,
                               bytesPerFigure: media.n > 0 ? Double(media.bytes) / Double(media.n) : 0)
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
                    let a = Range3(low: min(w.low, total).rounded(.up), mid: min(w.mid, total).rounded(.up), high: min(w.high, total).rounded(.up))
                    func scaled(_ per: Double) -> Range3 { Range3(low: (a.low * per).rounded(), mid: (a.mid * per).rounded(), high: (a.high * per).rounded()) }
                    let req = scaled(requestsPerArticle)
                    plan.estimate = Estimate(articles: a, requests: req, bytes: scaled(bytesPerArticle),
                                             seconds: Range3(low: (req.low / rate).rounded(), mid: (req.mid / rate).rounded(), high: (req.high / rate).rounded()),
                                             rate: rate)
                }
                if !w.mid.isFinite || w.mid > total {
                    plan.shortfall = Dictionary(uniqueKeysWithValues: scan.recipe.classes.map { c in
                        (c.name, Int((Double(probe.usable[c.name] ?? 0) * total / n).rounded(.down)))
                    })
                }
            }
        }
        try AtomicFile.write(try CanonicalJSON.encode(plan, pretty: true), to: work.path("plan.json"))
        return plan
    }

    /// The plan in a few lines, for people.
    public var text: String {
        func n(_ x: Double) -> String { x.isFinite ? String(Int(x)) : "∞" }
        func mb(_ x: Double) -> String {
            x >= 1e9 ? String(format: "%.1f GB", x / 1e9) : x >= 1e6 ? String(format: "%.1f MB", x / 1e6) : String(format: "%.1f KB", x / 1e3)
        }
        func h(_ s: Double) -> String { String(format: "%.1f h", s / 3600) }
        var s = "plan for recipe \(recipe): \(candidates) candidates (\(candidateOrigin)); sample of \(sample) articles in the seeded order\n"
        s += "  usable figures in the sample: " + usable.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + "\n"
        s += String(format: "  per article: %.2f figures, %.2f requests, %@; %@ per document, %@ per media file\n",
                    figuresPerArticle, requestsPerArticle, mb(bytesPerArticle), mb(bytesPerDocument), mb(bytesPerFigure))
        if let e = estimate, let need = perClass {
            s += "  to reach \(need) per class (limiting class: \(limitingClass ?? "-")):\n"
            s += "    articles to scan: \(n(e.articles.mid)) (95%: \(n(e.articles.low))–\(n(e.articles.high)))\n"
            s += "    requests:         \(n(e.requests.mid)) (\(n(e.requests.low))–\(n(e.requests.high)))\n"
            s += "    download:         \(mb(e.bytes.mid)) (\(mb(e.bytes.low))–\(mb(e.bytes.high)))\n"
            s += String(format: "    wall time at %.1f requests/s: %@ (%@–%@)\n", e.rate, h(e.seconds.mid), h(e.seconds.low), h(e.seconds.high))
        } else if perClass == nil {
            s += "  the recipe's balance policy sets no per-class target: the scan reads every candidate\n"
        }
        if let short = shortfall {
            s += "  the candidates look too few: by the sample's yield they give " + short.sorted { $0.key < $1.key }.map { "\($0.key) ~\($0.value)" }.joined(separator: ", ")
                + " — the rebuild will exit 1 naming the short classes, or balance down with --allow-short\n"
        }
        return s
    }
}
