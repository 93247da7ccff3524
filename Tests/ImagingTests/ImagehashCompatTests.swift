import Foundation
import Testing
@testable import Imaging

/// `../shared/data/images` relative to the package root, or nil when absent.
func sharedImagesDirectory() -> URL? {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    let dir = root.deletingLastPathComponent().appendingPathComponent("shared/data/images")
    return FileManager.default.fileExists(atPath: dir.appendingPathComponent("imagehash_reference.json").path)
        ? dir : nil
}

struct Reference: Decodable {
    struct Entry: Decodable { var phash: String; var dhash: String; var ahash: String; var size: [Int] }
    var images: [String: Entry]
}

@Suite struct ImagehashCompatTests {
    /// imagehash 4.3.2 reference values: every hash within 2 bits; report how many are exact.
    @Test(.enabled(if: sharedImagesDirectory() != nil, "../shared/data/images is absent"))
    func matchesImagehashReference() throws {
        let dir = try #require(sharedImagesDirectory())
        let ref = try JSONDecoder().decode(
            Reference.self, from: Data(contentsOf: dir.appendingPathComponent("imagehash_reference.json")))
        #expect(ref.images.count >= 7)
        var exact = 0, total = 0
        for (name, entry) in ref.images.sorted(by: { $0.key < $1.key }) {
            let data = try Data(contentsOf: dir.appendingPathComponent(name))
            let h = try ImageHasher.hash(data, mode: .imagehash)
            #expect([h.width, h.height] == entry.size, "\(name)")
            for (ours, theirs, kind) in [
                (h.hashes.phash, entry.phash, "phash"), (h.hashes.dhash, entry.dhash, "dhash"),
                (h.hashes.ahash, entry.ahash, "ahash")
            ] {
                let d = PerceptualHash.distance(ours, UInt64(theirs, radix: 16)!)
                total += 1
                if d == 0 { exact += 1 }
                #expect(d <= 2, "\(name) \(kind): ours \(ImageHashes.hex(ours)) imagehash \(theirs), \(d) bits apart")
            }
        }
        print("imagehash compatibility: \(exact) of \(total) hashes exact")
    }
}
