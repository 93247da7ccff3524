/// Writes an article's JATS XML (Journal Archiving DTD 1.3 shape): front matter with ids, licence and
/// abstract; a body whose sections carry the figures, fig-groups, a table-wrap graphic and an inline
/// formula; a short reference list. Output is a pure function of the plan.
enum JATSWriter {
    /// - Parameters:
    ///   - captionOverride: replacement captions by item id (used for an article's older version).
    ///   - elements: the figure elements to write (an older version writes fewer).
    static func xml(
        article a: ArticlePlan, elements: [FigureElement], figures: [FigurePlan], version: Int,
        captionOverride: [String: Caption] = [:]
    ) -> String {
        var s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        if a.externalEntity {
            s += "<!DOCTYPE article [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
        } else {
            s +=
                "<!DOCTYPE article PUBLIC \"-//NLM//DTD JATS (Z39.96) Journal Archiving and Interchange DTD v1.3 20210610//EN\" \"JATS-archivearticle1-3.dtd\">\n"
        }
        s +=
            "<article xmlns:xlink=\"http://www.w3.org/1999/xlink\" xmlns:mml=\"http://www.w3.org/1998/Math/MathML\" article-type=\"research-article\" dtd-version=\"1.3\" xml:lang=\"en\">\n"
        s += "<front>\n<journal-meta>\n"
        s += "<journal-id journal-id-type=\"nlm-ta\">\(Markup.escape(a.journal))</journal-id>\n"
        s += "<journal-title-group><journal-title>\(Markup.escape(a.journal))</journal-title></journal-title-group>\n"
        s += "<issn pub-type=\"epub\">\(1000 + a.number % 9000)-\(String(a.number % 10_000).leftPad(4))</issn>\n"
        s += "<publisher><publisher-name>Synthetic Open Press</publisher-name></publisher>\n</journal-meta>\n"
        s += "<article-meta>\n"
        s += "<article-id pub-id-type=\"pmcid\">\(a.pmcid)</article-id>\n"
        s += "<article-id pub-id-type=\"pmc\">\(a.number)</article-id>\n"
        if let pmid = a.pmid { s += "<article-id pub-id-type=\"pmid\">\(pmid)</article-id>\n" }
        if let doi = a.doi { s += "<article-id pub-id-type=\"doi\">\(Markup.escape(doi))</article-id>\n" }
        s +=
            "<article-categories><subj-group subj-group-type=\"heading\"><subject>\(a.retracted ? "Retraction" : "Research Article")</subject></subj-group></article-categories>\n"
        s +=
            "<title-group><article-title>\(a.retracted ? "Retracted: " : "")\(Markup.escape(a.title))</article-title></title-group>\n"
        s += "<contrib-group>\n"
        var rng = SynthRandom(seed: UInt64(a.number), domain: "synth.authors", id: a.pmcid)
        for _ in 0..<rng.int(2...5) {
            s +=
                "<contrib contrib-type=\"author\"><name><surname>\(rng.pick(surnames))</surname><given-names>\(rng.pick(givenNames))</given-names></name></contrib>\n"
        }
        s += "</contrib-group>\n"
        s +=
            "<pub-date pub-type=\"epub\"><day>\(rng.int(1...28))</day><month>\(rng.int(1...12))</month><year>\(a.year)</year></pub-date>\n"
        s += "<volume>\(a.year - 2000)</volume><elocation-id>e\(a.number % 100_000)</elocation-id>\n"
        if version > 1 { s += "<history><date date-type=\"corrected\"><year>\(a.year)</year></date></history>\n" }
        s +=
            "<permissions>\n<copyright-statement>© \(a.year) The Authors.</copyright-statement>\n<copyright-year>\(a.year)</copyright-year>\n"
        if a.openAccess {
            s +=
                "<license license-type=\"open-access\" xlink:href=\"\(licenseURL(a.license))\"><license-p>This is an open access article distributed under the terms of the \(a.license) licence.</license-p></license>\n"
        } else {
            s +=
                "<license><license-p>All rights reserved. Made available for personal use only.</license-p></license>\n"
        }
        s += "</permissions>\n"
        if a.retracted {
            s +=
                "<related-article related-article-type=\"retracted-article\" ext-link-type=\"doi\" xlink:href=\"\(Markup.escape(a.doi ?? "10.5555/retracted"))\"/>\n"
        }
        s +=
            "<abstract><p>We describe the clinical course and the imaging and pathology findings of \(Markup.escape(a.title.lowercased())).</p></abstract>\n"
        s += "</article-meta>\n</front>\n<body>\n"
        s +=
            "<sec id=\"s1\"><title>Introduction</title><p>Accurate characterisation of such lesions guides management [<xref ref-type=\"bibr\" rid=\"B1\">1</xref>].</p></sec>\n"
        s += "<sec id=\"s2\"><title>Case presentation</title>\n"
        for (k, e) in elements.enumerated() {
            s +=
                "<p>Findings are summarised in \(reference(e)) (see also the supplementary material, case \(k + 1)).</p>\n"
            s += element(e, figures: figures, override: captionOverride, entity: a.externalEntity && k == 0)
        }
        if a.formula {
            s +=
                "<p>Lesion growth followed <inline-formula id=\"E1\"><alternatives><tex-math id=\"M1\"><![CDATA[V = \\frac{\\pi}{6} abc]]></tex-math><graphic xlink:href=\"\(a.mediaPrefix).e001\"/></alternatives></inline-formula> over the period of observation.</p>\n"
        }
        if a.table {
            s +=
                "<table-wrap id=\"T1\" position=\"float\"><label>Table 1</label><caption><p>Baseline characteristics of the patients.</p></caption><graphic xlink:href=\"\(a.mediaPrefix).t001\"/></table-wrap>\n"
        }
        s += "</sec>\n"
        s += "<sec id=\"s3\"><title>Discussion</title><p>The findings are consistent with previous reports.</p></sec>\n"
        s += "</body>\n<back>\n<ref-list><title>References</title>\n"
        s +=
            "<ref id=\"B1\"><element-citation publication-type=\"journal\"><person-group person-group-type=\"author\"><name><surname>\(rng.pick(surnames))</surname><given-names>\(rng.pick(givenNames))</given-names></name></person-group><article-title>A review of lesion characterisation</article-title><source>Open Radiology Reports</source><year>\(a.year - 2)</year><volume>\(rng.int(1...30))</volume><fpage>\(rng.int(1...900))</fpage></element-citation></ref>\n"
        s += "</ref-list>\n</back>\n</article>\n"
        return s
    }

