import Foundation
import PairDxTestSupport
import Testing
@testable import Training
import PairDxCore

@Suite("safetensors", .scratch) struct DataSafeTensorsTests {
    @Test func roundTripsAndIsByteStable() throws {
        var file = SafeTensors.File(metadata: ["format": "pt", "model": "text"])
        file.tensors["b.weight"] = .init(shape: [2, 3], values: [1, -2, 3.5, 0, .leastNonzeroMagnitude, 6])
        file.tensors["a"] = .init(shape: [1], values: [42])
        let data = try SafeTensors.encode(file)
        #expect(try SafeTensors.encode(file) == data)
        let headerLength = data.withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        #expect(headerLength % 8 == 0)
        let back = try SafeTensors.decode(data, source: "mem")
        #expect(back.tensors == file.tensors && back.metadata == file.metadata)
        #expect(throws: PairDxError.self) { try back.tensor("b.weight", shape: [3, 2]) }
        #expect(throws: PairDxError.self) { try back.tensor("missing") }
    }

    @Test func rejectsTruncatedAndCorruptFiles() throws {
        var file = SafeTensors.File()
        file.tensors["w"] = .init(shape: [4], values: [1, 2, 3, 4])
        let data = try SafeTensors.encode(file)
        #expect(throws: PairDxError.self) { try SafeTensors.decode(data.prefix(data.count - 4), source: "t") }
        #expect(throws: PairDxError.self) { try SafeTensors.decode(Data([1, 2, 3]), source: "t") }
        var junk = data; junk[9] = 0x21
        #expect(throws: PairDxError.self) { try SafeTensors.decode(junk, source: "t") }
    }

    static let safetensors = Prerequisite.python(["safetensors.numpy"])

    /// A checkpoint we write loads in Python's `safetensors` with the same values (skipped, with the reason, without it).
    @Test(safetensors.trait) func pythonSafetensorsReadsOurFiles() throws {
        let python = try Self.safetensors.require()
        let dir = try Scratch.directory("safetensors")
        var file = SafeTensors.File(metadata: ["classes": "ct,mri"])
        file.tensors["head.weight"] = .init(shape: [2, 2], values: [0.5, -1, 2, 1e-7])
        try SafeTensors.write(file, to: dir + "/c.safetensors")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [
            "-c",
            "import sys\nfrom safetensors.numpy import load_file\nd=load_file(sys.argv[1]); print(repr(d['head.weight'].tolist()), d['head.weight'].dtype)",
            dir + "/c.safetensors"
        ]
        let out = Pipe(); p.standardOutput = out; p.standardError = Pipe()
        try p.run()
        p.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(p.terminationStatus == 0)
        #expect(text.contains("[[0.5, -1.0], [2.0, 1.0000000116860974e-07]] float32"), "\(text)")
    }
}
