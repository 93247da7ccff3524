import Foundation
import PairDxTestSupport
import PairDxCore
import Testing
@testable import Curation

/// The confident-learning rule over out-of-fold probabilities, the `suspects.json` format, scoring against a synthetic
/// truth, `balance --exclude-suspects`, the manifest's `excluded.csv`, and the audit's suspect section.
@Suite(.scratch) struct SuspectLabelsTests {
    static let classes = ["ct", "mri", "xray"]

    static func method() -> SuspectLabels.Method {
        .init(
            model: "image", folds: 4, epochs: 2, resolution: 32, widthMultiplier: 0.5, batchSize: 8, learningRate: 0.01,
            seed: 1,
            computeMode: "deterministic", kernel: "test", foldWeightsSHA256: ["a", "b", "c", "d"],
            imageInitialisation: "seed")
    }

    /// Ten items per class, the image model right and sure about most; PMC90/F1 (labelled ct) looks like mri,
    /// PMC91/F1 (labelled xray) looks like ct, PMC92/F1 (labelled mri) is merely uncertain.
    static func scored() -> [SuspectLabels.Scored] {
        var out: [SuspectLabels.Scored] = []
        for (c, _) in classes.enumerated() {
            for i in 0..<10 {
                var p = [0.1, 0.1, 0.1]; p[c] = 0.8
                out.append(
                    .init(id: "PMC\(c * 10 + i + 1)/F1", split: .train, label: c, probabilities: p, fold: 1 + i % 4))
            }
        }
        out.append(.init(id: "PMC90/F1", split: .test, label: 0, probabilities: [0.05, 0.9, 0.05], fold: 2))
        out.append(.init(id: "PMC91/F1", split: .val, label: 2, probabilities: [0.75, 0.05, 0.2], fold: 3))
        out.append(.init(id: "PMC92/F1", split: .train, label: 1, probabilities: [0.4, 0.35, 0.25], fold: 4))
        return out
    }

    static func found() -> SuspectLabels {
        SuspectLabels.find(
            scored(), classes: classes, itemsPerClass: ["ct": 11, "mri": 11, "xray": 12], split: "toy",
            splitSHA256: nil,
            recipe: "audit-test", method: method(), skipped: ["PMC99/F1": "blob missing"])
    }

