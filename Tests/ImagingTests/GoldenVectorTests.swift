import Testing
@testable import Imaging

/// The golden vectors of docs/pairdx-phash-v1.md. Each image is defined by a formula; the expected
/// values were also produced by imagehash 4.3.2 / Pillow 11.3 from the same arrays.
enum Golden {
    static func image(_ w: Int, _ h: Int, _ channels: Int, _ f: (Int, Int) -> [Int]) -> Image {
        var px = [UInt8]()
        px.reserveCapacity(w * h * channels)
        for y in 0..<h { for x in 0..<w { px += f(x, y).map { UInt8($0 & 255) } } }
        return Image(width: w, height: h, channels: channels, pixels: px)
    }
    static let v1 = image(64, 64, 1) { x, y in [x * x + y * 3] }
    static let v2 = image(97, 61, 3) { x, y in [x * 7 + y * 3, x * y, 255 - x * 2 - y] }
    static let v3 = image(300, 200, 3) { x, y in [((x / 10 + y / 10) % 2) * 200 + 20, x * 255 / 299, y * 255 / 199] }
    static let v4 = image(33, 40, 1) { x, y in [(x - 11) * (x - 11) + (y - 23) * (y - 23) < 90 ? 255 : 30] }
}

@Suite struct GoldenVectorTests {
    @Test(arguments: [
        ("V1", "80005755ba3677fb", "e892a3adb5223a7d", "245a4945d9d28ebd"),
        ("V2", "c003170d1f1f3f3e", "c9d99b93b3b63626", "246d4949dbdb9292"),
        ("V3", "a828bf2adf0a2f2a", "ffffffffffffffff", "070f0f0f0f0f1f1f"),
        ("V4", "c03f37c8d8063b3b", "401864e292c2e418", "00000078f8f87000")
    ])
    func hashes(name: String, phash: String, dhash: String, ahash: String) {
        let image = ["V1": Golden.v1, "V2": Golden.v2, "V3": Golden.v3, "V4": Golden.v4][name]!
        let h = ImageHasher.hashes(of: image)
        #expect(h.phashHex == phash, "\(name) pHash")
        #expect(h.dhashHex == dhash, "\(name) dHash")
        #expect(h.ahashHex == ahash, "\(name) aHash")
    }

    @Test(arguments: [
        ("V1", "801f00fc1750552b9ac912766770198cb52d5ce63922674f7f65ccaed361f1f9"),
        ("V2", "c00003ef17cb0d1e1fb01f803f213e0f3e1f3c3e78fc78f070f170c373877387"),
        ("V3", "aa88028af136200afe4a228afb9d28a8ffaf020a7dff0aaadefa2aaa5fef222a"),
        ("V4", "c0163fe937e9c806d80606f93b003b24c0dfd89fc7e8c6c83b17c8f8b8dbc7e8")
    ])
    func wideHash(name: String, expected: String) {
        let image = ["V1": Golden.v1, "V2": Golden.v2, "V3": Golden.v3, "V4": Golden.v4][name]!
        let h = ImageHasher.hashes(of: image, wide: true)
        #expect(h.phash256Hex == expected, "\(name) 256-bit pHash")
        #expect(ImageHashes.words256(expected) == h.phash256)
    }

    @Test func lumaAndResampleIntermediates() {
        let triples: [[UInt8]] = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255], [12, 200, 99]]
        let luma = triples.map { Luma.plane(Image(width: 1, height: 1, channels: 3, pixels: $0))[0] }
        #expect(luma == [76, 150, 29, 255, 132])
        let l32 = Resample.resize(
            Luma.plane(Golden.v3), width: 300, height: 200, channels: 1, toWidth: 32, toHeight: 32)
        #expect(Array(l32.prefix(8)) == [6, 69, 23, 73, 40, 74, 58, 73])
        let rgb = Resample.resize(Golden.v3, width: 7, height: 5)
        #expect(Array(rgb.pixels.prefix(9)) == [119, 17, 25, 120, 53, 25, 120, 91, 25])
    }

    @Test func hexIsSixteenLowercaseDigitsMostSignificantBitFirst() {
        #expect(ImageHashes.hex(1) == "0000000000000001")
        #expect(ImageHashes.hex(1 << 63) == "8000000000000000")
        #expect(PerceptualHash.ahash(from8x8: [200] + [UInt8](repeating: 0, count: 63)) == 1 << 63)
    }
}
