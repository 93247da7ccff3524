import Foundation
import PairDxCore

/// Which corpus `pairdx synth` writes.
public enum SynthProfile: String, CaseIterable, Sendable {
    /// The embedded demo corpus: every figure one of the six classes (its bytes are pinned by the committed demo split).
    case demo
    /// PubMed Central-like proportions: most figures are charts, diagrams, blots, photographs and microscopy outside
    /// the six classes, whose captions may name a modality in passing or negate it (`PMCProfile`).
    case pmc
}

/// What a figure of the PMC-like profile shows when it is none of the six classes.
enum OtherKind: String, CaseIterable, Sendable {
    case lineChart = "line-chart", barChart = "bar-chart", diagram, blot = "gel-blot", photograph
    case fluorescence = "fluorescence-microscopy", electron = "electron-microscopy"

    /// Draws one image of this kind. O(w·h).
    func paint(width: Int, height: Int, rng: inout SynthRandom) -> Raster {
        switch self {
        case .lineChart: return OtherPainters.lineChart(width, height, &rng)
        case .barChart: return OtherPainters.barChart(width, height, &rng)
        case .diagram: return OtherPainters.diagram(width, height, &rng)
        case .blot: return OtherPainters.blot(width, height, &rng)
        case .photograph: return OtherPainters.photograph(width, height, &rng)
        case .fluorescence: return OtherPainters.fluorescence(width, height, &rng)
        case .electron: return OtherPainters.electron(width, height, &rng)
        }
    }
}

/// The PMC-like profile: re-draws the true kind of every figure of a planned corpus with PubMed Central-like
/// proportions and writes captions to match; the article structure, sizes, formats, duplicates and hazards of the
/// plan stay as they are.
///
/// Proportions (shares of figures; README "Rebuilding PairDx from PubMed Central" says why): line charts 20%, bar
/// charts 18%, diagrams 15%, gels and blots 6%, photographs 8%, fluorescence microscopy 7%, electron microscopy 4%
/// (78% outside the six classes); CT 5%, MRI 4%, x-ray 4%, ultrasound 3%, histopathology 5%, endoscopy 1% (22%).
/// Captions of figures outside the classes: 88% name no modality, 8% name one in passing ("MRI-guided biopsy",
/// "compared with CT"), 4% negate one ("no abnormality was found on CT"); the modality mentioned is CT 35%, MRI 30%,
/// ultrasound 15%, x-ray 10%, histology 7%, endoscopy 3% (the big cross-sectional modalities are what other
/// figures' captions cite). Figures of the six classes keep the demo's caption kinds.
enum PMCProfile {
    enum Kind: Sendable, Equatable {
        case cls(SynthClass)
        case other(OtherKind)
        var name: String {
            switch self {
            case .cls(let c): return c.rawValue
            case .other(let o): return o.rawValue
            }
        }
    }

    static let shares: [(Kind, Double)] = [
        (.other(.lineChart), 0.20), (.other(.barChart), 0.18), (.other(.diagram), 0.15), (.other(.blot), 0.06),
        (.other(.photograph), 0.08), (.other(.fluorescence), 0.07), (.other(.electron), 0.04),
        (.cls(.ct), 0.05), (.cls(.mri), 0.04), (.cls(.xray), 0.04), (.cls(.ultrasound), 0.03),
        (.cls(.histopathology), 0.05), (.cls(.endoscopy), 0.01),
    ]

    /// How the caption of a figure outside the classes treats the modalities.
    enum Mention: String, Sendable, CaseIterable {
        case none, passing, negated
        static let shares: [(Mention, Double)] = [(.none, 0.88), (.passing, 0.08), (.negated, 0.04)]
    }

    static func mention(seed: UInt64, id: String) -> Mention {
        var r = SynthRandom(seed: seed, domain: "synth.pmc.mention", id: id)
        return Mention.shares[r.weighted(Mention.shares.map(\.1))].0
    }

