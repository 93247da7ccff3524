import Foundation
import PairDxCore

/// The whole corpus, decided before any pixel is drawn. Building it is sequential and cheap (O(figures));
/// every later step (drawing, encoding, writing) is a pure function of it, so it parallelises freely.
struct CorpusPlan: Sendable {
    var seed: UInt64
    var articles: [ArticlePlan]
    var figures: [FigurePlan]
    /// Articles that also have an older version 1 folder.
    var multiVersion: Set<Int>
    var noFigures: Int

    static let minimumFigures = 30

    /// Plans a corpus of exactly `figureCount` figure items. O(figureCount).
    static func make(seed: UInt64, figureCount n: Int) -> CorpusPlan {
        precondition(n >= minimumFigures)
        var rng = SynthRandom(seed: seed, domain: "synth.plan", id: "corpus")
        let articleCount = max(12, Int((Double(n) / 4).rounded()))
        // Special articles, on distinct indices.
        var order = Array(0..<articleCount)
        rng.shuffle(&order)
        var cursor = 0
        func take(_ k: Int) -> [Int] { defer { cursor += k }; return Array(order[cursor..<(cursor + k)]) }
        let noFigures = take(1)[0]
        let retracted = Set(take(max(1, articleCount / 60)))
        let notOA = Set(take(max(1, articleCount / 60)))
        let entity = take(1)[0]
        let multi = Set(take(max(1, articleCount / 150)))
        let special = retracted.union(notOA).union([entity, noFigures])

        // Figures per article: random weights, largest-remainder quotas, at least one each.
        var quota = [Int](repeating: 0, count: articleCount)
        let weights = (0..<articleCount).map { $0 == noFigures ? 0 : rng.uniform(0.25, 1.75) }
        let spare = n - (articleCount - 1)
        let total = weights.reduce(0, +)
        var fractions: [(Double, Int)] = []
        var assigned = 0
        for i in 0..<articleCount where i != noFigures {
            let exact = Double(spare) * weights[i] / total
            quota[i] = 1 + Int(exact)
            assigned += Int(exact)
            fractions.append((exact - Double(Int(exact)), i))
        }
        fractions.sort { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }
        for k in 0..<(spare - assigned) { quota[fractions[k % fractions.count].1] += 1 }

        // Article metadata.
        let base = 1_000_000 + Int(rng.next() % 8_000_000)
        var number = base
        var articles: [ArticlePlan] = []
        for i in 0..<articleCount {
            number += 1 + Int(rng.next() % 40)
            var arng = SynthRandom(seed: seed, domain: "synth.article", id: String(number))
            let journal = arng.pick(journals)
            let year = arng.int(2012...2025)
            let licenses = [
                "CC BY", "CC BY", "CC BY", "CC BY", "CC BY-NC", "CC BY-NC", "CC BY-NC-ND", "CC0", "CC BY-NC-SA",
                "CC BY-ND"
            ]
            let oa = !notOA.contains(i)
            var a = ArticlePlan(
                index: i, pmcid: "PMC\(number)", number: number, version: multi.contains(i) ? 2 : 1,
                license: oa ? arng.pick(licenses) : "NO-CC CODE", openAccess: oa, retracted: retracted.contains(i),
                externalEntity: i == entity,
                pmid: arng.chance(0.85) ? String(20_000_000 + arng.int(0...19_999_999)) : nil,
                doi: nil, title: title(&arng), journal: journal.name,
                mediaPrefix: "\(journal.abbrev)-\(year)-\(String(number % 100_000).leftPad(5))", year: year)
            a.doi = arng.chance(0.95) ? "10.\(journal.doiPrefix)/\(journal.abbrev).\(year).\(number % 1_000_000)" : nil
            a.table = arng.chance(0.12)
            a.formula = arng.chance(0.06)
            articles.append(a)
        }
        let ordinary = (0..<articleCount).filter { !special.contains($0) }
        if !articles.contains(where: \.table) { articles[ordinary[0]].table = true }
        if !articles.contains(where: \.formula) { articles[ordinary[ordinary.count > 1 ? 1 : 0]].formula = true }

        // Figures: element structure per article, then each item's own attributes.
        var figures: [FigurePlan] = []
        var groupPending = true, multiPending = true, noLabelPending = true
        for i in 0..<articleCount {
            var left = quota[i]
            var figNo = 0
            var arng = SynthRandom(seed: seed, domain: "synth.structure", id: articles[i].pmcid)
            let style = arng.chance(0.5) ? "F" : "fig"
            let labelWord = arng.chance(0.7) ? "Figure" : "Fig."
            var elements: [FigureElement] = []
            while left > 0 {
                figNo += 1
                let fid = "\(style)\(figNo)"
                let canGroup = left >= 2 && !special.contains(i)
                if canGroup && (arng.chance(0.05) || (groupPending && left >= 3)) {
                    groupPending = false
                    let k = min(left, arng.int(2...3))
                    var children: [(id: String, label: String, item: Int, caption: Caption)] = []
                    for c in 0..<k {
                        let letter = String(UnicodeScalar(UInt8(65 + c)))
                        let item = newFigure(
                            &figures, seed: seed, article: articles[i],
                            id: ItemID.make(pmcid: articles[i].pmcid, figure: fid + letter, graphic: nil, of: 1))
                        figures[item].inGroup = true
                        children.append((fid + letter, "(\(letter))", item, Caption(title: nil, paragraph: "")))
                    }
                    let gcap = Caption(title: nil, paragraph: groupCaption(&arng))
                    elements.append(.group(id: fid, label: "\(labelWord) \(figNo)", caption: gcap, children: children))
                    left -= k
                } else if canGroup && (arng.chance(0.02) || multiPending) {
                    multiPending = false
                    let first = newFigure(
                        &figures, seed: seed, article: articles[i],
                        id: ItemID.make(pmcid: articles[i].pmcid, figure: fid, graphic: 1, of: 2))
                    let second = newFigure(
                        &figures, seed: seed, article: articles[i],
                        id: ItemID.make(pmcid: articles[i].pmcid, figure: fid, graphic: 2, of: 2))
                    // Graphics of one figure share its class and caption.
                    figures[second].cls = figures[first].cls
                    figures[second].kind = figures[first].kind
                    elements.append(
                        .fig(
                            id: fid, label: "\(labelWord) \(figNo)", items: [first, second],
                            caption: Caption(title: nil, paragraph: "")))
                    left -= 2
                } else {
                    let item = newFigure(
                        &figures, seed: seed, article: articles[i],
                        id: ItemID.make(pmcid: articles[i].pmcid, figure: fid, graphic: nil, of: 1))
                    let unlabelled = !special.contains(i) && (arng.chance(0.05) || (noLabelPending && figNo > 1))
                    if unlabelled { noLabelPending = false }
                    elements.append(
                        .fig(
                            id: fid, label: unlabelled ? nil : "\(labelWord) \(figNo)", items: [item],
                            caption: Caption(title: nil, paragraph: "")))
                    left -= 1
                }
            }
            articles[i].elements = elements
            articles[i].itemCount = quota[i]
        }

        // Hazards and duplicates on single-graphic, ungrouped figures of ordinary articles.
        var pool: [Int] = []
        for i in ordinary where !multi.contains(i) {
            for e in articles[i].elements {
                if case .fig(_, _, let items, _) = e, items.count == 1 { pool.append(items[0]) }
            }
        }
        rng.shuffle(&pool)
        var p = 0
        func next() -> Int? { guard p < pool.count else { return nil }; defer { p += 1 }; return pool[p] }
        let counts: [(MediaHazard, Int)] = [
            (.corrupt, max(1, n / 300)), (.truncated, max(1, n / 300)), (.nonImage, max(1, n / 2000)),
            (.missing, max(1, n / 2000)), (.unsupported, max(1, n / 2000))
        ]
        for (hz, k) in counts {
            for _ in 0..<k {
                guard let f = next() else { break }
                figures[f].hazard = hz
                switch hz {
                case .corrupt: figures[f].format = .png
                case .nonImage: figures[f].format = .html
                case .unsupported: figures[f].format = .tiff
                case .missing: figures[f].format = .jpeg
                case .truncated: break
                }
            }
        }
        // Exact duplicates: a root and one or two copies in other articles.
        for _ in 0..<max(1, n / 70) {
            guard let root = next() else { break }
            let copies = rng.chance(0.2) ? 2 : 1
            var used: Set<Int> = [figures[root].article]
            for _ in 0..<copies {
                guard let idx = (p..<pool.count).first(where: { !used.contains(figures[pool[$0]].article) }) else {
                    break
                }
                pool.swapAt(p, idx)
                let c = next()!
                used.insert(figures[c].article)
                figures[c].source = .exactCopy(of: root)
                figures[c].cls = figures[root].cls
                figures[c].hard = figures[root].hard
                figures[c].width = figures[root].width; figures[c].height = figures[root].height
                figures[c].format = figures[root].format; figures[c].quality = figures[root].quality
                figures[c].progressive = figures[root].progressive; figures[c].grayAsRGB = figures[root].grayAsRGB
            }
        }
        for how in NearHow.allCases {
            for _ in 0..<max(1, n / 150) {
                guard let root = next(), let v = next() else { break }
                // Roots of near duplicates are at least 320 px on the short side, so variants stay ≥ 256.
                let short = min(figures[root].width, figures[root].height)
                if short < 320 {
                    figures[root].width = figures[root].width * 320 / short
                    figures[root].height = figures[root].height * 320 / short
                }
                figures[v].source = .near(of: root, how: how)
                figures[v].cls = figures[root].cls
                figures[v].hard = figures[root].hard
                figures[v].grayAsRGB = figures[root].grayAsRGB
                var vr = SynthRandom(seed: seed, domain: "synth.near", id: figures[v].id)
                let rw = figures[root].width, rh = figures[root].height
                switch how {
                case .rescaled:
                    let s =
                        min(rw, rh) >= 430
                        ? vr.uniform(0.6, 0.8) : min(vr.uniform(1.25, 1.5), 1024 / Double(max(rw, rh)))
                    figures[v].width = Int(Double(rw) * s); figures[v].height = Int(Double(rh) * s)
                    figures[v].format = figures[root].format
                case .requality:
                    figures[v].width = rw; figures[v].height = rh
                    figures[v].format = .jpeg
                    let q = figures[root].format == .jpeg ? figures[root].quality : 95
                    figures[v].quality = q >= 80 ? q - vr.int(15...25) : q + vr.int(10...20)
                case .cropped, .panel:
                    figures[v].width = rw; figures[v].height = rh  // crop box chosen when drawing
                    figures[v].format = figures[root].format
                }
            }
        }

        // Captions (after classes are final), hrefs and media names.
        for i in 0..<articleCount {
            var graphicNo = 0
            for (e, element) in articles[i].elements.enumerated() {
                switch element {
                case .fig(let id, let label, let items, _):
                    let f0 = figures[items[0]]
                    var crng = SynthRandom(seed: seed, domain: "synth.caption", id: f0.id)
                    let cap = CaptionWriter.write(kind: f0.kind, truth: f0.cls, rng: &crng)
                    articles[i].elements[e] = .fig(id: id, label: label, items: items, caption: cap)
                    for it in items {
                        graphicNo += 1; name(&figures[it], prefix: articles[i].mediaPrefix, graphic: graphicNo)
                    }
                case .group(let id, let label, let gcap, let children):
                    var out = children
                    for (k, ch) in children.enumerated() {
                        let f = figures[ch.item]
                        var crng = SynthRandom(seed: seed, domain: "synth.caption", id: f.id)
                        out[k].caption = CaptionWriter.write(kind: f.kind, truth: f.cls, rng: &crng)
                        graphicNo += 1
                        name(&figures[ch.item], prefix: articles[i].mediaPrefix, graphic: graphicNo)
                    }
                    articles[i].elements[e] = .group(id: id, label: label, caption: gcap, children: out)
                }
            }
        }
        return CorpusPlan(seed: seed, articles: articles, figures: figures, multiVersion: multi, noFigures: noFigures)
    }

