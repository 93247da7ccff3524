import Foundation
import PairDxTestSupport
import Testing
@testable import Ingest
import MirrorServer
import PairDxCore

/// The synthetic corpus (`pairdx synth`) fetched over HTTP and from its directory gives identical
/// outputs, and every planted hazard the truth file lists is recorded with its reason.
@Suite(.scratch) struct SynthMirrorTests {
    struct Truth: Decodable {
        struct Figure: Decodable { var id: String }
        var figures: [Figure]
        var hazards: [String: [String]]
    }

    static let executable = Prerequisite.pairdx.value

    @Test(Prerequisite.pairdx.trait)
    func synthMirrorOverHTTPAndDirectoryIsIdenticalAndHazardsAreRecorded() async throws {
        try Prerequisite.pairdx.require()
        let dir = try Scratch.directory("synth")
        let status = try await runProcess(
            Self.executable!,
            [
                "synth", "--seed", "1", "--out", dir + "/mirror",
                "--figures", "30", "--log-level", "warning"
            ])
        try #require(status == 0)
        let truth = try JSONDecoder().decode(Truth.self, from: try FileSystem.read(dir + "/mirror.truth.json"))

        var o = HTTPClientOptions(); o.backoffBase = 0.02
        let mirror = try await RunningMirror.start(dir + "/mirror")
        defer { Task { await mirror.stop() } }
        let viaDir = try await Discoverer(client: HTTPClient(options: o)).fromListing(try Source(dir + "/mirror"))
        let viaHTTP = try await Discoverer(client: HTTPClient(options: o)).fromListing(try Source(mirror.base))
        #expect(viaDir == viaHTTP.map { Candidate(pmcid: $0.pmcid, version: $0.version, via: .mirror) })
        let a = WorkDirectory(dir + "/by-dir"), b = WorkDirectory(dir + "/by-http")
        _ = try await Fetcher(source: try Source(dir + "/mirror"), work: a, client: HTTPClient(options: o)).run(viaDir)
        _ = try await Fetcher(source: try Source(mirror.base), work: b, client: HTTPClient(options: o)).run(viaHTTP)
        #expect(try FileSystem.readString(a.articles) == FileSystem.readString(b.articles))
        #expect(try FileSystem.readString(a.figures) == FileSystem.readString(b.figures))
        #expect(a.blobs.all() == b.blobs.all())

        let articles = Dictionary(
            uniqueKeysWithValues: try JSONL.read(ArticleRecord.self, from: a.articles).map { ($0.pmcid, $0) })
        let figures = Dictionary(
            uniqueKeysWithValues: try JSONL.read(FigureRecord.self, from: a.figures).map { ($0.id, $0) })
        for id in truth.hazards["retracted"] ?? [] { #expect(articles[id]?.status.rawValue == "retracted", "\(id)") }
        for id in truth.hazards["notOpenAccess"] ?? [] {
            #expect(articles[id]?.status.rawValue == "not-open-access", "\(id)")
        }
        for id in truth.hazards["noFigures"] ?? [] { #expect(articles[id]?.status.rawValue == "no-figures", "\(id)") }
        for id in truth.hazards["missingMedia"] ?? [] {
            #expect(figures[id]?.status.rawValue == "media-missing", "\(id)")
        }
        for id in truth.hazards["nonImageMedia"] ?? [] { #expect(figures[id]?.status.reason == .notAnImage, "\(id)") }
        for id in truth.hazards["unsupportedFormat"] ?? [] {
            #expect(figures[id]?.status.reason == .unsupportedFormat, "\(id)")
        }
        for id in truth.hazards["figGroup"] ?? [] { #expect(figures[id]?.context == "fig-group", "\(id)") }
        for id in truth.hazards["noLabel"] ?? [] { #expect(figures[id] != nil && figures[id]?.label == nil, "\(id)") }
        // Every figure of the ground truth is a figure record (hazards included), except those of
        // articles skipped before their JATS is read.
        let skipped = Set((truth.hazards["retracted"] ?? []) + (truth.hazards["notOpenAccess"] ?? []))
        for f in truth.figures where !skipped.contains(ItemID.article(of: f.id)) {
            #expect(figures[f.id] != nil, "\(f.id) missing from figures.jsonl")
        }
        #expect(figures.values.filter { $0.status.rawValue == "ok" }.count >= truth.figures.count / 2)
    }
}