    /// Re-draws every figure's kind (keyed by seed and item id), keeps the graphics of one figure and every
    /// duplicate on their root's kind, and rewrites the captions. O(figures).
    static func apply(_ plan: inout CorpusPlan) {
        let seed = plan.seed
        for i in plan.figures.indices where plan.figures[i].source == .own {
            var r = SynthRandom(seed: seed, domain: "synth.pmc.kind", id: plan.figures[i].id)
            set(&plan.figures[i], shares[r.weighted(shares.map(\.1))].0)
        }
        for a in plan.articles {
            for e in a.elements {
                if case .fig(_, _, let items, _) = e, items.count > 1 {
                    for it in items.dropFirst() { copyKind(&plan.figures[it], from: plan.figures[items[0]]) }
                }
            }
        }
        for i in plan.figures.indices {
            switch plan.figures[i].source {
            case .own: break
            case .exactCopy(let root), .near(let root, _): copyKind(&plan.figures[i], from: plan.figures[root])
            }
        }
        for i in plan.articles.indices {
            for (e, element) in plan.articles[i].elements.enumerated() {
                switch element {
                case .fig(let id, let label, let items, _):
                    plan.articles[i].elements[e] = .fig(id: id, label: label, items: items, caption: caption(plan.figures[items[0]], seed: seed))
                case .group(let id, let label, let gcap, let children):
                    var out = children
                    for k in children.indices { out[k].caption = caption(plan.figures[children[k].item], seed: seed) }
                    plan.articles[i].elements[e] = .group(id: id, label: label, caption: gcap, children: out)
                }
            }
        }
    }

    private static func set(_ f: inout FigurePlan, _ kind: Kind) {
        switch kind {
        case .cls(let c): f.cls = c; f.other = nil
        case .other(let o): f.other = o
        }
    }

    private static func copyKind(_ f: inout FigurePlan, from root: FigurePlan) {
        f.cls = root.cls; f.other = root.other; f.kind = root.kind
    }

    static func kind(of f: FigurePlan) -> Kind { f.other.map { .other($0) } ?? .cls(f.cls) }

    /// The figure's caption: the demo's writer for the six classes, `OtherCaptions` for the rest.
    static func caption(_ f: FigurePlan, seed: UInt64) -> Caption {
        var r = SynthRandom(seed: seed, domain: "synth.caption", id: f.id)
        guard let other = f.other else { return CaptionWriter.write(kind: f.kind, truth: f.cls, rng: &r) }
        return OtherCaptions.write(other, mention: mention(seed: seed, id: f.id), rng: &r)
    }

    /// Adds each figure's true kind to a truth file (`kind`; `class` is `none` outside the six classes, and
    /// `captionKind` the mention style there).
    static func annotate(_ truth: inout SynthTruth, plan: CorpusPlan) {
        let byID = Dictionary(uniqueKeysWithValues: plan.figures.map { ($0.id, $0) })
        for i in truth.figures.indices {
            guard let f = byID[truth.figures[i].id] else { continue }
            truth.figures[i].kind = kind(of: f).name
            if f.other != nil {
                truth.figures[i].class = "none"
                truth.figures[i].captionKind = mention(seed: plan.seed, id: f.id).rawValue
            }
        }
    }
}

/// Captions of charts, diagrams, blots, photographs and microscopy, with modality terms only as the mention
/// style asks: none at all, in passing, or negated.
enum OtherCaptions {
    static let leads: [OtherKind: [String]] = [
        .lineChart: ["Survival curves of patients with {x} stratified by treatment arm", "Time course of serum {g} levels over {n} weeks",
                     "Receiver operating characteristic curves of the three prediction models", "Dose-response curves of cell viability after {n} h of treatment",
                     "Longitudinal change in body weight in the two groups", "Cumulative incidence of relapse in the {n} enrolled patients"],
        .barChart: ["Mean expression of {g} across {n} cell lines; error bars show the standard deviation",
                    "Proportion of patients with each complication by age group", "Quantification of migrated cells per field (<italic>n</italic> = {n})",
                    "Cytokine concentrations in serum of treated and control mice", "Relative mRNA levels of {g} normalised to GAPDH"],
        .diagram: ["Schematic overview of the study design", "Flowchart of patient selection and exclusion",
                   "Proposed mechanism of {g} signalling in tumour cells", "Workflow of sample processing and analysis",
                   "Structure of the expression construct used for transfection"],
        .blot: ["Western blot of {g} and β-actin in treated and control cells", "Agarose gel electrophoresis of PCR products from {n} isolates",
                "Immunoblot of phosphorylated AKT after stimulation for {n} min", "SDS-PAGE of the purified recombinant protein"],
        .photograph: ["Clinical photograph of the lesion on the {a} at presentation", "Intraoperative view of the surgical field",
                      "Photograph of the excised specimen with a ruler for scale", "Gross appearance of the resected tumour of the {a}"],
        .fluorescence: ["Immunofluorescence staining of {g} (green) and DAPI (blue) in cultured cells", "Confocal images of neurons expressing GFP",
                        "Fluorescence microscopy of bacterial biofilm after {n} h", "Co-localisation of {g} (green) with mitochondria (red)"],
        .electron: ["Transmission electron micrograph of mitochondria in cardiomyocytes", "Scanning electron microscopy of the scaffold surface",
                    "Ultrastructure of viral particles in infected cells", "Negatively stained extracellular vesicles seen by electron microscopy"],
    ]
    static let genes = ["TP53", "EGFR", "VEGF", "IL-6", "TNF-α", "HIF-1α", "PD-L1", "KRAS", "MYC", "STAT3"]

