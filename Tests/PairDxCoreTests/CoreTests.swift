import Foundation
import PairDxTestSupport
import Testing
@testable import PairDxCore

@Suite struct DigestTests {
    @Test func sha256KnownVectors() {
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func md5KnownVector() {
        let h = Hasher256(.md5); h.update("abc")
        #expect(h.finalizeHex() == "900150983cd24fb0d6963f7d28e17f72")
    }

    @Test func keyedHashDependsOnSeedAndIdOnly() {
        let a = KeyedHash.value(seed: 1, domain: "split", id: "PMC1/F1")
        #expect(a == KeyedHash.value(seed: 1, domain: "split", id: "PMC1/F1"))
        #expect(a != KeyedHash.value(seed: 2, domain: "split", id: "PMC1/F1"))
        #expect(a != KeyedHash.value(seed: 1, domain: "balance", id: "PMC1/F1"))
        let u = KeyedHash.unit(seed: 7, domain: "x", id: "y")
        #expect(u >= 0 && u < 1)
    }

    @Test func hex64RoundTrips() {
        for v: UInt64 in [0, 1, 0x8000_0000_0000_0000, .max, 0x0123_4567_89ab_cdef] {
            #expect(Hex.decode64(Hex.encode64(v)) == v)
            #expect(Hex.encode64(v).count == 16)
        }
    }
}

@Suite struct IdentifierTests {
    @Test func parsesPMCIDs() {
        #expect(PMCID.parse("PMC123")! == ("PMC123", nil))
        #expect(PMCID.parse("pmc0123.2")! == ("PMC123", 2))
        #expect(PMCID.parse("  4567 ")! == ("PMC4567", nil))
        #expect(PMCID.parse("PMC") == nil)
        #expect(PMCID.parse("PMC12a") == nil)
        #expect(PMCID.parse("PMC12.0") == nil)
        #expect(PMCID.parse("../etc") == nil)
    }

    @Test func itemIdsSortNumericallyByArticle() {
        let ids = ["PMC10/F1", "PMC9/F2", "PMC9/F10", "PMC100/a"]
        let sorted = ids.sorted { ItemID.sortKey($0) < ItemID.sortKey($1) }
        #expect(sorted == ["PMC9/F10", "PMC9/F2", "PMC10/F1", "PMC100/a"])
    }

    @Test func shardsPartitionIds() throws {
        let ids = (0..<400).map { "PMC\($0)/F1" }
        var seen = Set<String>()
        for i in 0..<4 {
            let s = try Shard(index: i, count: 4)
            for id in ids where s.contains(id) { #expect(seen.insert(id).inserted) }
        }
        #expect(seen.count == ids.count)
        #expect(throws: PairDxError.self) { try Shard(parsing: "4/4") }
        #expect(throws: PairDxError.self) { try Shard(parsing: "x") }
    }
}

@Suite(.scratch) struct FileTests {
    @Test func atomicWriteLeavesNoTemporaries() throws {
        let d = try Scratch.directory("core")
        try AtomicFile.write("hello\n", to: d + "/sub/a.txt")
        try AtomicFile.write("world\n", to: d + "/sub/a.txt")
        #expect(try FileSystem.readString(d + "/sub/a.txt") == "world\n")
        let names = try FileManager.default.contentsOfDirectory(atPath: d + "/sub")
        #expect(names == ["a.txt"])
    }

    @Test func listFilesSortsSkipsHiddenAndFollowsFileLinksOnlyWhenAsked() throws {
        let d = try Scratch.directory("core")
        let fm = FileManager.default
        try AtomicFile.write("b", to: d + "/b.png")
        try AtomicFile.write("a", to: d + "/sub/a.jpg")
        try AtomicFile.write("h", to: d + "/.hidden/c.png")
        try AtomicFile.write("x", to: d + "/elsewhere/x.png")
        try fm.createSymbolicLink(atPath: d + "/link.png", withDestinationPath: d + "/elsewhere/x.png")
        try fm.createSymbolicLink(atPath: d + "/dirlink", withDestinationPath: d + "/sub")
        try fm.createSymbolicLink(atPath: d + "/dangling.png", withDestinationPath: d + "/nowhere.png")
        #expect(FileSystem.listFiles(under: d) == ["b.png", "elsewhere/x.png", "sub/a.jpg"])
        #expect(
            FileSystem.listFiles(under: d, followingFileLinks: true)
                == ["b.png", "elsewhere/x.png", "link.png", "sub/a.jpg"])
    }

    @Test func jsonlIsSortedCanonicalAndReportsLineNumbers() throws {
        let d = try Scratch.directory("core")
        let recs = [Candidate(pmcid: "PMC10", via: .ids), Candidate(pmcid: "PMC9", version: 2, via: .ids)]
        try JSONL.write(recs, to: d + "/c.jsonl", sortedBy: \.sortKey)
        let text = try FileSystem.readString(d + "/c.jsonl")
        #expect(text == "{\"pmcid\":\"PMC9\",\"version\":2,\"via\":\"ids\"}\n{\"pmcid\":\"PMC10\",\"via\":\"ids\"}\n")
        #expect(try JSONL.read(Candidate.self, from: d + "/c.jsonl") == recs.reversed())
        // A `via` this version does not know is kept as read and written back unchanged.
        try AtomicFile.write("{\"pmcid\":\"PMC1\",\"via\":\"crawl\"}\n", to: d + "/other.jsonl")
        let other = try JSONL.read(Candidate.self, from: d + "/other.jsonl")
        #expect(other.map(\.via) == [.other("crawl")])
        try JSONL.write(other, to: d + "/other2.jsonl", sortedBy: \.sortKey)
        #expect(try FileSystem.read(d + "/other2.jsonl") == FileSystem.read(d + "/other.jsonl"))
        try AtomicFile.write("{\"pmcid\":\"PMC1\",\"via\":\"x\"}\n{oops\n", to: d + "/bad.jsonl")
        do {
            _ = try JSONL.read(Candidate.self, from: d + "/bad.jsonl")
            Issue.record("expected an error")
        } catch let e as PairDxError {
            #expect(e.kind == .badInput)
            #expect(e.message.contains("bad.jsonl:2"))
        }
    }

