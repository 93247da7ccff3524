import Foundation
import Ingest
import PairDxCore

extension RebuildPlan {
    /// The labelled figures of the limiting class that put the estimate of the articles to scan within ±`precision`
    /// at 95%: the class's labelled figures X among the sample's F figures are binomial, X's relative standard error is
    /// √((1 − p)/X) ≤ 1/√X, so 1.96/√X ≤ 0.2 gives X ≥ (1.96/0.2)² = 96.04, hence 97; the articles to scan are the
    /// need over the yield, so their relative error is X's.
    public static let precision = 0.2
    public static let z95 = 1.96
    public static var binomialCount: Int { Int(((z95 / precision) * (z95 / precision)).rounded(.up)) }

    /// Samples, measures and estimates; writes `plan.json` into the work directory.
    ///
    /// The sample is the shortest prefix of the seeded order (grown in steps from the scan's first batch) in which
    /// every class has `count` caption-labelled figures — `binomialCount`, or the need when that is smaller (a sample
    /// holding that many is about as long as the scan itself, which measures the rest) — bounded by `maxSample`
    /// articles. Growing costs metadata and JATS only; the media the cap selects are then fetched, hashed,
    /// deduplicated and labelled over the final prefix, as the scan does.
    ///
    /// Method, per class c with need N: Xc labelled figures in the sample's n articles; sc, the share
    /// of c's selected media that came out usable; yield yc = Xc·sc/n usable figures per article; articles to scan
    /// Ac = N/yc. The limiting (slowest) class is the one with the largest Ac, and it alone sets the articles, requests,
    /// bytes and time. The 95% interval is Ac·exp(∓1.96·r), r being the relative standard error of yc
    /// (`relativeError`): the spread of the class's labelled figures over the sample's articles, so figures that come
    /// several to an article widen it, and the binomial error of sc. Its width follows Xc, so a sample the bound stopped
    /// short of `count` gets a wider interval. When the sample already fills every class, the scan's prefix is at most
    /// n: the estimate and its upper end are capped there.
    public static func make(
        scan: CaptionFirstScan, candidates: [Candidate], origin: CandidateOrigin, maxSample: Int,
        rate: Double, discovery: String? = nil
    ) async throws -> RebuildPlan {
        let order = CaptionFirstScan.order(candidates, seed: scan.recipe.seed)
        let classes = scan.recipe.classes.map(\.name)
        let need = scan.recipe.balance.policy == .target ? scan.recipe.balance.perClass : nil
        let count = need.map { min(binomialCount, $0) } ?? 0
        let bound = min(max(1, maxSample), order.count)
        let fetcher = try scan.makeFetcher()
        var k = min(max(1, scan.firstBatch), bound)
        var captions: CaptionFirstScan.Captions
        var queues: [String: [String]]
        var stop: SampleStop
        while true {
            captions = try await scan.captions(Array(order.prefix(k)), fetcher: fetcher)
            queues = MediaCap(figures: captions.figures, position: [:], recipe: scan.recipe).queues
            let labelled = queues.mapValues(\.count)
            let rarest = classes.map { labelled[$0] ?? 0 }.min() ?? 0
            if rarest >= count { stop = .count; break }
            if k >= bound { stop = k >= order.count ? .candidates : .bound; break }
            // Enough articles for the rarest class to reach the count at its rate so far (a step that falls short is
            // followed by another, which costs no request for the articles already read); at least a quarter more, at
            // most four times as many (a class not seen yet quadruples the sample).
            let want = rarest > 0 ? Double(k) * Double(count) / Double(rarest) : Double(4 * k)
            k = min(bound, max(k + max(1, k / 4), min(4 * k, Int(want.rounded(.up)))))
            Log.info("[plan] rarest class has \(rarest) of \(count) labelled figures: sampling \(k) articles")
        }
        var reuse: [String: ImageRecord] = [:]
        let probe = try await scan.media(captions, fetcher: fetcher, reuse: &reuse)
        let prefix = captions.prefix
        let labelled = queues.mapValues(\.count)
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
            guard let need else { return Double(media.n) / n * a }
            return probe.queued.reduce(0.0) { total, q in
                let asked = Double(probe.allowance[q.key] ?? q.value), have = Double(probe.usable[q.key] ?? 0)
                let perUsable = have > 0 ? max(1, asked / have) : 1 + MediaCap.floor
                return total + min(Double(q.value) * a / n, (Double(need) * perUsable).rounded(.up))
            }
        }
        // Per class, the share of its selected media that came out usable.
        let survival = Dictionary(
            uniqueKeysWithValues: classes.map { c -> (String, Double) in
                let asked = probe.allowance[c] ?? 0
                return (c, asked > 0 ? min(1, Double(probe.usable[c] ?? 0) / Double(asked)) : 1)
            })
        var plan = RebuildPlan(
            recipe: scan.recipe.name, candidateOrigin: origin.rawValue, candidates: order.count, sample: prefix.count,
            perClass: need, usable: probe.usable, figuresPerArticle: Double(probe.figures) / n,
            requestsPerArticle: requestsPerArticle, bytesPerArticle: bytesPerArticle,
            bytesPerDocument: docs.n > 0 ? Double(docs.bytes) / Double(docs.n) : 0,
            bytesPerFigure: bytesPerFigure)
        plan.discovery = discovery
        plan.maxSample = maxSample
        plan.minimumCount = count
        plan.sampleStop = stop
        plan.sampleFigures = captions.figures.count
        plan.labelled = Dictionary(uniqueKeysWithValues: classes.map { ($0, labelled[$0] ?? 0) })
        plan.survival = survival
        if let need {
            let full = classes.allSatisfy { (probe.usable[$0] ?? 0) >= need }
            // The slowest class: the fewest usable figures per article (ties: recipe order).
            var worst: (cls: String, yield: Double, x: Double, s: Double)? = nil
            for c in classes {
                let x = Double(labelled[c] ?? 0), s = survival[c] ?? 1
                if worst == nil || x * s < worst!.yield { worst = (c, x * s, x, s) }
            }
            if let limiting = worst {
                let (cls, x, s) = (limiting.cls, limiting.x, limiting.s)
                // The limiting class's labelled figures in each article of the sample (zeros included).
                let article = Dictionary(captions.figures.map { ($0.id, $0.pmcid) }, uniquingKeysWith: { a, _ in a })
                var perArticle: [String: Int] = [:]
                for id in queues[cls] ?? [] { perArticle[article[id] ?? "", default: 0] += 1 }
                let r = relativeError(
                    counts: prefix.map { perArticle[$0.pmcid] ?? 0 }, usable: probe.usable[cls] ?? 0,
                    asked: probe.allowance[cls] ?? 0)
                let mid = x > 0 && s > 0 ? Double(need) * n / (x * s) : .infinity
                var w = (mid: mid, low: mid * exp(-z95 * r), high: mid * exp(z95 * r))
                if full { (w.mid, w.high) = (min(w.mid, n), min(w.high, n)); w.low = min(w.low, w.mid) }
                plan.limitingClass = cls
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
                    // What the whole candidate list gives at each class's yield.
                    plan.shortfall = Dictionary(
                        uniqueKeysWithValues: classes.map { c in
                            let y = Double(labelled[c] ?? 0) * (survival[c] ?? 1) / n
                            return (c, Int((y * total).rounded(.down)))
                        })
                }
            }
        }
        try AtomicFile.write(try CanonicalJSON.encode(plan, pretty: true), to: work.path("plan.json"))
        return plan
    }

    /// The relative standard error of a class's usable figures per article, (X/n)·s, from its two factors taken as
    /// independent. X/n is a mean over articles, the unit the scan samples: its error comes from the spread of
    /// `counts` (the class's labelled figures in each of the n articles, zeros included), so figures that come several
    /// to an article widen it. s = `usable`/`asked` is binomial over the media selected: relative variance
    /// (1 − s)/(s·asked), 0 when nothing was selected or nothing lost. With at most one labelled figure per article
    /// and no loss it is √((1 − X/n)/X) ≤ 1/√X, the binomial error `binomialCount` comes from. Infinite when
    /// X = 0, n < 2 or s = 0. O(n).
    static func relativeError(counts: [Int], usable: Int, asked: Int) -> Double {
        let n = Double(counts.count), total = Double(counts.reduce(0, +))
        let s = asked > 0 ? min(1, Double(usable) / Double(asked)) : 1
        guard n > 1, total > 0, s > 0 else { return .infinity }
        let mean = total / n
        let spread = counts.reduce(0.0) { sum, c in sum + (Double(c) - mean) * (Double(c) - mean) } / (n - 1)
        let labelled = spread / n / (mean * mean)
        let survival = asked > 0 ? (1 - s) / (s * Double(asked)) : 0
        return (labelled + survival).squareRoot()
    }
}