    /// Sentences naming a modality in passing (`{m}` is a class term): a tool, a comparison or a cohort, not the image.
    static let passing = [
        "Samples were obtained by {m}-guided biopsy.", "Values were compared with {m} measurements.",
        "Only patients staged by {m} were included.", "Results agreed with those of {m} in {n} cases.",
        "The cohort had undergone {m} before enrolment.", "Lesion size was measured on {m} at baseline.",
    ]
    /// Sentences negating a modality.
    static let negated = [
        "No abnormality was found on {m}.", "{M} was not performed in this cohort.", "Patients without {m} follow-up were excluded.",
        "No {m} data were available for these samples.", "These changes were not visible on {m}.",
    ]
    /// Which class a passing or negated mention names.
    static let mentioned: [(SynthClass, Double)] = [(.ct, 0.35), (.mri, 0.30), (.ultrasound, 0.15), (.xray, 0.10),
                                                     (.histopathology, 0.07), (.endoscopy, 0.03)]
    /// Everyday terms per class for passing and negated mentions.
    static let terms: [SynthClass: [String]] = [
        .ct: ["CT", "computed tomography"], .mri: ["MRI", "magnetic resonance imaging"], .xray: ["radiography", "x-ray"],
        .ultrasound: ["ultrasound", "Doppler ultrasound"], .histopathology: ["histology", "histopathology"],
        .endoscopy: ["endoscopy", "colonoscopy"],
    ]
    static let tails = [
        "Data are shown as mean ± SD of {n} independent experiments.", "Each dot represents one sample.",
        "Statistical significance was assessed with a two-sided test.", "Representative of {n} replicates.",
        "Colours denote the experimental groups.", "See the Methods section for details of the analysis.",
        "Abbreviations are defined in the main text.", "The experiment was repeated with similar results.",
    ]

    static func write(_ kind: OtherKind, mention: PMCProfile.Mention, rng: inout SynthRandom) -> Caption {
        for _ in 0..<50 {
            let c = attempt(kind, mention: mention, rng: &rng)
            let words = Markup.words(c.plain).count
            let named = ClassTerms.classes(in: c.plain.replacingOccurrences(of: "-guided", with: ""))
            // A caption without a mention names no class; one with a mention names exactly the class it mentions.
            if words >= 10 && words <= 80 && (mention == .none ? named.isEmpty : named.count == 1) { return c }
        }
        preconditionFailure("caption pools cannot produce a \(mention) caption for \(kind)")
    }

    private static func attempt(_ kind: OtherKind, mention: PMCProfile.Mention, rng: inout SynthRandom) -> Caption {
        let anat = rng.pick(Vocabulary.anatomy).0
        func fill(_ t: String, _ m: String = "") -> String {
            var s = t.replacingOccurrences(of: "{g}", with: rng.pick(genes))
                .replacingOccurrences(of: "{x}", with: rng.pick(Vocabulary.diseases))
                .replacingOccurrences(of: "{M}", with: m.prefix(1).uppercased() + m.dropFirst())
            s = CaptionWriter.fill(s, anat: anat, mention: m, rng: &rng)
            return s
        }
        var sentences = [fill(rng.pick(leads[kind]!)) + "."]
        if mention != .none {
            let cls = mentioned[rng.weighted(mentioned.map(\.1))].0
            let term = rng.pick(terms[cls]!)
            sentences.append(fill(rng.pick(mention == .passing ? passing : negated), term))
        }
        var pool = tails
        rng.shuffle(&pool)
        for t in pool.prefix(rng.int(1...3)) { sentences.append(fill(t)) }
        if sentences.count > 1 && rng.chance(0.6) {
            return Caption(title: sentences[0], paragraph: sentences.dropFirst().joined(separator: " "))
        }
        return Caption(title: nil, paragraph: sentences.joined(separator: " "))
    }
}

