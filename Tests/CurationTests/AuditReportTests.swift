import Foundation
import PairDxCore
import Testing
@testable import Curation

@Suite struct AuditReportTests {
    static let hostile = [
        "PMC1/F1": "<script>alert('x')</script> CT of the \"chest\" & abdomen",
        "PMC2/F1": "صورة بالرنين المغناطيسي MRI للدماغ — mri scan",
        "PMC3/F1": "Chest x-ray 🫁 with emoji 😀 and a </figcaption></figure><img src=x onerror=alert(1)>",
        "PMC4/F1": "CT scan of the liver; CT shows a lesion"
    ]

    /// Three classes, one of them empty; the val split empty; hostile captions.
    static func hostileInputs() -> AuditInputs {
        var items: [String: [SplitItem]] = ["train": [], "val": [], "test": []]
        items["train"] = [
            AuditFixtures.item("PMC1/F1", "ct", "train", phash: AuditFixtures.hash(1)),
            AuditFixtures.item("PMC2/F1", "mri", "train", phash: AuditFixtures.hash(2)),
            AuditFixtures.item("PMC4/F1", "ct", "train", phash: AuditFixtures.hash(4))
        ]
        items["test"] = [AuditFixtures.item("PMC3/F1", "mri", "test", phash: AuditFixtures.hash(3))]
        let figures = hostile.map { (id, cap) in
            FigureRecord(
                id: id, pmcid: ItemID.article(of: id), version: 1, figure: "F1", label: nil, caption: cap,
                context: "fig", href: "f", media: "f.png", license: "CC BY", sha256: SHA256.hex(id), bytes: 10,
                url: nil, status: .ok)
        }
        return AuditInputs(
            name: "hostile", recipe: AuditFixtures.recipe(), items: items,
            work: WorkRecords(figures: figures))
    }

    @Test func hostileCaptionsAreEscapedAndEmptyPartsReported() throws {
        let report = AuditBuilder.build(Self.hostileInputs(), options: .init(maxImbalance: 3, minPerClass: 1))
        #expect(report.findings.contains { $0.contains("Class 'xray' has no items") })
        #expect(report.findings.contains { $0.contains("Split 'val' has no items") })
        #expect(report.balance.overall.emptyClasses == ["xray"])
        #expect(report.balance.splits[1].count == 0 && report.balance.splits[1].imbalanceRatio == nil)
        let imb = try #require(report.gates.first { $0.rule == "max-imbalance" })
        #expect(!imb.passed && imb.value == nil && imb.detail.contains("empty class"))
        #expect(report.gates.first { $0.rule == "min-per-class" }?.passed == false)

        let html = HTMLRenderer.render(report)
        #expect(!html.contains("<script"))
        #expect(!html.contains("<img src=x"))
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"))
        #expect(html.contains("&quot;chest&quot; &amp; abdomen"))
        #expect(html.contains("<bdi dir=\"auto\">صورة بالرنين"))
        #expect(html.contains("🫁") && html.contains("😀"))
        #expect(html.contains("No items in this class."))
        // Self-contained: no external fetches, no script, a CSP that forbids them.
        for bad in ["src=\"http", "href=\"http", "<link", "url(", "@import", "<iframe", "javascript:"] {
            #expect(!html.contains(bad), "report.html contains \(bad)")
        }
        #expect(html.contains("default-src 'none'"))

        let md = MarkdownRenderer.render(report)
        #expect(!md.contains("<script"))
        let sheet = DatasheetRenderer.render(report, recipeDescription: "d", sources: ["mirror"])
        for part in [
            "## Motivation", "## Composition", "## Collection process", "## Preprocessing", "## Uses",
            "## Distribution", "## Maintenance"
        ] {
            #expect(sheet.contains(part))
        }
        #expect(sheet.contains("TO BE WRITTEN"))
        // The preprocessing section says how duplicates were found, crops and panels only when the recipe searched them.
        #expect(sheet.contains("exact duplicates by content hash.\n") && !sheet.contains("crops and panels"))
        var cropped = report
        cropped.recipe.dedupeCrops = true
        #expect(
            DatasheetRenderer.render(cropped, recipeDescription: "d", sources: ["mirror"]).contains(
                "exact duplicates by content hash, crops and panels (a trim or a half of another figure at the same scale) by aligned pixels.\n"
            ))