extension Rebuild {
    /// What a discovery asks for, as a sha256: the origin, the source, and the query and its endpoint or the id
    /// file's bytes. A plan records it (`RebuildPlan.discovery`) beside the list it found.
    func discoveryKey(_ origin: CandidateOrigin, source: String, recipe: Recipe) throws -> String {
        var words = [origin.rawValue, source]
        switch origin {
        case .query:
            words += [
                Discoverer.esearchEndpoint(explicit: options.esearch, source: options.source),
                recipe.sources.compactMap(\.query).first ?? ""
            ]
        case .ids: words.append(try options.ids.map { try SHA256.hex(fileAt: $0) } ?? "")
        case .listing, .auto: break
        }
        return SHA256.hex(words.joined(separator: "\n"))
    }

    /// The candidates the plan in this work directory discovered (`scan-candidates.jsonl`), when it asked for the
    /// same discovery as this rebuild: the rebuild scans the list the plan measured and lists nothing again. nil:
    /// discover.
    func plannedCandidates(source: String, recipe: Recipe) throws -> (CandidateOrigin, [Candidate])? {
        let work = options.work
        let path = work.path(ShardedScan.candidatesFile)
        guard FileSystem.exists(path), FileSystem.exists(work.path("plan.json")),
            let plan = try? CanonicalJSON.decode(
                RebuildPlan.self, from: FileSystem.read(work.path("plan.json")), source: "plan.json"),
            let recorded = plan.discovery
        else { return nil }
        let origin = try Rebuild.origin(options.candidates, ids: options.ids, recipe: recipe)
        guard recorded == (try discoveryKey(origin, source: source, recipe: recipe)) else { return nil }
        let candidates = try JSONL.read(Candidate.self, from: path)
        guard Discoverer.dedupe(candidates).count == plan.candidates else { return nil }
        Log.info(
            "[discover] \(candidates.count) candidates as the plan in \(work.root) found them (\(ShardedScan.candidatesFile)): not discovered again"
        )
        return (origin, candidates)
    }
}