extension Raster {
    /// Fills an axis-aligned rectangle (clipped to the raster). O(its area).
    mutating func rect(_ x0: Float, _ y0: Float, _ x1: Float, _ y1: Float, color: [Float], opacity: Float = 1) {
        let xa = max(0, Int(min(x0, x1))), xb = min(width - 1, Int(max(x0, x1)))
        let ya = max(0, Int(min(y0, y1))), yb = min(height - 1, Int(max(y0, y1)))
        guard xa <= xb, ya <= yb else { return }
        let col = expand(color), ch = channels, w = width
        data.withUnsafeMutableBufferPointer { p in
            for y in ya...yb {
                for x in xa...xb {
                    let base = (y * w + x) * ch
                    for c in 0..<ch { p[base + c] += (col[c] - p[base + c]) * opacity }
                }
            }
        }
    }
}

/// Procedural charts, diagrams, blots, photographs and micrographs for the PMC-like profile.
enum OtherPainters {
    static let palette: [[Float]] = [[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189], [90, 90, 90]]

    /// White canvas with x and y axes, ticks and text-like dashes; returns the plot box.
    private static func axes(_ r: inout Raster, _ rng: inout SynthRandom) -> (x0: Float, y0: Float, x1: Float, y1: Float) {
        let W = Float(r.width), H = Float(r.height)
        let x0 = W * rng.float(0.1, 0.16), y1 = H * rng.float(0.84, 0.9), x1 = W * 0.95, y0 = H * 0.07
        r.stroke([(x0, y0), (x0, y1), (x1, y1)], thickness: 2, color: [20])
        for k in 0...5 {
            let y = y1 - (y1 - y0) * Float(k) / 5
            r.stroke([(x0 - 6, y), (x0, y)], thickness: 1.5, color: [20])
            r.stroke([(x0 - W * 0.08, y), (x0 - 10, y)], thickness: 5, color: [70], opacity: 0.7, soft: 1)
        }
        r.stroke([(x0 + (x1 - x0) * 0.3, H * 0.96), (x0 + (x1 - x0) * 0.7, H * 0.96)], thickness: 6, color: [70], opacity: 0.7, soft: 1)
        return (x0, y0, x1, y1)
    }

    static func lineChart(_ w: Int, _ h: Int, _ rng: inout SynthRandom) -> Raster {
        var r = Raster(width: w, height: h, channels: 3, fill: 255)
        let b = axes(&r, &rng)
        let series = rng.int(2...4), steps = rng.int(6...24)
        let stepwise = rng.chance(0.35)
        for s in 0..<series {
            var v = rng.float(0.5, 0.95)
            var pts: [(Float, Float)] = []
            for k in 0...steps {
                let x = b.x0 + (b.x1 - b.x0) * Float(k) / Float(steps)
                let y = b.y1 - (b.y1 - b.y0) * v
                if stepwise, let last = pts.last { pts.append((x, last.1)) }
                pts.append((x, y))
                v = max(0.02, min(1, v + (stepwise ? -rng.float(0, 0.08) : rng.float(-0.12, 0.1))))
            }
            let col = palette[s % palette.count]
            r.stroke(pts, thickness: rng.float(1.5, 3), color: col)
            if !stepwise { for p in pts { r.ellipse(cx: p.0, cy: p.1, rx: 3, ry: 3, color: col) } }
            let ly = b.y0 + 14 + Float(s) * 16
            r.stroke([(b.x1 - 90, ly), (b.x1 - 70, ly)], thickness: 3, color: col)
            r.stroke([(b.x1 - 62, ly), (b.x1 - 20, ly)], thickness: 5, color: [70], opacity: 0.7, soft: 1)
        }
        return r
    }

