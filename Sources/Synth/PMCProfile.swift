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
        (.cls(.histopathology), 0.05), (.cls(.endoscopy), 0.01)
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
                    plan.articles[i].elements[e] = .fig(
                        id: id, label: label, items: items, caption: caption(plan.figures[items[0]], seed: seed))
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
        .lineChart: [
            "Survival curves of patients with {x} stratified by treatment arm",
            "Time course of serum {g} levels over {n} weeks",
            "Receiver operating characteristic curves of the three prediction models",
            "Dose-response curves of cell viability after {n} h of treatment",
            "Longitudinal change in body weight in the two groups",
            "Cumulative incidence of relapse in the {n} enrolled patients"
        ],
        .barChart: [
            "Mean expression of {g} across {n} cell lines; error bars show the standard deviation",
            "Proportion of patients with each complication by age group",
            "Quantification of migrated cells per field (<italic>n</italic> = {n})",
            "Cytokine concentrations in serum of treated and control mice",
            "Relative mRNA levels of {g} normalised to GAPDH"
        ],
        .diagram: [
            "Schematic overview of the study design", "Flowchart of patient selection and exclusion",
            "Proposed mechanism of {g} signalling in tumour cells", "Workflow of sample processing and analysis",
            "Structure of the expression construct used for transfection"
        ],
        .blot: [
            "Western blot of {g} and β-actin in treated and control cells",
            "Agarose gel electrophoresis of PCR products from {n} isolates",
            "Immunoblot of phosphorylated AKT after stimulation for {n} min",
            "SDS-PAGE of the purified recombinant protein"
        ],
        .photograph: [
            "Clinical photograph of the lesion on the {a} at presentation", "Intraoperative view of the surgical field",
            "Photograph of the excised specimen with a ruler for scale",
            "Gross appearance of the resected tumour of the {a}"
        ],
        .fluorescence: [
            "Immunofluorescence staining of {g} (green) and DAPI (blue) in cultured cells",
            "Confocal images of neurons expressing GFP",
            "Fluorescence microscopy of bacterial biofilm after {n} h",
            "Co-localisation of {g} (green) with mitochondria (red)"
        ],
        .electron: [
            "Transmission electron micrograph of mitochondria in cardiomyocytes",
            "Scanning electron microscopy of the scaffold surface",
            "Ultrastructure of viral particles in infected cells",
            "Negatively stained extracellular vesicles seen by electron microscopy"
        ]
    ]
    static let genes = ["TP53", "EGFR", "VEGF", "IL-6", "TNF-α", "HIF-1α", "PD-L1", "KRAS", "MYC", "STAT3"]

    /// Sentences naming a modality in passing (`{m}` is a class term): a tool, a comparison or a cohort, not the image.
    static let passing = [
        "Samples were obtained by {m}-guided biopsy.", "Values were compared with {m} measurements.",
        "Only patients staged by {m} were included.", "Results agreed with those of {m} in {n} cases.",
        "The cohort had undergone {m} before enrolment.", "Lesion size was measured on {m} at baseline."
    ]
    /// Sentences negating a modality.
    static let negated = [
        "No abnormality was found on {m}.", "{M} was not performed in this cohort.",
        "Patients without {m} follow-up were excluded.",
        "No {m} data were available for these samples.", "These changes were not visible on {m}."
    ]
    /// Which class a passing or negated mention names.
    static let mentioned: [(SynthClass, Double)] = [
        (.ct, 0.35), (.mri, 0.30), (.ultrasound, 0.15), (.xray, 0.10),
        (.histopathology, 0.07), (.endoscopy, 0.03)
    ]
    /// Everyday terms per class for passing and negated mentions.
    static let terms: [SynthClass: [String]] = [
        .ct: ["CT", "computed tomography"], .mri: ["MRI", "magnetic resonance imaging"],
        .xray: ["radiography", "x-ray"],
        .ultrasound: ["ultrasound", "Doppler ultrasound"], .histopathology: ["histology", "histopathology"],
        .endoscopy: ["endoscopy", "colonoscopy"]
    ]
    static let tails = [
        "Data are shown as mean ± SD of {n} independent experiments.", "Each dot represents one sample.",
        "Statistical significance was assessed with a two-sided test.", "Representative of {n} replicates.",
        "Colours denote the experimental groups.", "See the Methods section for details of the analysis.",
        "Abbreviations are defined in the main text.", "The experiment was repeated with similar results."
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