    /// Decoding on several threads, in slices of lines, gives the records in file order and the error of the first
    /// bad line in file order, whatever the thread count (slices of 1,024 lines or more: 5,000 lines make several).
    @Test func jsonlReadsTheSameOnEveryThreadCount() throws {
        let d = try Scratch.directory("core")
        let recs = (0..<5_000).map { Candidate(pmcid: "PMC\($0 + 1)", version: $0 % 3 == 0 ? nil : $0 % 7, via: .ids) }
        var text = try recs.map { String(decoding: try CanonicalJSON.encode($0), as: UTF8.self) }
            .joined(separator: "\n")
        text = "\n" + text.replacingOccurrences(of: "\"PMC2500\"", with: "\"PMC2500\" \r") + "\n\n"
        try AtomicFile.write(text, to: d + "/many.jsonl")
        for threads in [1, 2, 3, 8] {
            #expect(try JSONL.read(Candidate.self, from: d + "/many.jsonl", threads: threads) == recs, "\(threads)")
        }
        // Two bad lines in different slices: the earlier one is reported.
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[4_001] = "{\"pmcid\": 7}"
        lines[1_201] = "{oops"
        try AtomicFile.write(lines.joined(separator: "\n"), to: d + "/bad-many.jsonl")
        for threads in [1, 2, 8] {
            do {
                _ = try JSONL.read(Candidate.self, from: d + "/bad-many.jsonl", threads: threads)
                Issue.record("expected an error on \(threads) threads")
            } catch let e as PairDxError {
                #expect(e.message.contains("bad-many.jsonl:1202:"), "\(threads): \(e.message)")
            }
        }
    }

    /// The line ranges JSONL reads by are the lines `split` gives (but for the empty one after a final newline), also
    /// in a slice of a larger buffer.
    @Test func lineRangesAreTheLines() {
        for text in ["", "\n", "a", "a\n", "\n\na\n\nbc\r\n", "{\"x\":1}\n{\"x\":2}", "x\n\n"] {
            for data in [Data(text.utf8), Data(("zz" + text).utf8).dropFirst(2)] {
                var expected = data.split(separator: 0x0A, omittingEmptySubsequences: false).map { Data($0) }
                if data.last == 0x0A || data.isEmpty { expected.removeLast() }
                #expect(JSONL.lineRanges(data).map { Data(data[$0]) } == expected, "\(text.debugDescription)")
            }
        }
    }

    @Test func blobStoreIsContentAddressed() throws {
        let d = try Scratch.directory("core")
        let store = BlobStore(root: d + "/blobs")
        let digest = try store.put(Data("abc".utf8))
        #expect(digest == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(store.path(for: digest).hasSuffix("sha256/ba/78/\(digest)"))
        #expect(try store.read(digest) == Data("abc".utf8))
        #expect(store.all() == [digest])
        #expect(try SHA256.hex(fileAt: store.path(for: digest)) == digest)
    }

    @Test func csvQuotesOnlyWhenNeededAndParsesBack() {
        let fields = ["plain", "with,comma", "with \"quote\"", "line\nbreak", ""]
        let line = CSV.line(fields)
        #expect(line == "plain,\"with,comma\",\"with \"\"quote\"\"\",\"line\nbreak\",\n")
        #expect(CSV.parse(line) == [fields])
    }
}

@Suite struct RecipeDedupeTests {
    static let manifests = Prerequisite.packageRoot + "/Manifests"

    /// The recipe's `dedupe.crops` turns the crop search on: the demo recipe has it, and a recipe without it (the
    /// published ones, written before the field existed) keeps it off, so its committed split reproduces.
    @Test func cropSearchFollowsTheRecipeAndIsOffWhenAbsent() throws {
        let demo = try Recipe.load(Self.manifests + "/pairdx-synth-v1/recipe.json")
        #expect(demo.dedupe.crops == true && demo.dedupe.cropSearch)
        for name in ["pairdx-v1", "pairdx-v2"] {
            let r = try Recipe.load(Self.manifests + "/\(name)/recipe.json")
            #expect(r.dedupe.crops == nil && !r.dedupe.cropSearch, "\(name)")
        }
        // The demo recipe written without the field, then with each value.
        var without = demo
        without.dedupe.crops = nil
        let text = String(decoding: try CanonicalJSON.encode(without, pretty: true), as: UTF8.self)
        let marker = "\"dedupe\" : {"
        #expect(text.contains(marker) && !text.contains("\"crops\""))
        func with(_ value: String) throws -> Recipe.DedupeSpec {
            let edited = text.replacingOccurrences(of: marker, with: marker + "\"crops\" : \(value),")
            return try Recipe.parse(Data(edited.utf8), source: value).dedupe
        }
        let on = try with("true"), off = try with("false")
        #expect(on.cropSearch && on.crops == true)
        #expect(!off.cropSearch && off.crops == false)
        #expect(on.radius == 10 && off.radius == 10)
        // A value of another type is an error that names the field.
        let error = #expect(throws: PairDxError.self) { try with("\"yes\"") }
        #expect(error?.description.contains("expected Bool at dedupe.crops") == true, "\(String(describing: error))")
    }
}