    static func barChart(_ w: Int, _ h: Int, _ rng: inout SynthRandom) -> Raster {
        var r = Raster(width: w, height: h, channels: 3, fill: 255)
        let b = axes(&r, &rng)
        let groups = rng.int(2...6), per = rng.int(1...3)
        let slot = (b.x1 - b.x0) / Float(groups)
        let bw = slot * 0.7 / Float(per)
        for g in 0..<groups {
            for k in 0..<per {
                let v = rng.float(0.15, 0.9)
                let x = b.x0 + slot * Float(g) + slot * 0.15 + bw * Float(k)
                let top = b.y1 - (b.y1 - b.y0) * v
                r.rect(x, top, x + bw * 0.9, b.y1 - 1, color: palette[k % palette.count])
                let err = (b.y1 - b.y0) * rng.float(0.02, 0.08), cx = x + bw * 0.45
                r.stroke([(cx, top - err), (cx, top + err)], thickness: 1.5, color: [20])
                r.stroke([(cx - bw * 0.2, top - err), (cx + bw * 0.2, top - err)], thickness: 1.5, color: [20])
            }
        }
        return r
    }

    static func diagram(_ w: Int, _ h: Int, _ rng: inout SynthRandom) -> Raster {
        var r = Raster(width: w, height: h, channels: 3, fill: 255)
        let W = Float(w), H = Float(h)
        let rows = rng.int(2...4), cols = rng.int(1...3)
        var centres: [(Float, Float)] = []
        let fill = palette[rng.int(0...4)].map { 255 - (255 - $0) * 0.3 }
        for i in 0..<rows {
            for j in 0..<cols {
                let cx = W * (Float(j) + 0.5) / Float(cols), cy = H * (Float(i) + 0.5) / Float(rows)
                let bw = W / Float(cols) * rng.float(0.5, 0.75), bh = H / Float(rows) * rng.float(0.35, 0.55)
                r.rect(cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2, color: fill)
                r.stroke([(cx - bw / 2, cy - bh / 2), (cx + bw / 2, cy - bh / 2), (cx + bw / 2, cy + bh / 2), (cx - bw / 2, cy + bh / 2),
                          (cx - bw / 2, cy - bh / 2)], thickness: 2, color: [30])
                for l in 0..<rng.int(1...2) {
                    let y = cy - 6 + Float(l) * 12
                    r.stroke([(cx - bw * 0.35, y), (cx - bw * 0.35 + bw * rng.float(0.3, 0.7), y)], thickness: 5, color: [50], opacity: 0.75, soft: 1)
                }
                centres.append((cx, cy + bh / 2))
            }
        }
        for i in 0..<(centres.count - 1) where rng.chance(0.8) {
            let a = centres[i], b = centres[i + 1]
            let end = (b.0, b.1 - H / Float(rows) * 0.5)
            r.stroke([a, end], thickness: 2, color: [30])
            r.stroke([(end.0 - 6, end.1 - 8), end, (end.0 + 6, end.1 - 8)], thickness: 2, color: [30])
        }
        return r
    }

    static func blot(_ w: Int, _ h: Int, _ rng: inout SynthRandom) -> Raster {
        let background = rng.float(200, 235)
        var r = Raster(width: w, height: h, channels: 1, fill: background)
        let lanes = rng.int(4...12), rows = rng.int(1...4)
        let W = Float(w), H = Float(h)
        for row in 0..<rows {
            let y = H * (Float(row) + 0.5) / Float(rows) + rng.float(-4, 4)
            for l in 0..<lanes {
                let x = W * (Float(l) + 0.5) / Float(lanes)
                let strength = rng.float(0.1, 1)
                r.ellipse(cx: x, cy: y, rx: W / Float(lanes) * 0.38, ry: H / Float(rows) * rng.float(0.05, 0.12),
                          color: [background * (1 - 0.85 * strength)], soft: 4)
            }
        }
        r.boxBlur(radius: 1)
        r.addNoise(sigma: 4, rng: &rng)
        return r
    }

