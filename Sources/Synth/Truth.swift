import PairDxCore

extension SynthTruth {
    /// The truth of a plan; every list sorted (ids by `ItemID.sortKey`, pmcids by `PMCID.sortKey`).
    static func make(_ plan: CorpusPlan) -> SynthTruth {
        func ids(_ xs: [String]) -> [String] { xs.sorted { ItemID.sortKey($0) < ItemID.sortKey($1) } }
        func pmcids(_ xs: [String]) -> [String] { xs.sorted { PMCID.sortKey($0) < PMCID.sortKey($1) } }
        let figs = plan.figures
        let figures = figs.map { f in
            Figure(id: f.id, class: f.cls.rawValue, captionKind: f.kind.rawValue, media: f.media, hard: !f.hard.isEmpty)
        }
        var exact: [Int: [String]] = [:]
        var near: [Int: (String, [String])] = [:]
        for f in figs {
            switch f.source {
            case .own: break
            case .exactCopy(let root): exact[root, default: [figs[root].id]].append(f.id)
            case .near(let root, let how): near[root, default: (how.rawValue, [figs[root].id])].1.append(f.id)
            }
        }
        var h = HazardLists()
        let arts = plan.articles
        h.retracted = pmcids(arts.filter(\.retracted).map(\.pmcid))
        h.notOpenAccess = pmcids(arts.filter { !$0.openAccess }.map(\.pmcid))
        h.externalEntity = pmcids(arts.filter(\.externalEntity).map(\.pmcid))
        h.noFigures = [arts[plan.noFigures].pmcid]
        h.tableGraphics = pmcids(arts.filter(\.table).map(\.pmcid))
        h.inlineFormula = pmcids(arts.filter(\.formula).map(\.pmcid))
        h.multiVersion = pmcids(plan.multiVersion.map { arts[$0].pmcid })
        h.corruptImages = ids(figs.filter { $0.hazard == .corrupt }.map(\.id))
        h.truncatedImages = ids(figs.filter { $0.hazard == .truncated }.map(\.id))
        h.nonImageMedia = ids(figs.filter { $0.hazard == .nonImage }.map(\.id))
        h.missingMedia = ids(figs.filter { $0.hazard == .missing }.map(\.id))
        h.unsupportedFormat = ids(figs.filter { $0.hazard == .unsupported }.map(\.id))
        h.figGroup = ids(figs.filter(\.inGroup).map(\.id))
        var noLabel: [String] = []
        for a in arts {
            for e in a.elements { if case .fig(_, nil, let items, _) = e { noLabel += items.map { figs[$0].id } } }
        }
        h.noLabel = ids(noLabel)
        return SynthTruth(
            schema: schemaID, seed: plan.seed,
            figures: figures.sorted { ItemID.sortKey($0.id) < ItemID.sortKey($1.id) },
            exactDuplicateGroups: exact.values.map(ids).sorted { ItemID.sortKey($0[0]) < ItemID.sortKey($1[0]) },
            nearDuplicateGroups: near.values.map { NearGroup(ids: ids($0.1), how: $0.0) }.sorted {
                ItemID.sortKey($0.ids[0]) < ItemID.sortKey($1.ids[0])
            },
            hazards: h)
    }
}

/// The article metadata file `PMCn.v/PMCn.v.json` in the PMC Cloud layout.
struct ArticleMetadata: Encodable {
    var pmcid: String
    var version: Int
    var licenseCode: String
    var isOpenAccess: Bool
    var isRetracted: Bool
    var xmlURL: String
    var mediaURLs: [String]
    var pmid: String?
    var doi: String?
    var title: String

    enum CodingKeys: String, CodingKey {
        case pmcid, version, title, pmid, doi
        case licenseCode = "license_code", isOpenAccess = "is_pmc_openaccess", isRetracted = "is_retracted"
        case xmlURL = "xml_url", mediaURLs = "media_urls"
    }

    /// Writes `null` for a missing pmid/doi (the field is always present).
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(pmcid, forKey: .pmcid)
        try c.encode(version, forKey: .version)
        try c.encode(licenseCode, forKey: .licenseCode)
        try c.encode(isOpenAccess, forKey: .isOpenAccess)
        try c.encode(isRetracted, forKey: .isRetracted)
        try c.encode(xmlURL, forKey: .xmlURL)
        try c.encode(mediaURLs, forKey: .mediaURLs)
        try c.encode(pmid, forKey: .pmid)
        try c.encode(doi, forKey: .doi)
        try c.encode(title, forKey: .title)
    }

    static let bucket = "s3://pmc-oa-opendata/"
}