        // report.json round-trips through the model.
        let json = try CanonicalJSON.encode(report, pretty: true)
        let back = try JSONDecoder().decode(AuditReport.self, from: json)
        #expect(back == report)
        #expect(
            back.samples.first { $0.class == "ct" }?.items.contains { $0.caption?.contains("<script>") == true } == true
        )
    }

    @Test func balanceTargetsDeviationAndChiSquare() throws {
        // train: 6/6/6, val 2/2/2, test 1/2/3.
        var items = AuditFixtures.clean(perClass: ["train": 6, "val": 2, "test": 0])
        var k = 1000
        for (c, n) in [("ct", 1), ("mri", 2), ("xray", 3)] {
            for _ in 0..<n {
                k += 1;
                items["test", default: []].append(
                    AuditFixtures.item("PMC\(k)/F1", c, "test", phash: AuditFixtures.hash(k)))
            }
        }
        let report = AuditBuilder.build(AuditInputs(name: "b", recipe: AuditFixtures.recipe(), items: items))
        let b = report.balance
        #expect(b.targetClassShare == AuditStatistics.fixed(1.0 / 3))
        #expect(b.splits.map(\.count) == [18, 6, 6])
        #expect(b.splits[0].imbalanceRatio == 1 && b.splits[2].imbalanceRatio == 3)
        #expect(b.splits[2].classes[2].deviation == AuditStatistics.fixed(0.5 - 1.0 / 3))
        #expect(b.splits[0].targetShare == 0.6 && b.splits[0].share == 0.6)
        let table = [[6, 2, 1], [6, 2, 2], [6, 2, 3]]
        let expect = try #require(AuditStatistics.chiSquareIndependence(table))
        #expect(b.chiSquare.statistic == AuditStatistics.fixed(expect.statistic))
        #expect(b.chiSquare.degreesOfFreedom == 4)
        #expect(b.chiSquare.pValue == AuditStatistics.fixed(expect.pValue))
        // Overall 9/10/11 under policy equalize: the recipe's own balance gate fails; without it nothing else does.
        #expect(report.leakage.nearDuplicatePairs == 0 && !report.passed)
        #expect(report.gates.first { $0.rule == "recipe-balance" }?.passed == false)
        #expect(
            AuditBuilder.build(
                AuditInputs(name: "b", recipe: AuditFixtures.recipe(), items: items),
                options: .init(recipeBalance: false)
            ).passed)
        #expect(
            AuditBuilder.build(
                AuditInputs(name: "b", recipe: AuditFixtures.recipe(), items: items),
                options: .init(maxImbalance: 2.5)
            ).passed == false)
    }

    @Test func funnelCountsEachStageWithReasons() {
        let items = [
            "train": [
                AuditFixtures.item("PMC1/F1", "ct", "train", phash: 1, sha: "a"),
                AuditFixtures.item("PMC2/F1", "mri", "train", phash: 1 << 40, sha: "c")
            ]
        ]
        func fig(_ id: String, _ status: FetchStatus, sha: String?) -> FigureRecord {
            FigureRecord(
                id: id, pmcid: ItemID.article(of: id), version: 1, figure: "F", label: nil, caption: "a ct scan of x",
                context: "fig", href: "h", media: nil, license: "CC BY", sha256: sha, bytes: nil, url: nil,
                status: status)
        }
        let work = WorkRecords(
            candidates: (1...5).map { Candidate(pmcid: "PMC\($0)", via: .mirror) },
            articles: [
                ArticleRecord(pmcid: "PMC1", version: 1, status: .ok, license: "CC BY", figures: 3),
                ArticleRecord(pmcid: "PMC2", version: 1, status: .ok, license: "CC0", figures: 2),
                ArticleRecord(pmcid: "PMC3", version: 1, status: FetchStatus(.retracted)),
                ArticleRecord(pmcid: "PMC4", version: 1, status: FetchStatus(.notOpenAccess))
            ],
            figures: [
                fig("PMC1/F1", .ok, sha: "a"), fig("PMC1/F2", .ok, sha: "b"),
                fig("PMC1/F3", FetchStatus(.mediaMissing), sha: nil),
                fig("PMC2/F1", .ok, sha: "c"), fig("PMC2/F2", .ok, sha: "d")
            ],
            images: [
                ImageRecord(sha256: "a", format: "png", width: 100, height: 80),
                ImageRecord(sha256: "b", reject: "corrupt: bad crc"),
                ImageRecord(sha256: "c", format: "jpeg", width: 300, height: 300),
                ImageRecord(sha256: "d", format: "jpeg", width: 300, height: 300)
            ],
            clusters: [
                ClusterRecord(
                    keep: "PMC1/F1", members: ["PMC1/F1"], articles: ["PMC1"], kind: "single", maxDistance: 0),
                ClusterRecord(
                    keep: "PMC2/F1", members: ["PMC2/F1", "PMC2/F2"], articles: ["PMC2"], kind: "exact", maxDistance: 0)
            ],
            labels: [
                LabelRecord(id: "PMC1/F1", class: "ct", reason: nil, matched: ["ct:ct"]),
                LabelRecord(id: "PMC2/F1", class: "mri", reason: nil, matched: ["mri:mri"]),
                LabelRecord(id: "PMC2/F2", class: nil, reason: "duplicate-dropped", matched: [])
            ])
        let report = AuditBuilder.build(
            AuditInputs(name: "f", recipe: AuditFixtures.recipe(), items: items, work: work))
        let s = Dictionary(uniqueKeysWithValues: report.funnel.stages.map { ($0.stage, $0) })
        #expect(
            report.funnel.stages.map(\.stage) == [
                "candidates", "articles", "figures", "decoded", "unique", "labelled", "balanced", "split"
            ])
        #expect(s["candidates"]?.count == 5)
        #expect(s["articles"]?.count == 2 && s["articles"]?.lost == 3)
        #expect(s["articles"]?.reasons.map(\.name).sorted() == ["no article record", "not-open-access", "retracted"])
        #expect(s["figures"]?.count == 4 && s["figures"]?.reasons == [.init(name: "media-missing", count: 1)])
        #expect(s["decoded"]?.count == 3 && s["decoded"]?.reasons == [.init(name: "corrupt: bad crc", count: 1)])
        #expect(s["unique"]?.count == 2 && s["unique"]?.lost == 1)
        #expect(s["labelled"]?.count == 2 && s["labelled"]?.lost == 0)
        #expect(s["split"]?.count == 2)
        #expect(report.duplicates?.exactClusters == 1 && report.duplicates?.sizeHistogram[1].count == 1)
        #expect(report.labels?.rules.first { $0.class == "ct" && $0.term == "ct" }?.matches == 1)
        #expect(report.licences?.items.map(\.name).sorted() == ["CC BY", "CC0"])
        #expect(report.images?.classes.first?.formats == [.init(name: "png", count: 1)])
        #expect(report.captions?.classes.first?.medianWords == 5)
    }

    /// A caption-first rebuild's funnel: captions labelled, then media fetched for those only, then decoded, deduped,
    /// usable, balanced, split.
    @Test func captionFirstFunnelCountsCaptionsBeforeMedia() {
        let items = ["train": [AuditFixtures.item("PMC1/F1", "ct", "train", phash: 1, sha: "a")]]
        func fig(_ id: String, _ caption: String, _ status: FetchStatus, sha: String?) -> FigureRecord {
            FigureRecord(
                id: id, pmcid: ItemID.article(of: id), version: 1, figure: "F", label: nil, caption: caption,
                context: "fig", href: "h", media: nil, license: "CC BY", sha256: sha, bytes: nil, url: nil,
                status: status)
        }
        let work = WorkRecords(
            candidates: (1...2).map { Candidate(pmcid: "PMC\($0)", via: .mirror) },
            articles: [
                ArticleRecord(pmcid: "PMC1", version: 1, status: .ok, license: "CC BY", figures: 3),
                ArticleRecord(pmcid: "PMC2", version: 1, status: .ok, license: "CC BY", figures: 3)
            ],
            figures: [
                fig("PMC1/F1", "an axial ct of the chest", .ok, sha: "a"),
                fig("PMC1/F2", "a mri of the knee joint", .ok, sha: "b"),
                fig("PMC1/F3", "a schematic of the ct protocol", .captionUnlabelled, sha: nil),
                fig("PMC2/F1", "survival curves of both groups", .captionUnlabelled, sha: nil),
                fig("PMC2/F2", "mean values per group here", .captionUnlabelled, sha: nil),
                fig("PMC2/F3", "an xray of the left hand", FetchStatus(.mediaMissing), sha: nil)
            ],
            images: [
                ImageRecord(sha256: "a", format: "png", width: 100, height: 80),
                ImageRecord(sha256: "b", reject: "corrupt: bad crc")
            ],
            clusters: [
                ClusterRecord(keep: "PMC1/F1", members: ["PMC1/F1"], articles: ["PMC1"], kind: "single", maxDistance: 0)
            ],
            labels: [LabelRecord(id: "PMC1/F1", class: "ct", reason: nil, matched: ["ct:ct"])])
        let report = AuditBuilder.build(
            AuditInputs(name: "cf", recipe: AuditFixtures.recipe(), items: items, work: work))
        let s = Dictionary(uniqueKeysWithValues: report.funnel.stages.map { ($0.stage, $0) })
        #expect(
            report.funnel.stages.map(\.stage) == [
                "candidates", "articles", "captions labelled", "media fetched", "decoded", "unique",
                "labelled", "balanced", "split"
            ])
        #expect(s["captions labelled"]?.count == 3 && s["captions labelled"]?.lost == 3)
        #expect(s["captions labelled"]?.reasons.map(\.count).reduce(0, +) == 3)
        #expect(
            s["captions labelled"]?.reasons.contains { $0.name.contains("exclude") } == true,
            "\(s["captions labelled"]?.reasons ?? [])")
        #expect(
            s["media fetched"]?.count == 2 && s["media fetched"]?.reasons == [.init(name: "media-missing", count: 1)])
        #expect(s["decoded"]?.count == 1 && s["decoded"]?.reasons == [.init(name: "corrupt: bad crc", count: 1)])
        #expect(s["unique"]?.count == 1 && s["split"]?.count == 1)
    }

    /// With `plan.json` and `scan-state.json` in the work directory the funnel sets the plan against the scan; the
    /// requests and bytes of the plan's own sample count on the actual side (the scan reused them).
    @Test func planAgainstTheScanWhenBothFilesAreThere() throws {
        let items = ["train": [AuditFixtures.item("PMC1/F1", "ct", "train", phash: 1, sha: "a")]]
        let range = { (l: Double, m: Double, h: Double) in RebuildPlan.Range3(low: l, mid: m, high: h) }
        var plan = RebuildPlan(
            recipe: "r", candidateOrigin: "listing", candidates: 2_500, sample: 200, perClass: 50,
            usable: ["ct": 52], figuresPerArticle: 4, requestsPerArticle: 3, bytesPerArticle: 100_000,
            bytesPerDocument: 2_700, bytesPerFigure: 100_000, limitingClass: "endoscopy")
        plan.estimate = .init(
            articles: range(541, 910, 2_223), requests: range(1_609, 2_707, 6_613),
            bytes: range(57e6, 96e6, 234e6), seconds: range(536, 902, 2_204), rate: 3)
        let scan = ScanState(
            order: "x", candidates: 2_500, scanned: 814, kept: 791, batches: 4, requests: 1_784,
            bytes: 54_700_000, seconds: 60, stoppedBy: "target", usable: ["ct": 150])
        func build(_ p: RebuildPlan?, _ s: ScanState?) -> AuditReport {
            AuditBuilder.build(
                AuditInputs(
                    name: "p", recipe: AuditFixtures.recipe(), items: items, work: WorkRecords(plan: p, scan: s)))
        }
        let report = build(plan, scan)
        let p = try #require(report.funnel.plan)
        #expect(p.keptArticles == 791 && p.scannedArticles == 814)
        #expect(p.actualRequests == 1_784 + 600 && p.actualBytes == 54_700_000 + 20_000_000)
        #expect(p.articlesDeviation == AuditStatistics.fixed((910.0 - 791) / 791))
        #expect(p.requestsDeviation == AuditStatistics.fixed((2_707.0 - 2_384) / 2_384))
        #expect(p.articlesInInterval == true && p.requestsInInterval)
        #expect(MarkdownRenderer.render(report).contains("## Plan against the scan"))
        #expect(
            MarkdownRenderer.render(report).contains(
                "| articles (kept / scanned) | 910 (541–2223) | 791 / 814 | +15% |"))
        #expect(HTMLRenderer.render(report).contains("Plan against the scan"))
        // Either file alone, or a plan without an estimate, gives no comparison, and report.json has no such field.
        #expect(build(plan, nil).funnel.plan == nil && build(nil, scan).funnel.plan == nil)
        plan.estimate = nil
        let none = build(plan, scan)
        #expect(none.funnel.plan == nil)
        #expect(!String(decoding: try CanonicalJSON.encode(none, pretty: true), as: UTF8.self).contains("\"plan\""))
    }
}