    static func photograph(_ w: Int, _ h: Int, _ rng: inout SynthRandom) -> Raster {
        var r = Raster(width: w, height: h, channels: 3)
        let skin: [Float] = [rng.float(170, 230), rng.float(120, 170), rng.float(95, 140)]
        let drape: [Float] = [rng.float(40, 90), rng.float(110, 160), rng.float(120, 170)]
        let base = rng.chance(0.5) ? skin : drape
        for i in 0..<(w * h) { for c in 0..<3 { r.data[3 * i + c] = base[c] } }
        let tex = Texture.fractal(width: w, height: h, cell: r.minSide * rng.float(0.1, 0.3), octaves: 3, rng: &rng)
        r.modulate(by: tex, amount: 0.35)
        let W = Float(w), H = Float(h)
        r.ellipse(cx: W * rng.float(0.3, 0.7), cy: H * rng.float(0.3, 0.7), rx: W * rng.float(0.1, 0.3), ry: H * rng.float(0.1, 0.3),
                  angle: rng.float(0, 3), color: [rng.float(120, 200), rng.float(50, 110), rng.float(50, 100)], opacity: 0.85, soft: 8)
        if rng.chance(0.5) {   // a ruler
            let y = H * 0.9
            r.rect(W * 0.05, y - 10, W * 0.6, y + 10, color: [235, 235, 225])
            for k in 0..<20 { let x = W * 0.05 + Float(k) * W * 0.0275; r.stroke([(x, y - 10), (x, y - (k % 5 == 0 ? 0 : 4))], thickness: 1, color: [20]) }
        }
        r.addNoise(sigma: 3, rng: &rng, perChannel: true)
        return r
    }

    static func fluorescence(_ w: Int, _ h: Int, _ rng: inout SynthRandom) -> Raster {
        var r = Raster(width: w, height: h, channels: 3, fill: 4)
        let W = Float(w), H = Float(h)
        let green: [Float] = rng.chance(0.5) ? [30, 220, 60] : [230, 40, 40]
        for _ in 0..<rng.int(15...60) {
            let x = rng.float(0, W), y = rng.float(0, H), s = r.minSide * rng.float(0.02, 0.05)
            r.ellipse(cx: x, cy: y, rx: s * rng.float(1.5, 3), ry: s * rng.float(1.2, 2.5), angle: rng.float(0, 3), color: green.map { $0 * 0.5 },
                      soft: s, blend: .add)
            r.ellipse(cx: x, cy: y, rx: s, ry: s * rng.float(0.7, 1), angle: rng.float(0, 3), color: [20, 40, 210], soft: 2, blend: .add)
        }
        r.boxBlur(radius: 1)
        r.addNoise(sigma: 3, rng: &rng, perChannel: true)
        return r
    }

    static func electron(_ w: Int, _ h: Int, _ rng: inout SynthRandom) -> Raster {
        var r = Raster(width: w, height: h, channels: 1, fill: rng.float(120, 170))
        let tex = Texture.fractal(width: w, height: h, cell: r.minSide * 0.05, octaves: 4, rng: &rng)
        r.modulate(by: tex, amount: 0.4)
        let W = Float(w), H = Float(h)
        for _ in 0..<rng.int(4...14) {
            let cx = rng.float(0, W), cy = rng.float(0, H), rx = r.minSide * rng.float(0.04, 0.14), ry = rx * rng.float(0.4, 0.9)
            let a = rng.float(0, 3)
            r.ellipse(cx: cx, cy: cy, rx: rx, ry: ry, angle: a, color: [rng.float(60, 110)], soft: 2)
            r.ellipse(cx: cx, cy: cy, rx: rx * 0.85, ry: ry * 0.8, angle: a, color: [rng.float(150, 200)], opacity: 0.8, soft: 2)
            for k in 0..<rng.int(2...5) {   // cristae
                let t = Float(k) * 0.4 - 0.8
                r.stroke([(cx + cosf(a) * rx * t - sinf(a) * ry * 0.6, cy + sinf(a) * rx * t + cosf(a) * ry * 0.6),
                          (cx + cosf(a) * rx * t + sinf(a) * ry * 0.6, cy + sinf(a) * rx * t - cosf(a) * ry * 0.6)],
                         thickness: 1.5, color: [70], opacity: 0.8)
            }
        }
        r.rect(W * 0.75, H * 0.93, W * 0.93, H * 0.95, color: [0])   // scale bar
        r.addNoise(sigma: 7, rng: &rng)
        return r
    }
}