    private static func name(_ f: inout FigurePlan, prefix: String, graphic: Int) {
        f.href = "\(prefix).g\(String(graphic).leftPad(3))"
        f.media = f.href + "." + f.format.fileExtension
    }

    /// Appends a figure with attributes drawn from its own generator; returns its index.
    private static func newFigure(_ figures: inout [FigurePlan], seed: UInt64, article: ArticlePlan, id: String) -> Int
    {
        var r = SynthRandom(seed: seed, domain: "synth.figure", id: id)
        let cls = SynthClass.allCases[r.int(0...5)]
        let kind = CaptionKind.draw(&r)
        var hard: [Hardening] = []
        if r.chance(0.2) {
            hard.append(r.pick(Hardening.allCases))
            // Two different treatments: one alone leaves most hard figures easy to recognise.
            let second = r.pick(Hardening.allCases.filter { $0 != hard[0] })
            hard.append(second)
        }
        // Long side skewed towards small sizes; short side from the modality's aspect ratio.
        let long = 300 + Int(724 * pow(r.unit(), 2.2))
        let aspect = r.uniform(cls.aspect.lowerBound, cls.aspect.upperBound)
        let w: Int, h: Int
        if aspect >= 1 {
            w = long; h = max(256, Int(Double(long) / aspect))
        } else {
            h = long; w = max(256, Int(Double(long) * aspect))
        }
        let png = r.chance(cls.isColor ? 0.12 : 0.4)
        let fig = FigurePlan(
            index: figures.count, article: article.index, id: id, cls: cls, kind: kind, hard: hard,
            width: w, height: h, format: png ? .png : .jpeg, quality: r.int(70...95),
            progressive: r.chance(0.15), grayAsRGB: !cls.isColor && r.chance(0.25))
        figures.append(fig)
        return fig.index
    }

