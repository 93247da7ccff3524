import Foundation
import PairDxTestSupport
import Testing
import PairDxCore
@testable import Synth

@Suite(.scratch) struct DeterminismTests {
    @Test func sameSeedGivesIdenticalBytesWhateverTheThreadCount() throws {
        let a = try Corpora.seed11.get(), b = try Corpora.seed11Serial.get()
        #expect(a.checksums.count > 60)
        #expect(a.checksums == b.checksums)
        let differing = a.checksums.keys.filter { a.checksums[$0] != b.checksums[$0] }.sorted()
        #expect(differing.isEmpty, "files differing between 1 and 2 threads: \(differing.prefix(5))")
    }

    @Test func anotherSeedGivesAnotherCorpus() throws {
        let a = try Corpora.seed11.get(), c = try Corpora.seed12.get()
        #expect(a.truth != c.truth)
        let mediaA = Set(a.checksums.filter { !$0.key.hasSuffix(".xml") && !$0.key.hasSuffix(".json") }.values)
        let mediaC = Set(c.checksums.filter { !$0.key.hasSuffix(".xml") && !$0.key.hasSuffix(".json") }.values)
        #expect(mediaA.intersection(mediaC).isEmpty, "media bytes shared between seeds")
        #expect(Set(a.checksums.keys) != Set(c.checksums.keys))
    }

    @Test func generatorStreamsAreKeyedAndIndependent() {
        var a = SynthRandom(seed: 1, domain: "d", id: "x"), b = SynthRandom(seed: 1, domain: "d", id: "x")
        var c = SynthRandom(seed: 2, domain: "d", id: "x"), d = SynthRandom(seed: 1, domain: "d", id: "y")
        let sa = (0..<8).map { _ in a.next() }
        #expect(sa == (0..<8).map { _ in b.next() })
        #expect(sa != (0..<8).map { _ in c.next() })
        #expect(sa != (0..<8).map { _ in d.next() })
        var g = SynthRandom(seed: 3, domain: "gauss", id: "z")
        let xs = (0..<20_000).map { _ in Double(g.gaussian()) }
        let mean = xs.reduce(0, +) / Double(xs.count)
        let variance = xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(xs.count)
        #expect(abs(mean) < 0.03)
        #expect(abs(variance - 1) < 0.05)
    }

    @Test func summaryCountsWhatIsOnDisk() throws {
        let a = try Corpora.seed11.get()
        #expect(a.summary.figures == 60)
        #expect(a.summary.figures == a.truth.figures.count)
        let onDisk = a.checksums.keys.filter { $0 != "<truth>" }
        let media = onDisk.filter { !$0.hasSuffix(".xml") && !$0.hasSuffix(".json") }
        #expect(media.count == a.summary.mediaFiles)
        #expect(a.folders().count == a.summary.versions)
        var bytes = 0
        for rel in onDisk {
            bytes += (try FileManager.default.attributesOfItem(atPath: a.dir + "/" + rel)[.size] as? Int) ?? 0
        }
        #expect(bytes == a.summary.bytes)
    }

    @Test func refusesBadOptions() throws {
        let dir = try Scratch.directory("synth-bad") + "/out"
        #expect(throws: PairDxError.self) {
            try SynthGenerator.run(SynthOptions(seed: 1, out: dir, figures: 5, threads: 1))
        }
        try FileSystem.makeDirectory(dir)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: dir + "/notes.txt"))
        do {
            _ = try SynthGenerator.run(SynthOptions(seed: 1, out: dir, figures: 30, threads: 1))
            Issue.record("a non-empty --out was accepted")
        } catch let e as PairDxError {
            #expect(e.kind == .usage)
            #expect(e.message.contains(dir))
        }
    }
}
