import Foundation
import PairDxCore
import PairDxTestSupport
import Testing
@testable import Pipeline

/// Fingerprints see code: a stage's code version is part of its fingerprint, and the golden digests of every stamped
/// stage's outputs on a small demo corpus force the version up whenever those bytes change.
@Suite(.serialized, .scratch) struct StageCodeTests {
    static let packageRoot = Prerequisite.packageRoot
    static let goldenPath = packageRoot + "/Tests/PipelineTests/Fixtures/stage-outputs.json"

    /// The golden file: per stamped stage, the code version its digests were taken with and the digests.
    struct Golden: Codable, Equatable {
        struct Entry: Codable, Equatable {
            var code: Int
            var outputs: [String: String]
        }
        var figures: Int
        var stages: [String: Entry]
    }

    /// A stage that appends one line to `out` per run, so the test sees whether it ran.
    func counting(_ work: WorkDirectory, input: String, code: Int?, params: [String: String] = [:]) -> Stage {
        let out = work.path("out.txt")
        return Stage(.label, inputs: [input], outputs: [out], parameters: params, codeVersion: code) {
            let before = (try? FileSystem.readString(out)) ?? ""
            try AtomicFile.write(before + "run\n", to: out)
        }
    }

    @Test func aNewCodeVersionRerunsTheStageAndTheSameOneSkipsIt() throws {
        let root = try Scratch.directory("stagecode-code")
        let work = WorkDirectory(root + "/work")
        try AtomicFile.write("input\n", to: work.path("in.txt"))
        var runner = StageRunner(work: work)
        try runner.run(counting(work, input: work.path("in.txt"), code: 1))
        try runner.run(counting(work, input: work.path("in.txt"), code: 1))
        try runner.run(counting(work, input: work.path("in.txt"), code: 2))
        try runner.run(counting(work, input: work.path("in.txt"), code: 2, params: ["p": "x"]))
        #expect(runner.log.map(\.ran) == [true, false, true, true])
        #expect(try FileSystem.readString(work.path("out.txt")) == "run\nrun\nrun\n")
        // The default is the table's version.
        #expect(counting(work, input: "", code: nil).codeVersion == StageName.label.codeVersion)
    }

    @Test func aMovedWorkDirectoryKeepsItsStamps() throws {
        let root = try Scratch.directory("stagecode-move")
        let work = WorkDirectory(root + "/a/work")
        try AtomicFile.write("input\n", to: work.path("in.txt"))
        var runner = StageRunner(work: work)
        try runner.run(counting(work, input: work.path("in.txt"), code: 1))
        try FileManager.default.moveItem(atPath: root + "/a", toPath: root + "/b")
        let moved = WorkDirectory(root + "/b/work")
        var again = StageRunner(work: moved)
        try again.run(counting(moved, input: moved.path("in.txt"), code: 1))
        #expect(again.log.map(\.ran) == [false])
    }

    /// Every stamped stage of `rebuild` on the demo corpus at a small size, with the code version each ran with.
    func measure(figures: Int) async throws -> Golden {
        let root = try Scratch.directory("stagecode-golden")
        let recipe = root + "/Manifests/pairdx-synth-v1/recipe.json"
        try AtomicFile.write(
            try FileSystem.read(Self.packageRoot + "/Manifests/pairdx-synth-v1/recipe.json"), to: recipe)
        var o = Rebuild.Options(recipePath: recipe, work: WorkDirectory(root + "/work"))
        o.splitsRoot = root + "/Splits"
        o.manifestsRoot = root + "/Manifests"
        o.reportDir = root + "/report"
        o.threads = 2
        o.synthFigures = figures
        o.audit = false
        let result = try await Rebuild(o).run()
        var stages: [String: Golden.Entry] = [:]
        for (name, ran, _) in result.stages {
            #expect(ran, "\(name) did not run on a fresh work directory")
            let stamp = try JSONDecoder().decode(
                Stamp.self, from: FileSystem.read(WorkDirectory(root + "/work").path(".stamps/\(name).json")))
            var outputs: [String: String] = [:]
            for (k, v) in stamp.outputs {
                outputs[k.hasPrefix(root + "/") ? String(k.dropFirst(root.count + 1)) : k] = v
            }
            stages[name] = .init(code: StageName(rawValue: name)!.codeVersion, outputs: outputs)
        }
        return Golden(figures: figures, stages: stages)
    }

    /// Fails when a stage's output bytes changed while its code version did not (bump it in `StageName.codeVersion`),
    /// or when a version changed without new golden digests. Either way the measured table is written to
    /// `.build/stage-outputs.new.json`: review it and copy it over the fixture.
    @Test func outputBytesChangeOnlyWithTheCodeVersion() async throws {
        let golden = try JSONDecoder().decode(Golden.self, from: FileSystem.read(Self.goldenPath))
        let now = try await measure(figures: golden.figures)
        let proposal = Self.packageRoot + "/.build/stage-outputs.new.json"
        if now != golden { try AtomicFile.write(try CanonicalJSON.encode(now, pretty: true), to: proposal) }
        #expect(Set(now.stages.keys) == Set(golden.stages.keys), "the stamped stages changed; see \(proposal)")
        for (name, entry) in golden.stages.sorted(by: { $0.key < $1.key }) {
            guard let measured = now.stages[name] else { continue }
            if measured.code == entry.code {
                #expect(
                    measured.outputs == entry.outputs,
                    "stage \(name) writes other bytes at code version \(entry.code): bump StageName.\(name).codeVersion and update the golden file from \(proposal)"
                )
            } else {
                Issue.record(
                    "stage \(name) is at code version \(measured.code), the golden digests at \(entry.code): update the golden file from \(proposal)"
                )
            }
        }
    }
}