    private static func groupCaption(_ r: inout SynthRandom) -> String {
        r.pick([
            "Representative cases from the cohort.", "Imaging and pathology findings of the index case.",
            "Examples of typical and atypical presentations.", "Findings at baseline and at follow-up."
        ])
    }

    private static func title(_ r: inout SynthRandom) -> String {
        let disease = r.pick(Vocabulary.diseases)
        let anat = r.pick(Vocabulary.anatomy).0
        var t = r.pick(Vocabulary.titleTemplates)
        t = t.replacingOccurrences(of: "{x}", with: disease)
            .replacingOccurrences(of: "{X}", with: disease.prefix(1).uppercased() + disease.dropFirst())
            .replacingOccurrences(of: "{a}", with: anat)
            .replacingOccurrences(of: "{n}", with: String(r.int(3...40)))
        return t
    }

    struct Journal: Sendable { let name: String; let abbrev: String; let doiPrefix: Int }
    static let journals = [
        Journal(name: "Journal of Clinical Imaging Cases", abbrev: "jcic", doiPrefix: 5555),
        Journal(name: "Open Radiology Reports", abbrev: "orr", doiPrefix: 5556),
        Journal(name: "Annals of Diagnostic Pathology Open", abbrev: "adpo", doiPrefix: 5557),
        Journal(name: "Gastrointestinal Endoscopy Case Reports", abbrev: "gecr", doiPrefix: 5558),
        Journal(name: "Medical Imaging Letters", abbrev: "mil", doiPrefix: 5559)
    ]
}

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
