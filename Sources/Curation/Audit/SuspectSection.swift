import Foundation
import PairDxCore

extension AuditReport {
    /// Suspect labels found by the images (`pairdx suspects`): what an out-of-fold image model disagrees with.
    public struct SuspectLabelsSection: Codable, Sendable, Equatable {
        /// How the probabilities were made, in one line (model, folds, epochs, resolution, mode).
        public var method: String
        public var rule: String
        public var items: Int
        public var scored: Int
        public var suspects: Int
        /// Suspects over scored items, and the confident-learning estimate of the share of wrong labels.
        public var suspectShare: Double
        public var estimatedErrorShare: Double
        public var perClass: [SuspectLabels.ClassEstimate]
        /// The highest-ranked suspects (at most `AuditReport.SuspectLabelsSection.shown`), with caption and blob.
        public var top: [SuspectItem]

        public static let shown = 60

        /// "44 of 918 scored items (4.8%) flagged; estimated share of wrong labels 5.8%", for the datasheet and the findings.
        public var summary: String {
            "\(suspects) of \(scored) scored items (\(HTMLRenderer.pct(suspectShare))) flagged; estimated share of wrong labels \(HTMLRenderer.pct(estimatedErrorShare))"
        }
    }

    public struct SuspectItem: Codable, Sendable, Equatable {
        public var rank: Int
        public var id: String
        public var split: SplitName
        public var label: String
        public var predicted: String
        public var labelProbability: Double
        public var predictedProbability: Double
        public var sha256: String
        public var caption: String?
    }
}

/// Builds the suspect-label section from a `suspects.json` already checked against the split (see `AuditLoader`).
enum SuspectSection {
    static func build(_ s: SuspectLabels, inputs: AuditInputs, captions: [String: String])
        -> AuditReport.SuspectLabelsSection
    {
        let sha = Dictionary(inputs.allItems.map { ($0.id, $0.sha256) }, uniquingKeysWith: { a, _ in a })
        let m = s.method
        let method =
            "\(m.model) model (ResNet-18 ×\(HTMLRenderer.fmt(m.widthMultiplier)), \(m.resolution)² px, \(m.epochs) epochs, "
            + "start \(m.imageInitialisation)), \(m.folds)-fold out of fold over train+val+test, seed \(m.seed), \(m.computeMode) mode"
        let top = s.suspects.prefix(AuditReport.SuspectLabelsSection.shown).map { x in
            AuditReport.SuspectItem(
                rank: x.rank, id: x.id, split: x.split, label: x.label, predicted: x.predicted,
                labelProbability: x.labelProbability, predictedProbability: x.predictedProbability,
                sha256: sha[x.id] ?? "", caption: captions[x.id])
        }
        return .init(
            method: method, rule: m.rule, items: s.items, scored: s.scored, suspects: s.suspects.count,
            suspectShare: SuspectLabels.round4(s.scored > 0 ? Double(s.suspects.count) / Double(s.scored) : 0),
            estimatedErrorShare: s.estimatedErrorShare, perClass: s.perClass, top: Array(top))
    }

    static func html(_ r: AuditReport, thumbnails: [String: String]) -> String {
        var h = HTMLRenderer.section("suspects", "Suspect labels (image vs caption)")
        guard let s = r.suspectLabels else {
            return h
                + "<p class=\"empty\">Not checked: no <code>suspects.json</code> for this split (run <code>pairdx suspects --split Splits/&lt;name&gt; --data WORKDIR</code>, then audit with <code>--data WORKDIR</code> or <code>--suspects FILE</code>).</p></section>\n"
        }
        let e = HTMLEscape.text, pct = HTMLRenderer.pct
        h += "<p>\(e(s.summary)). Probabilities from the \(e(s.method)). Rule: \(e(s.rule)).</p>"
        h += HTMLRenderer.chart(
            SVGChart.horizontalBars(
                title: "Estimated share of wrong labels per class (%)",
                rows: s.perClass.map { ($0.class, $0.estimatedErrorShare * 100) }, color: "#c0504d"))
        h += HTMLRenderer.table(
            ["class", "items", "scored", "suspects", "estimated wrong labels", "out-of-fold accuracy", "threshold"],
            s.perClass.map {
                [
                    $0.class, "\($0.items)", "\($0.scored)", "\($0.suspects)", pct($0.estimatedErrorShare),
                    pct($0.outOfFoldAccuracy), String(format: "%.3f", $0.threshold)
                ]
            })
        if s.top.isEmpty { return h + "<p>No item's image confidently contradicts its caption label.</p></section>\n" }
        h +=
            "<h3>Ranked suspects\(s.suspects > s.top.count ? " (first \(s.top.count) of \(s.suspects))" : "")</h3><div class=\"grid\">"
        for it in s.top {
            h += HTMLRenderer.thumbnail(
                thumbnails[it.sha256], id: it.id,
                caption:
                    "#\(it.rank) <code>\(e(it.id))</code> · \(e(it.split.rawValue))<br>caption says <b>\(e(it.label))</b> (p \(String(format: "%.2f", it.labelProbability))), "
                    + "image says <b>\(e(it.predicted))</b> (p \(String(format: "%.2f", it.predictedProbability)))"
                    + HTMLRenderer.captionLine(it.caption, 200))
        }
        return h + "</div></section>\n"
    }

    static func markdown(_ r: AuditReport) -> String {
        guard let s = r.suspectLabels else { return "" }
        let cell = MarkdownRenderer.cell, pct = HTMLRenderer.pct
        var m = "## Suspect labels\n\n\(cell(s.summary)); \(cell(s.method)).\n\n"
        m +=
            MarkdownRenderer.table(
                ["class", "scored", "suspects", "estimated wrong labels"],
                s.perClass.map {
                    [$0.class, "\($0.scored)", "\($0.suspects)", pct($0.estimatedErrorShare)]
                }) + "\n"
        if !s.top.isEmpty {
            m +=
                MarkdownRenderer.table(
                    ["rank", "id", "split", "caption label", "image says", "caption"],
                    s.top.prefix(20).map {
                        [
                            "\($0.rank)", $0.id, $0.split.rawValue, $0.label,
                            "\($0.predicted) (\(String(format: "%.2f", $0.predictedProbability)))",
                            ContentSections.cut($0.caption ?? "", 120)
                        ]
                    }) + "\n"
        }
        return m
    }
}