    private static func reference(_ e: FigureElement) -> String {
        switch e {
        case .fig(let id, let label, _, _):
            return "<xref ref-type=\"fig\" rid=\"\(id)\">\(label ?? "the figure")</xref>"
        case .group(let id, let label, _, _): return "<xref ref-type=\"fig\" rid=\"\(id)\">\(label)</xref>"
        }
    }

    private static func caption(_ c: Caption, entity: Bool = false) -> String {
        var s = "<caption>"
        if let t = c.title { s += "<title>\(t)</title>" }
        s += "<p>\(c.paragraph)\(entity ? " &x;" : "")</p></caption>"
        return s
    }

    private static func element(_ e: FigureElement, figures: [FigurePlan], override: [String: Caption], entity: Bool)
        -> String
    {
        switch e {
        case .fig(let id, let label, let items, let cap):
            var s = "<fig id=\"\(id)\" position=\"float\">"
            if let label { s += "<label>\(label)</label>" }
            s += caption(override[figures[items[0]].id] ?? cap, entity: entity)
            for it in items { s += "<graphic xlink:href=\"\(figures[it].href)\"/>" }
            return s + "</fig>\n"
        case .group(let id, let label, let gcap, let children):
            var s = "<fig-group id=\"\(id)\"><label>\(label)</label>\(caption(gcap, entity: entity))\n"
            for ch in children {
                s +=
                    "<fig id=\"\(ch.id)\"><label>\(ch.label)</label>\(caption(override[figures[ch.item].id] ?? ch.caption))"
                s += "<graphic xlink:href=\"\(figures[ch.item].href)\"/></fig>\n"
            }
            return s + "</fig-group>\n"
        }
    }

    static func licenseURL(_ code: String) -> String {
        switch code {
        case "CC0": return "https://creativecommons.org/publicdomain/zero/1.0/"
        case "CC BY-NC": return "https://creativecommons.org/licenses/by-nc/4.0/"
        case "CC BY-NC-ND": return "https://creativecommons.org/licenses/by-nc-nd/4.0/"
        case "CC BY-NC-SA": return "https://creativecommons.org/licenses/by-nc-sa/4.0/"
        case "CC BY-ND": return "https://creativecommons.org/licenses/by-nd/4.0/"
        default: return "https://creativecommons.org/licenses/by/4.0/"
        }
    }

    static let surnames = [
        "Okafor", "Lindqvist", "Moreau", "Tanaka", "Haddad", "Kowalski", "Ferreira", "Nguyen", "Schmidt",
        "Abebe", "Rossi", "Petrov", "Mehta", "Castillo", "O'Neill", "Yilmaz"
    ]
    static let givenNames = ["A", "B", "C", "D", "E", "F", "G", "H", "J", "K", "L", "M", "N", "P", "R", "S", "T"]
}
