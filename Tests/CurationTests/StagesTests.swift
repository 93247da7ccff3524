import Foundation
import PairDxCore
import PairDxTestSupport
import Testing
@testable import Curation

/// The curation stages end to end on a small work directory: bytes, checksums, verify, exports.
@Suite(.scratch) struct StagesTests {
    func build(_ work: WorkDirectory, root: String, seed: UInt64? = nil) throws -> (split: String, manifest: String) {
        var r = try Fixture.recipe("pairdx-synth-v1")
        if let seed { r.seed = seed }
        let split = root + "/Splits/\(r.name)", manifest = root + "/Manifests/\(r.name)"
        _ = try LabelStage.run(work: work, recipe: r)
        try CurationStages.balance(work: work, recipe: r)
        try CurationStages.split(work: work, recipe: r, name: r.name, splitDir: split)
        try CurationStages.manifest(work: work, recipe: r, name: r.name, splitDir: split, manifestDir: manifest)
        return (split, manifest)
    }

    func bytes(of dir: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for f in FileSystem.listFiles(under: dir) { out[f] = try FileSystem.read(dir + "/" + f) }
        return out
    }

    @Test func sameInputsSameBytesAndSha256sumAccepts() throws {
        let work = try Fixture.makeWork(articles: 120)
        let a = try build(work, root: try Scratch.directory("outA"))
        let b = try build(work, root: try Scratch.directory("outB"))
        #expect(try bytes(of: a.split) == bytes(of: b.split))
        #expect(try bytes(of: a.manifest) == bytes(of: b.manifest))
        for dir in [a.split, a.manifest] {
            let r = try Fixture.run("/usr/bin/sha256sum", ["-c", "SHA256SUMS"], cwd: dir)
            #expect(r.status == 0, "\(r.output)")
        }
        let v = try Verify.run(splitDir: a.split, work: work, against: b.split)
        #expect(v.ok, "\(v.problems)")
        #expect(v.imagesChecked == v.items && v.items > 0)
        let c = try build(work, root: try Scratch.directory("outC"), seed: 5)
        #expect(try bytes(of: c.split)["test.csv"] != bytes(of: a.split)["test.csv"])
    }