    @Test func confidentDisagreementIsFlaggedAndRankedByMargin() {
        let s = Self.found()
        // Thresholds: mean self-confidence of each class over its own items.
        let t = s.perClass.map(\.threshold)
        #expect(
            t == [
                SuspectLabels.round4((8.0 + 0.05) / 11), SuspectLabels.round4((8.0 + 0.35) / 11),
                SuspectLabels.round4((8.0 + 0.2) / 11)
            ])
        // PMC92 is unsure (0.4 < ct's threshold 0.73): not confidently anything, so not a suspect.
        #expect(s.suspects.map(\.id) == ["PMC90/F1", "PMC91/F1"])
        #expect(s.suspects.map(\.rank) == [1, 2])
        #expect(s.suspects[0].label == "ct" && s.suspects[0].predicted == "mri" && s.suspects[0].margin == -0.85)
        #expect(s.suspects[1].label == "xray" && s.suspects[1].predicted == "ct" && s.suspects[1].split == .val)
        // Row ct of the confident joint: 10 right + 1 wrong → 1/11; mri: 10 right (PMC92 has no confident class) → 0.
        let ct = s.perClass[0], mri = s.perClass[1], xray = s.perClass[2]
        #expect(ct.confident == 11 && ct.suspects == 1 && ct.estimatedErrorShare == SuspectLabels.round4(1.0 / 11))
        #expect(mri.confident == 10 && mri.suspects == 0 && mri.estimatedErrorShare == 0)
        #expect(xray.suspects == 1 && xray.items == 12 && xray.scored == 11)
        #expect(ct.outOfFoldAccuracy == SuspectLabels.round4(10.0 / 11))
        #expect(s.scored == 33 && s.items == 34)
        #expect(s.estimatedErrorShare == SuspectLabels.round4((1.0 / 11 * 11 + 0 + 1.0 / 11 * 11) / 33))
    }

    @Test func fileIsCanonicalAndRoundTrips() throws {
        let dir = try Scratch.directory("suspects-file")
        let s = Self.found()
        try s.write(to: dir + "/suspects.json")
        let bytes = try FileSystem.read(dir + "/suspects.json")
        #expect(bytes == (try Self.found().encoded()), "the same probabilities give the same bytes")
        #expect(try SuspectLabels.load(dir + "/suspects.json") == s)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(!text.contains(dir), "no absolute paths")
        #expect(text.contains("\"labelProbability\" : 0.05"))
    }

    @Test func malformedFileNamesTheFileAndTheItem() throws {
        let dir = try Scratch.directory("suspects-bad")
        var s = Self.found()
        s.suspects[1].predicted = "pet"
        try s.write(to: dir + "/bad.json")
        #expect { try SuspectLabels.load(dir + "/bad.json") } throws: {
            "\($0)".contains("bad.json") && "\($0)".contains("PMC91/F1") && "\($0)".contains("pet")
        }
        s = Self.found(); s.suspects[0].rank = 2
        try s.write(to: dir + "/rank.json")
        #expect { try SuspectLabels.load(dir + "/rank.json") } throws: {
            "\($0)".contains("rank") && "\($0)".contains("PMC90/F1")
        }
        #expect { try SuspectLabels.load(dir + "/absent.json") } throws: { "\($0)".contains("absent.json") }
    }

    @Test func scoreAgainstTheTruthCountsOnlyWrongLabels() {
        let s = Self.found()
        // The truth: PMC90 is really mri (a misleading caption), PMC91 really xray (its label is right), PMC5 really
        // mri (a wrong label the model missed). Items absent from the truth do not count.
        func fig(_ id: String, _ c: String, _ kind: String) -> SynthTruth.Figure {
            .init(id: id, class: c, captionKind: kind, media: "x.png", hard: false)
        }
        var figures = (1...30).map { fig("PMC\($0)/F1", Self.classes[($0 - 1) / 10], "clear") }
        figures[4] = fig("PMC5/F1", "mri", "two")
        figures += [
            fig("PMC90/F1", "mri", "misleading"), fig("PMC91/F1", "xray", "clear"), fig("PMC92/F1", "mri", "clear")
        ]
        let truth = SynthTruth(
            schema: SynthTruth.schemaID, seed: 1, figures: figures, exactDuplicateGroups: [], nearDuplicateGroups: [],
            hazards: .init())
        var labels: [String: String] = [:]
        for x in Self.scored() { labels[x.id] = Self.classes[x.label] }
        let score = s.score(truth: truth, labels: labels)
        #expect(score.wrongLabels == 2 && score.suspects == 2 && score.truePositives == 1)
        #expect(score.precision == 0.5 && score.recall == 0.5)
        #expect(score.missed == ["PMC5/F1"] && score.falseAlarms == ["PMC91/F1"])
        #expect(
            score.wrongByCaptionKind == ["misleading": 1, "two": 1] && score.foundByCaptionKind == ["misleading": 1])
    }

    /// labels.jsonl with 4 ct, 4 mri, 3 xray items; equalize keeps 3 per class.
    static func workWithLabels(_ tag: String) throws -> (WorkDirectory, String) {
        let dir = try Scratch.directory(tag)
        let work = WorkDirectory(dir + "/work")
        try FileSystem.makeDirectory(work.root)
        var labels: [LabelRecord] = []
        for (c, n) in [("ct", 4), ("mri", 4), ("xray", 3)] {
            for i in 0..<n {
                labels.append(
                    LabelRecord(
                        id: "PMC\(c.count * 100 + i)\(c == "ct" ? 1 : c == "mri" ? 2 : 3)/F1", class: c, reason: nil,
                        matched: ["\(c):\(c)"]))
            }
        }
        try JSONL.write(labels, to: work.labels, sortedBy: \.sortKey)
        return (work, dir)
    }

    @Test func balanceLeavesOutSuspectsAndSaysSo() throws {
        let (work, dir) = try Self.workWithLabels("exclude")
        let recipe = AuditFixtures.recipe()
        let labels = try JSONL.read(LabelRecord.self, from: work.labels)
        let ctItem = labels.first { $0.class == "ct" }!.id
        var s = Self.found()
        s.suspects = [
            .init(
                rank: 1, id: ctItem, split: .train, label: "ct", predicted: "mri", labelProbability: 0.1,
                predictedProbability: 0.8, margin: -0.7, fold: 1),
            .init(
                rank: 2, id: "PMC77777/F1", split: .train, label: "mri", predicted: "ct", labelProbability: 0.2,
                predictedProbability: 0.7, margin: -0.5, fold: 2)
        ]
        try s.write(to: dir + "/suspects.json")
        let plain = try CurationStages.balance(work: work, recipe: recipe)
        #expect(!FileSystem.exists(work.excluded))
        let kept = try CurationStages.balance(work: work, recipe: recipe, excludeSuspects: dir + "/suspects.json")
        #expect(!kept.contains { $0.id == ctItem })
        #expect(kept.count == plain.count, "ct still has 3 items left, so the balanced size is unchanged")
        let excluded = try JSONL.read(ExcludedItem.self, from: work.excluded)
        // The second suspect is not a labelled item here: nothing to leave out.
        #expect(excluded.map(\.id) == [ctItem] && excluded[0].predicted == "mri")
        #expect(excluded[0].suspectsSHA256 == SHA256.hex(try FileSystem.read(dir + "/suspects.json")))
        // Back to the default: the exclusion record goes, so the manifest is what it always was.
        _ = try CurationStages.balance(work: work, recipe: recipe)
        #expect(!FileSystem.exists(work.excluded))
    }

    @Test func aSuspectsFileFromOtherLabelsIsRefused() throws {
        let (work, dir) = try Self.workWithLabels("exclude-stale")
        let labels = try JSONL.read(LabelRecord.self, from: work.labels)
        let mriItem = labels.first { $0.class == "mri" }!.id
        var s = Self.found()
        s.suspects = [
            .init(
                rank: 1, id: mriItem, split: .train, label: "ct", predicted: "mri", labelProbability: 0.1,
                predictedProbability: 0.8, margin: -0.7, fold: 1)
        ]
        try s.write(to: dir + "/suspects.json")
        #expect {
            try CurationStages.balance(
                work: work, recipe: AuditFixtures.recipe(), excludeSuspects: dir + "/suspects.json")
        } throws: {
            "\($0)".contains(mriItem) && "\($0)".contains("labels.jsonl now says 'mri'")
        }
    }

    @Test func manifestRecordsExclusionsOnlyWhenThereAreAny() throws {
        let dir = try Scratch.directory("manifest-excluded")
        try FileSystem.makeDirectory(dir + "/Splits/x")
        var input = Manifest.Inputs(
            name: "x", recipe: AuditFixtures.recipe(), assignment: .init(items: [:], groupCount: 0, largestGroup: 0),
            candidates: [], articles: [], figures: [:])
        try Manifest.write(input, to: dir + "/Manifests/x", splitFilesRelative: "../../Splits/x")
        let plainSums = try FileSystem.readString(dir + "/Manifests/x/SHA256SUMS")
        #expect(!FileSystem.exists(dir + "/Manifests/x/excluded.csv") && !plainSums.contains("excluded.csv"))
        input.excluded = [
            ExcludedItem(id: "PMC9/F1", class: "ct", predicted: "mri", suspectsSHA256: "ab"),
            ExcludedItem(id: "PMC10/F1", class: "xray", predicted: "ct", suspectsSHA256: "ab")
        ]
        try Manifest.write(input, to: dir + "/Manifests/x", splitFilesRelative: "../../Splits/x")
        #expect(
            try FileSystem.readString(dir + "/Manifests/x/excluded.csv")
                == "id,class,predicted,suspects_sha256\nPMC9/F1,ct,mri,ab\nPMC10/F1,xray,ct,ab\n")
        #expect(try FileSystem.readString(dir + "/Manifests/x/SHA256SUMS").contains("  excluded.csv\n"))
        input.excluded = []
        try Manifest.write(input, to: dir + "/Manifests/x", splitFilesRelative: "../../Splits/x")
        #expect(try FileSystem.readString(dir + "/Manifests/x/SHA256SUMS") == plainSums)
        #expect(!FileSystem.exists(dir + "/Manifests/x/excluded.csv"))
    }

    @Test func auditShowsRankedSuspectsAndTheDatasheetStatesTheShare() throws {
        var items = AuditFixtures.clean(perClass: ["train": 6, "val": 2, "test": 2])
        items["test", default: []].append(AuditFixtures.item("PMC90/F1", "ct", "test", phash: AuditFixtures.hash(900)))
        items["val", default: []].append(AuditFixtures.item("PMC91/F1", "xray", "val", phash: AuditFixtures.hash(901)))
        var inputs = AuditInputs(name: "toy", recipe: AuditFixtures.recipe(), items: items)
        let plain = AuditBuilder.build(inputs)
        #expect(plain.suspectLabels == nil)
        #expect(
            DatasheetRenderer.render(plain, recipeDescription: "", sources: []).contains("Suspect labels: not checked"))
        inputs.suspects = Self.found()
        inputs.work = WorkRecords(figures: [
            FigureRecord(
                id: "PMC90/F1", pmcid: "PMC90", version: 1, figure: "F1", label: nil,
                caption: "Axial CT <b>of</b> the chest.", context: "fig", href: "F1", media: "F1.png",
                license: "CC BY", sha256: nil, bytes: nil, url: nil, status: .ok)
        ])
        let r = AuditBuilder.build(inputs)
        let section = try #require(r.suspectLabels)
        #expect(section.suspects == 2 && section.top.map(\.id) == ["PMC90/F1", "PMC91/F1"])
        #expect(
            section.top[0].sha256 == SHA256.hex("PMC90/F1") && section.top[0].caption == "Axial CT <b>of</b> the chest."
        )
        #expect(r.findings.contains { $0.hasPrefix("Suspect labels: 2 of 33") })
        let html = HTMLRenderer.render(r, thumbnails: [SHA256.hex("PMC90/F1"): "data:image/jpeg;base64,AAAA"])
        #expect(
            html.contains("id=\"suspects\"") && html.contains("image says <b>mri</b>")
                && html.contains("data:image/jpeg;base64,AAAA"))
        #expect(html.contains("Axial CT &lt;b&gt;of&lt;/b&gt; the chest."), "captions are escaped")
        let sheet = DatasheetRenderer.render(r, recipeDescription: "", sources: [])
        #expect(
            sheet.contains("Suspect labels (an image model trained out of fold")
                && sheet.contains("2 of 33 scored items (6.1%)"))
        #expect(MarkdownRenderer.render(r).contains("## Suspect labels"))
    }

    @Test func loaderIgnoresASuspectsFileOfOtherSplitFiles() throws {
        let dir = try Scratch.directory("suspects-stale")
        try FileSystem.makeDirectory(dir + "/Splits/toy")
        try AtomicFile.write("0000  train.csv\n", to: dir + "/Splits/toy/SHA256SUMS")
        var s = Self.found()
        s.splitSHA256 = String(repeating: "f", count: 64)
        try FileSystem.makeDirectory(dir + "/work")
        try s.write(to: WorkDirectory(dir + "/work").path("suspects.json"))
        var problems: [String] = []
        #expect(
            try AuditLoader.loadSuspects(
                nil, data: dir + "/work", splitDir: dir + "/Splits/toy", name: "toy", problems: &problems) == nil)
        #expect(problems.count == 1 && problems[0].hasPrefix("work/suspects.json: made for other split files"))
        s.splitSHA256 = SuspectLabels.splitDigest(dir + "/Splits/toy")
        try s.write(to: WorkDirectory(dir + "/work").path("suspects.json"))
        problems = []
        #expect(
            try AuditLoader.loadSuspects(
                nil, data: dir + "/work", splitDir: dir + "/Splits/toy", name: "toy", problems: &problems) != nil)
        #expect(
            try AuditLoader.loadSuspects(
                nil, data: dir + "/work", splitDir: dir + "/Splits/toy", name: "other", problems: &problems) == nil)
        #expect(problems.last?.contains("made for split set 'toy', not 'other'") == true)
    }
}
