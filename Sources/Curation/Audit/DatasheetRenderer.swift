import Foundation

/// Renders `datasheet.md`, organised like "Datasheets for Datasets" (motivation, composition, collection,
/// preprocessing and labelling, uses, distribution, maintenance). What the recipe and the audit know is
/// filled in; what only a person can say is marked `TO BE WRITTEN`.
public enum DatasheetRenderer {
    static let todo = "**TO BE WRITTEN** by a maintainer:"

    public static func render(_ r: AuditReport, recipeDescription: String, sources: [String]) -> String {
        let f = HTMLRenderer.fmt, pct = HTMLRenderer.pct
        let c = MarkdownRenderer.cell
        var d = "# Datasheet: \(c(r.name))\n\n"
        d +=
            "Generated from recipe `\(c(r.recipe.name))`\(r.recipe.sha256.map { " (sha256 `\($0)`)" } ?? "") and the audit of its split files. "
        d += "Sections marked TO BE WRITTEN need a person.\n\n"

        d += "## Motivation\n\n"
        d += "- Purpose: \(recipeDescription.isEmpty ? "\(todo) why the dataset exists." : c(recipeDescription))\n"
        d += "- Who created it and who funded it: \(todo) names and funding.\n"
        if !r.recipe.provenance.isEmpty {
            d += "- Which facts come from the publication and which from the recipe:\n"
            for (k, v) in r.recipe.provenance.sorted(by: { $0.key < $1.key }) { d += "  - \(c(k)): \(c(v))\n" }
        }
        d += "\n## Composition\n\n"
        d +=
            "- Instances: figure–caption pairs from open-access articles; \(r.balance.overall.count) items in \(r.classes.count) classes (\(r.classes.map { "`\($0)`" }.joined(separator: ", "))).\n"
        for s in r.balance.splits {
            d +=
                "- `\(s.split)`: \(s.count) items (\(pct(s.share)) of all; recipe ratio \(s.targetShare.map(pct) ?? "—")).\n"
        }
        d +=
            "- Labels: assigned by the recipe's caption rules (see the label rules in report.html), not by people; label noise is expected where captions are vague.\n"
        if let q = r.labelQuality {
            d +=
                "- Label precision, measured on the hand-labelled gold set `\(c(q.gold))` (\(q.items) real captions, guidelines \(q.guidelines.joined(separator: ", ")), 95% Wilson intervals): \(c(q.summary)).\n"
        } else {
            d +=
                "- Label precision: not measured for this recipe (no label-quality.json beside it; `pairdx label-eval` measures it on a gold set).\n"
        }
        if let s = r.suspectLabels {
            d +=
                "- Suspect labels (an image model trained out of fold disagrees confidently with the caption label): \(c(s.summary)); "
            d +=
                "per class "
                + s.perClass.map { "\(c($0.class)) \(pct($0.estimatedErrorShare))" }.joined(separator: ", ") + ".\n"
        } else {
            d +=
                "- Suspect labels: not checked for this split (`pairdx suspects` cross-checks every caption label against an out-of-fold image model).\n"
        }
        if let o = r.balance.overall.imbalanceRatio { d += "- Class imbalance (largest/smallest): \(f(o)).\n" }
        if !r.balance.overall.emptyClasses.isEmpty {
            d += "- Classes with no items: \(r.balance.overall.emptyClasses.joined(separator: ", ")).\n"
        }
        d +=
            "- Relations between instances: figures of one article, and duplicate clusters, are kept within one split; "
        d +=
            "the audit found \(r.leakage.nearDuplicatePairs) near-duplicate pair(s) and \(r.leakage.articlesAcrossSplits) article(s) across splits.\n"
        d +=
            "- Confidential or sensitive content: figures come from published articles; \(todo) whether any image could identify a patient.\n"
        d += "\n## Collection process\n\n"
        d +=
            sources.isEmpty
            ? "- Sources: \(todo) where articles came from.\n" : sources.map { "- Source: \(c($0))\n" }.joined()
        if let first = r.funnel.stages.first?.count { d += "- Candidate articles considered: \(first).\n" }
        d += "- Time frame of collection: \(todo) when the sources were read.\n"
        d += "- Ethical review: \(todo) whether any review took place.\n"
        d += "\n## Preprocessing, cleaning and labelling\n\n"
        for s in r.funnel.stages {
            d += "- \(s.stage): \(s.count.map(String.init) ?? "not recorded")"
            if let lost = s.lost, lost > 0 {
                d +=
                    " (lost \(lost): \(s.reasons.prefix(3).map { "\(c($0.name)) \($0.count)" }.joined(separator: ", ")))"
            }
            d += "\n"
        }
        d +=
            "- Deduplication: perceptual hash (pHash) within \(r.recipe.dedupeRadius) bits, exact duplicates by content hash"
            + (r.recipe.dedupeCrops
                ? ", crops and panels (a trim or a half of another figure at the same scale) by aligned pixels.\n"
                : ".\n")
        d += "- Raw data kept: article XML and figure files are content-addressed in the work directory's blob store.\n"
        d += "\n## Uses\n\n"
        d += "- Intended: training and evaluating figure-type classifiers on image, caption, or both.\n"
        d += "- Not suited for: clinical decisions of any kind. \(todo) other uses to avoid.\n"
        d += "\n## Distribution\n\n"
        if let lic = r.licences {
            d +=
                "- Licences of the items: " + lic.items.map { "\(c($0.name)) (\($0.count))" }.joined(separator: ", ")
                + ". Each figure keeps its article's licence.\n"
        } else {
            d += "- Licences: \(todo) licences of the items (run the audit with --data).\n"
        }
        d +=
            "- Form: split files (CSV) listing item ids with checksums (SHA256SUMS); images are re-fetched from the sources, not redistributed.\n"
        d += "\n## Maintenance\n\n"
        d += "- Rebuilding: the recipe and its seed determine the splits; `pairdx verify` checks them byte for byte.\n"
        d += "- Maintainer and contact: \(todo) who answers questions and how to reach them.\n"
        d += "- Errata and updates: \(todo) where corrections are announced.\n"
        return d
    }
}