    @Test func verifyNamesAOneByteChangeInAnySplitFileOrImage() throws {
        let work = try Fixture.makeWork(articles: 60)
        let out = try build(work, root: try Scratch.directory("tamper"))
        let reference = try Scratch.directory("ref")
        for f in FileSystem.listFiles(under: out.split) {
            try AtomicFile.write(try FileSystem.read(out.split + "/" + f), to: reference + "/" + f)
        }
        for f in ["train.csv", "val.csv", "test.csv", "splits.json"] {
            let p = out.split + "/" + f
            let original = try FileSystem.read(p)
            var d = original
            let i = d.count - 3
            d[i] = d[i] == UInt8(ascii: "a") ? UInt8(ascii: "b") : UInt8(ascii: "a")
            try AtomicFile.write(d, to: p)
            let v = try Verify.run(splitDir: out.split, work: nil, against: nil)
            #expect(!v.ok)
            #expect(
                v.problems.contains {
                    $0.check == .sha256sums && $0.item == f && $0.message.contains("SHA256SUMS line")
                }, "\(v.problems)")
            try AtomicFile.write(original, to: p)
        }
        // An image changes by one byte: named with its item id.
        let first = try SplitFiles.readCSV(out.split + "/train.csv")[0]
        let blob = work.blobs.path(for: first.sha256)
        var img = try FileSystem.read(blob)
        img[0] ^= 1
        try AtomicFile.write(img, to: blob)
        let v = try Verify.run(splitDir: out.split, work: work, against: nil)
        #expect(
            v.problems.contains {
                $0.check == .images && $0.item == first.id && $0.message.hasPrefix("image bytes changed")
            }, "\(v.problems)")
        img[0] ^= 1
        try AtomicFile.write(img, to: blob)
        // A moved item: diff names it with both splits.
        var train = try FileSystem.readString(out.split + "/train.csv").split(
            separator: "\n", omittingEmptySubsequences: false
        ).map(String.init)
        let movedLine = train.remove(at: 1)
        try AtomicFile.write(train.joined(separator: "\n"), to: out.split + "/train.csv")
        let test = try FileSystem.readString(out.split + "/test.csv") + movedLine + "\n"
        try AtomicFile.write(test, to: out.split + "/test.csv")
        let d = try Verify.run(splitDir: out.split, work: nil, against: reference)
        #expect(
            d.problems.contains { $0.check == .diff && $0.item == first.id && $0.message == "moved: train → test" },
            "\(d.problems)")
        #expect(d.problems.contains { $0.check == .diff && $0.message.hasPrefix("class drift") })
    }

    @Test func stableSplitKeepsExistingItemsThroughTheStages() throws {
        var r = try Fixture.recipe("pairdx-synth-v1")
        r.split.mode = .stable; r.balance.policy = .none
        let work = try Fixture.makeWork(articles: 200)
        let root = try Scratch.directory("stable")
        func run() throws -> [String: String] {
            _ = try LabelStage.run(work: work, recipe: r)
            try CurationStages.balance(work: work, recipe: r)
            try CurationStages.split(work: work, recipe: r, name: r.name, splitDir: root)
            var m: [String: String] = [:]
            for s in SplitName.allCases {
                for it in try SplitFiles.readCSV(root + "/\(s.rawValue).csv") { m[it.id] = s.rawValue }
            }
            return m
        }
        let before = try run()
        try Fixture.appendArticles(work: work, range: 201..<211, seed: 3)
        let after = try run()
        #expect(after.count > before.count)
        #expect(before.allSatisfy { after[$0.key] == $0.value })
    }

    static let referenceTools = Prerequisite.python(["bagit", "mlcroissant"])

    @Test(referenceTools.trait) func croissantAndBagValidateWithTheReferenceTools() throws {
        let py = try Self.referenceTools.require()
        let work = try Fixture.makeWork(articles: 40)
        let root = try Scratch.directory("export")
        let out = try build(work, root: root)
        let bag = root + "/bag"
        let s = try Export.bagit(splitDir: out.split, manifestDir: out.manifest, work: work, to: bag)
        #expect(s.missingImages.isEmpty && s.files > 0)
        let oxum = try FileSystem.readString(bag + "/bag-info.txt")
        #expect(oxum.contains("Payload-Oxum: \(s.bytes).\(s.files)"))
        let folder = try Export.imageFolder(
            splitDir: out.split, recipe: try Fixture.recipe("pairdx-synth-v1"), work: work, to: root + "/folder")
        #expect(
            folder.files == s.files - FileSystem.listFiles(under: out.split).count
                - FileSystem.listFiles(under: out.manifest).count)
        #expect(FileSystem.exists(root + "/folder/train/metadata.jsonl"))
        let b = try Fixture.run(py, ["-c", "import bagit,sys; bagit.Bag(sys.argv[1]).validate(); print('bag ok')", bag])
        #expect(b.status == 0, "\(b.output)")
        let c = try Fixture.run(py, ["-m", "mlcroissant", "validate", "--jsonld", out.manifest + "/croissant.json"])
        let mlc =
            c.status == 0
            ? c
            : try Fixture.run(
                (py as NSString).deletingLastPathComponent + "/mlcroissant",
                ["validate", "--jsonld", out.manifest + "/croissant.json"])
        #expect(mlc.status == 0 && !mlc.output.contains("error"), "\(mlc.output)")
        // A bag with one payload byte changed no longer validates.
        let anyImage = FileSystem.listFiles(under: bag + "/data/images")[0]
        var d = try FileSystem.read(bag + "/data/images/" + anyImage)
        d[0] ^= 0xFF
        try AtomicFile.write(d, to: bag + "/data/images/" + anyImage)
        #expect(try Fixture.run(py, ["-c", "import bagit,sys; bagit.Bag(sys.argv[1]).validate()", bag]).status != 0)
    }
}
