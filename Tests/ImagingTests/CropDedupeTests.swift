import Foundation
import PairDxTestSupport
import PairDxCore
import Testing
@testable import Imaging

/// The 256-bit block search, clustering without chaining, and the crop signature of `pairdx-phash-v2`.
@Suite(.scratch) struct CropDedupeTests {
    /// The `cw`×`ch` window at (`x`, `y`) of an RGB image `width` pixels wide.
    static func crop(_ p: [UInt8], width w: Int, x: Int, y: Int, cw: Int, ch: Int) -> [UInt8] {
        var out = [UInt8]()
        for row in y..<(y + ch) { out += p[((row * w + x) * 3)..<((row * w + x + cw) * 3)] }
        return out
    }

    /// Stores the RGB pixels as a PNG blob and returns a fetched figure record `id` pointing at it.
    static func storedFigure(_ id: String, _ px: [UInt8], _ pw: Int, _ ph: Int, in store: BlobStore) throws
        -> FigureRecord
    {
        try storedFigure(id, try ImageEncoder.png(pixels: px, width: pw, height: ph, channels: 3), in: store)
    }
    /// Stores the encoded image and returns a fetched figure record `id` pointing at it.
    static func storedFigure(_ id: String, _ data: Data, in store: BlobStore) throws -> FigureRecord {
        let sha = try store.put(data)
        return FigureRecord(
            id: id, pmcid: ItemID.article(of: id), version: 1, figure: "F1", label: nil, caption: "c",
            context: "fig", href: "h", media: "m", license: nil, sha256: sha, bytes: data.count,
            url: nil, status: .ok)
    }
    /// A fresh work directory holding the figures `make` stores in its blob store, hashed: what `Dedupe.run` takes,
    /// with the pixels read back from the store.
    static func hashedFigures(_ make: (BlobStore) throws -> [FigureRecord]) throws
        -> (figures: [FigureRecord], images: [ImageRecord], pixels: Dedupe.PixelSource)
    {
        let tmp = try TempWork()
        let store = tmp.work.blobs
        let figures = try make(store)
        _ = try HashStage.run(work: tmp.work, threads: 2)
        return (figures, try JSONL.read(ImageRecord.self, from: tmp.work.images), { try? store.read($0) })
    }

    /// Random 256-bit codes (four words each), with `planted` near copies at 1–`spread` flipped bits.
    static func codes(count: Int, planted: Int, spread: Int, seed: UInt64) -> [UInt64] {
        var rng = SplitMix64(state: seed)
        var out = (0..<(count * 4)).map { _ in rng.next() }
        for k in 0..<planted {
            let from = Int(rng.next() % UInt64(count)), to = (from + 1 + k) % count
            var c = Array(out[(from * 4)..<(from * 4 + 4)])
            for _ in 0..<(1 + Int(rng.next() % UInt64(spread))) {
                let b = Int(rng.next() % 256); c[b / 64] ^= 1 << UInt64(b % 64)
            }
            out.replaceSubrange((to * 4)..<(to * 4 + 4), with: c)
        }
        return out
    }

    @Test(arguments: [4, 16, 20])
    func wideSelfJoinEqualsBruteForce(radius: Int) {
        let c = Self.codes(count: 600, planted: 150, spread: radius + 4, seed: UInt64(radius))
        let truth = WideJoin.bruteForce(queries: c, targets: nil, radius: radius)
        #expect(truth.count > 20)
        for threads in [1, 2] {
            let out = WideJoin.selfJoin(c, radius: radius, threads: threads)
            #expect(out.matches == truth)
            #expect(out.compared >= truth.count)
        }
    }

    @Test func wideJoinOfQueriesAndTargetsEqualsBruteForce() {
        let q = Self.codes(count: 300, planted: 0, spread: 1, seed: 5)
        var t = Self.codes(count: 900, planted: 0, spread: 1, seed: 6)
        // Targets 3k+1 are queries k with a few bits flipped; owner of target t is t / 3.
        for k in 0..<300 {
            var c = Array(q[(k * 4)..<(k * 4 + 4)])
            for b in 0..<(k % 19) { c[(b * 37 % 256) / 64] ^= 1 << UInt64(b * 37 % 64) }
            t.replaceSubrange(((3 * k + 1) * 4)..<((3 * k + 2) * 4), with: c)
        }
        let same: @Sendable (Int32, Int32) -> Bool = { a, b in a == (b / 3) + 1 }
        let truth = WideJoin.bruteForce(queries: q, targets: t, radius: 16, sameOwner: same)
        let out = WideJoin.join(queries: q, targets: t, radius: 16, threads: 2, sameOwner: same)
        #expect(out.matches == truth)
        #expect(truth.count >= 250)
    }

    /// Image records with hand-made hashes: equal 64-bit pHashes, 256-bit pHashes `flips` bits from zero.
    static func record(_ n: Int, flips: [Int], pixels: Int) -> ImageRecord {
        var w: [UInt64] = [0, 0, 0, 0]
        for b in flips { w[b / 64] ^= 1 << UInt64(63 - b % 64) }
        return ImageRecord(
            sha256: String(repeating: String(n), count: 64), format: "png", width: pixels, height: 1,
            channels: 1, pixelSHA256: String(repeating: String(n), count: 63) + "p",
            phash: "00000000ffffffff", reject: nil, phash256: w.map(ImageHashes.hex).joined())
    }

    static func figure(_ id: String, _ n: Int) -> FigureRecord {
        let pmcid = ItemID.article(of: id)
        return FigureRecord(
            id: id, pmcid: pmcid, version: 1, figure: "F1", label: nil, caption: "c", context: "fig", href: "h",
            media: "m", license: nil, sha256: String(repeating: String(n), count: 64), bytes: 1, url: nil, status: .ok)
    }

    /// A ≈ B and B ≈ C but A and C are 20 bits apart: A (most pixels) founds a cluster with B; C stays alone,
    /// however the input is ordered and whatever the thread count.
    @Test func nearDuplicatesDoNotChain() {
        let images = [
            Self.record(1, flips: [], pixels: 900), Self.record(2, flips: Array(0..<10), pixels: 800),
            Self.record(3, flips: Array(0..<20), pixels: 700), Self.record(4, flips: Array(100..<160), pixels: 600)
        ]
        let figures = [
            Self.figure("PMC1/F1", 1), Self.figure("PMC2/F1", 2), Self.figure("PMC3/F1", 3), Self.figure("PMC4/F1", 4),
            Self.figure("PMC5/F1", 2)
        ]
        let r = Dedupe.run(figures: figures, images: images, radius: 8, threads: 1)
        #expect(r.clusters.map(\.members) == [["PMC1/F1", "PMC2/F1", "PMC5/F1"], ["PMC3/F1"], ["PMC4/F1"]])
        #expect(r.nearPairs.count == 2)  // A–B and B–C; only A–B is used
        #expect(r.joined == ["PMC2/F1": .near, "PMC5/F1": .near])
        for threads in [1, 2] {
            let again = Dedupe.run(figures: figures.reversed(), images: images.reversed(), radius: 8, threads: threads)
            #expect(again.clusters == r.clusters)
        }
        // Remove A: B now founds a cluster and takes C.
        let withoutA = Dedupe.run(figures: Array(figures.dropFirst()), images: images, radius: 8, threads: 2)
        #expect(withoutA.clusters.map(\.members) == [["PMC2/F1", "PMC3/F1", "PMC5/F1"], ["PMC4/F1"]])
    }

    /// Pictures through `hash` and `dedupe`: a copy trimmed by 6–14% of each side and a half cut out as a panel
    /// join the original (anchor keys, then pixel alignment; `detail: nil` leaves the crop and panel thresholds
    /// at their defaults); a different picture joins nothing.
    @Test func croppedCopiesAndPanelsJoinTheirOriginal() throws {
        let tmp = try TempWork()
        let store = tmp.work.blobs
        let w = 480, h = 400
        let a = scene(seed: 21, width: w, height: h), b = scene(seed: 22, width: w, height: h)
        func crop(_ p: [UInt8], x: Int, y: Int, cw: Int, ch: Int) -> [UInt8] {
            Self.crop(p, width: w, x: x, y: y, cw: cw, ch: ch)
        }
        var figures = [FigureRecord]()
        func add(_ id: String, _ px: [UInt8], _ pw: Int, _ ph: Int) throws {
            figures.append(try Self.storedFigure(id, px, pw, ph, in: store))
        }
        try add("PMC1/F1", a, w, h)
        try add("PMC2/F1", crop(a, x: 20, y: 12, cw: w - 48, ch: h - 28), w - 48, h - 28)  // 10% / 7% trimmed
        try add("PMC3/F1", crop(a, x: 24, y: 20, cw: w - 66, ch: h - 48), w - 66, h - 48)  // 14% / 12%, uneven
        try add("PMC4/F1", crop(a, x: w / 2 + 4, y: 0, cw: w / 2 - 4, ch: h), w / 2 - 4, h)  // right panel
        try add("PMC5/F1", b, w, h)
        _ = try HashStage.run(work: tmp.work, threads: 2)
        let images = try JSONL.read(ImageRecord.self, from: tmp.work.images)
        #expect(images.allSatisfy { $0.crop256?.count == CropSignature.hexDigits })
        let pixels: Dedupe.PixelSource = { try? store.read($0) }
        let r = Dedupe.run(
            figures: figures, images: images, radius: Dedupe.defaultRadius, cropSearch: true, detail: nil,
            threads: 2, pixels: pixels)
        #expect(r.clusters.map(\.members) == [["PMC1/F1", "PMC2/F1", "PMC3/F1", "PMC4/F1"], ["PMC5/F1"]])
        // The copies sit where they were cut (PMC3 also lies inside PMC2, at (4, 8): a crop of a crop).
        let blob = Dictionary(uniqueKeysWithValues: r.items.map { ($0.id, Int32($0.blob)) })
        var offsets = [String: [Int32]]()
        for p in r.cropPairs {
            for item in r.items where Int32(item.blob) == p.copy {
                offsets[item.id + " in " + (p.original == blob["PMC1/F1"]! ? "PMC1" : "other")] = [p.x, p.y]
            }
        }
        #expect(
            offsets == [
                "PMC2/F1 in PMC1": [20, 12], "PMC3/F1 in PMC1": [24, 20], "PMC4/F1 in PMC1": [Int32(w / 2 + 4), 0],
                "PMC3/F1 in other": [4, 8]
            ])
        #expect(r.joined["PMC2/F1"] == .crop && r.joined["PMC3/F1"] == .crop && r.joined["PMC4/F1"] == .panel)
        // Without the crop search the copies stay apart: the whole-image hashes do not see them.
        let off = Dedupe.run(
            figures: figures, images: images, radius: Dedupe.defaultRadius, cropSearch: false, threads: 2,
            pixels: pixels)
        #expect(off.clusters.count == 5)
    }

    /// A copy re-encoded at the same size joins its original through the crop search's pixel route (a `near`
    /// edge confirmed at offset 0 with the crop threshold), even with the hash and pixel routes closed (64-bit
    /// radii of −1);
    /// a look-alike of the same size with other fine structure does not, and without the crop search the copy
    /// stays apart.
    @Test func reencodedCopyOfTheSameSizeJoinsThroughItsPixels() throws {
        let w = 400, h = 320
        let layout = scene(seed: 41, width: w, height: h)
        let a = Self.texture(layout, seed: 5, width: w, height: h)
        let b = Self.texture(layout, seed: 6, width: w, height: h)
        let (figures, images, pixels) = try Self.hashedFigures { store in
            let original = try Self.storedFigure("PMC1/F1", a, w, h, in: store)
            let jpeg = try ImageEncoder.jpeg(
                pixels: a, width: w, height: h, channels: 3, quality: 40, progressive: false)
            var copy = original
            copy.id = "PMC2/F1"; copy.pmcid = "PMC2"; copy.sha256 = try store.put(jpeg); copy.bytes = jpeg.count
            return [original, copy, try Self.storedFigure("PMC3/F1", b, w, h, in: store)]
        }
        let r = Dedupe.run(
            figures: figures, images: images, radius: -1, cropSearch: true, pixelRadius: -1, threads: 2,
            pixels: pixels)
        #expect(r.nearPairs.isEmpty)
        #expect(r.cropPairs.contains { $0.match == .near && $0.x == 0 && $0.y == 0 }, "\(r.cropPairs)")
        #expect(r.joined["PMC2/F1"] == .near)
        #expect(r.clusters.first { $0.members.contains("PMC3/F1") }?.members == ["PMC3/F1"])
        let off = Dedupe.run(
            figures: figures, images: images, radius: -1, cropSearch: false, threads: 2, pixels: pixels)
        #expect(off.clusters.count == 3)
    }

    /// With the crop search on, near pairs are checked on their decoded pixels (`SubImage.nearScore`, at least the
    /// crop threshold) instead of their 32×32 thumbnails: a copy rescaled to 3/4 scores about 1 and joins; a
    /// look-alike of the same layout with other fine structure scores under the threshold on the pixels.
    @Test func nearPairsAreCheckedOnPixelsWithTheCropSearch() throws {
        let (a, small, b, figures, images, pixels) = try Self.rescaledAndLookAlike()
        let r = Dedupe.run(
            figures: figures, images: images, radius: Dedupe.defaultRadius, cropSearch: true, threads: 2,
            pixels: pixels)
        let pa = SubImage.NearPlane(a), ps = SubImage.NearPlane(small), pb = SubImage.NearPlane(b)
        let copyScore = SubImage.nearScore(pa, ps).detail, lookAlikeScore = SubImage.nearScore(pa, pb).detail
        #expect(copyScore > 0.99 && lookAlikeScore < Dedupe.defaultDetail!.crop, "\(copyScore) \(lookAlikeScore)")
        #expect(r.joined["PMC2/F1"] == .near)
        #expect(r.scored.contains { $0.match == .near && $0.kept && $0.score == copyScore }, "\(r.scored)")
        #expect(r.clusters.first { $0.members.contains("PMC3/F1") }?.members == ["PMC3/F1"])
    }

    /// The pixel route: with the hash route closed (a 64-bit radius of −1), a copy rescaled to 3/4 is still
    /// proposed by its 64-bit pHash (within `Dedupe.pixelRoute.radius`) and joins on its pixels; the look-alike
    /// of the same layout is proposed too and turned down; with the pixel route closed as well, the copy stays apart.
    @Test func rescaledCopyJoinsThroughThePixelRoute() throws {
        let (_, _, _, figures, images, pixels) = try Self.rescaledAndLookAlike()
        let codes = try images.map { try #require($0.phash.flatMap(Hex.decode64)) }
        #expect(codes.allSatisfy { PerceptualHash.distance($0, codes[0]) <= Dedupe.pixelRoute.radius }, "\(codes)")
        let r = Dedupe.run(
            figures: figures, images: images, radius: -1, cropSearch: true, threads: 2, pixels: pixels)
        #expect(r.nearPairs.count == 1 && r.pixelRoutePairs >= 2, "\(r.nearPairs)")
        #expect(r.joined["PMC2/F1"] == .near)
        #expect(r.scored.contains { $0.match == .near && !$0.kept }, "\(r.scored)")
        #expect(r.clusters.first { $0.members.contains("PMC3/F1") }?.members == ["PMC3/F1"])
        let closed = Dedupe.run(
            figures: figures, images: images, radius: -1, cropSearch: true, pixelRadius: -1, threads: 2,
            pixels: pixels)
        #expect(closed.joined["PMC2/F1"] == nil && closed.pixelRoutePairs == 0)
    }

    /// A smooth, low-contrast figure (a few faint blobs on grey) re-encoded at JPEG quality 85: its detail band is
    /// mostly JPEG noise, so its detail correlation with the original falls under the thresholds, but the two
    /// planes agree as a whole (≥ `Dedupe.pixelRoute.whole`), and the copy joins; a smooth figure with the blobs
    /// elsewhere stays apart.
    @Test func smoothCopyJoinsOnTheWholePlane() throws {
        let w = 360, h = 320
        func smooth(_ centres: [(Double, Double)]) -> [UInt8] {
            var px = [UInt8](repeating: 0, count: w * h * 3)
            for y in 0..<h {
                for x in 0..<w {
                    var v = 50.0
                    for (cx, cy) in centres {
                        let dx = Double(x) / Double(w) - cx, dy = Double(y) / Double(h) - cy
                        v += 20 * exp(-(dx * dx + dy * dy) / 0.02)
                    }
                    for c in 0..<3 { px[(y * w + x) * 3 + c] = UInt8(v.rounded()) }
                }
            }
            return px
        }
        let a = smooth([(0.3, 0.4), (0.7, 0.6), (0.5, 0.2)]), b = smooth([(0.35, 0.45), (0.65, 0.55), (0.5, 0.3)])
        let jpeg = try ImageEncoder.jpeg(pixels: a, width: w, height: h, channels: 3, quality: 85, progressive: false)
        let (figures, images, pixels) = try Self.hashedFigures { store in
            let original = try Self.storedFigure("PMC1/F1", a, w, h, in: store)
            var copy = original
            copy.id = "PMC2/F1"; copy.pmcid = "PMC2"; copy.sha256 = try store.put(jpeg); copy.bytes = jpeg.count
            return [original, copy, try Self.storedFigure("PMC3/F1", b, w, h, in: store)]
        }
        let plane = SubImage.NearPlane(Image(width: w, height: h, channels: 3, pixels: a))
        let score = SubImage.nearScore(plane, SubImage.NearPlane(try ImageDecoder.decode(jpeg)))
        let other = SubImage.nearScore(plane, SubImage.NearPlane(Image(width: w, height: h, channels: 3, pixels: b)))
        #expect(score.detail < Dedupe.defaultDetail!.crop && score.whole >= Dedupe.pixelRoute.whole, "\(score)")
        #expect(other.whole < Dedupe.pixelRoute.whole, "\(other)")
        let r = Dedupe.run(
            figures: figures, images: images, radius: Dedupe.defaultRadius, cropSearch: true, threads: 2,
            pixels: pixels)
        #expect(r.joined["PMC2/F1"] == .near)
        #expect(r.clusters.first { $0.members.contains("PMC3/F1") }?.members == ["PMC3/F1"])
    }

    /// A nearly flat figure (a scene whose grey levels are squeezed into ±3 around mid-grey) re-encoded at JPEG
    /// quality 70: its detail and whole-plane correlations are rounding and JPEG noise and fall under their
    /// thresholds, but its planes differ by under a grey level and still correlate (`Dedupe.flatCopy`), so the copy
    /// joins when the hashes propose it; the rule is not the pixel route's, nor that of planes within a grey level
    /// that do not correlate. A flat figure of another scene that the hashes propose too stays apart. (The hashes of so flat a figure are JPEG noise, so
    /// the test gives the copy and the other figure the original's hashes: what is tested is the plane check.)
    @Test func nearlyFlatCopyJoinsWithinAGreyLevel() throws {
        let w = 360, h = 320
        func flat(_ seed: UInt64) -> [UInt8] {
            scene(seed: seed, width: w, height: h).map { UInt8(128 + (Int($0) - 128) / 40) }
        }
        let a = flat(51), b = flat(52)
        let jpeg = try ImageEncoder.jpeg(pixels: a, width: w, height: h, channels: 3, quality: 70, progressive: false)
        let plane = SubImage.NearPlane(Image(width: w, height: h, channels: 3, pixels: a))
        let copy = SubImage.nearScore(plane, SubImage.NearPlane(try ImageDecoder.decode(jpeg)))
        let other = SubImage.nearScore(plane, SubImage.NearPlane(Image(width: w, height: h, channels: 3, pixels: b)))
        let thresholds = try #require(Dedupe.defaultDetail)
        #expect(copy.detail < thresholds.crop && copy.whole < Dedupe.pixelRoute.whole, "\(copy)")
        #expect(copy.levels <= Dedupe.flatCopy.levels && copy.whole >= Dedupe.flatCopy.whole, "\(copy)")
        #expect(Dedupe.keepsOnPlanes(copy, hashRoute: true, detail: thresholds))
        #expect(!Dedupe.keepsOnPlanes(copy, hashRoute: false, detail: thresholds))
        #expect(!Dedupe.keepsOnPlanes(other, hashRoute: true, detail: thresholds), "\(other)")
        // Within a grey level but not correlated: two different nearly flat figures.
        #expect(!Dedupe.keepsOnPlanes((detail: 0, whole: 0.5, levels: 0.2), hashRoute: true, detail: thresholds))
        let (figures, hashed, pixels) = try Self.hashedFigures { store in
            let original = try Self.storedFigure("PMC1/F1", a, w, h, in: store)
            var copy = original
            copy.id = "PMC2/F1"; copy.pmcid = "PMC2"; copy.sha256 = try store.put(jpeg); copy.bytes = jpeg.count
            return [original, copy, try Self.storedFigure("PMC3/F1", b, w, h, in: store)]
        }
        var images = hashed
        for k in 1..<images.count { (images[k].phash, images[k].phash256) = (images[0].phash, images[0].phash256) }
        let r = Dedupe.run(
            figures: figures, images: images, radius: Dedupe.defaultRadius, cropSearch: true, threads: 2,
            pixels: pixels)
        #expect(r.scored.filter { $0.match == .near }.count == 3, "\(r.scored)")
        #expect(r.joined["PMC2/F1"] == .near, "\(r.scored)")
        #expect(r.clusters.first { $0.members.contains("PMC3/F1") }?.members == ["PMC3/F1"])
    }

    /// PMC1/F1, a textured scene; PMC2/F1, it rescaled to 3/4; PMC3/F1, a look-alike of the same layout with other
    /// fine structure: hashed, with their pixel source.
    static func rescaledAndLookAlike() throws -> (
        original: Image, rescaled: Image, lookAlike: Image, figures: [FigureRecord], images: [ImageRecord],
        pixels: Dedupe.PixelSource
    ) {
        let w = 480, h = 400
        let layout = scene(seed: 51, width: w, height: h)
        let a = Image(width: w, height: h, channels: 3, pixels: Self.texture(layout, seed: 7, width: w, height: h))
        let b = Image(width: w, height: h, channels: 3, pixels: Self.texture(layout, seed: 8, width: w, height: h))
        let small = Resample.resize(a, width: w * 3 / 4, height: h * 3 / 4)
        let (figures, images, pixels) = try Self.hashedFigures { store in
            [
                try Self.storedFigure("PMC1/F1", a.pixels, w, h, in: store),
                try Self.storedFigure("PMC2/F1", small.pixels, small.width, small.height, in: store),
                try Self.storedFigure("PMC3/F1", b.pixels, w, h, in: store)
            ]
        }
        return (a, small, b, figures, images, pixels)
    }

    /// The report's sparse count is of decoded images with few anchors (a flat figure), not of images whose pixels
    /// were not at hand.
    @Test func sparseImagesAreDecodedFlatOnesNotMissingOnes() throws {
        let tmp = try TempWork()
        let store = tmp.work.blobs
        let w = 320, h = 240
        var figures = [FigureRecord]()
        figures.append(try Self.storedFigure("PMC1/F1", scene(seed: 31, width: w, height: h), w, h, in: store))
        figures.append(try Self.storedFigure("PMC2/F1", [UInt8](repeating: 128, count: w * h * 3), w, h, in: store))
        figures.append(try Self.storedFigure("PMC3/F1", scene(seed: 32, width: w, height: h), w, h, in: store))
        _ = try HashStage.run(work: tmp.work, threads: 2)
        let images = try JSONL.read(ImageRecord.self, from: tmp.work.images)
        let missing = try #require(figures.last?.sha256)
        let pixels: Dedupe.PixelSource = { $0 == missing ? nil : try? store.read($0) }
        let r = Dedupe.run(
            figures: figures, images: images, radius: Dedupe.defaultRadius, cropSearch: true, detail: nil,
            threads: 2, pixels: pixels)
        #expect(r.cropSparseImages == 1)
    }

    /// `base` with 160 small squares (2–4% of a side) of random grey levels blended in: fine structure of its own
    /// over the same low-frequency layout, as distinct figures drawn from one template have.
    static func texture(_ base: [UInt8], seed: UInt64, width w: Int, height h: Int) -> [UInt8] {
        var px = base
        var rng = SplitMix64(state: seed)
        for _ in 0..<160 {
            let s = Int(Double(min(w, h)) * (0.02 + Double(rng.next() % 20) / 1000))
            let x0 = Int(rng.next() % UInt64(w - s)), y0 = Int(rng.next() % UInt64(h - s))
            let v = Int(rng.next() % 256)
            for y in y0..<(y0 + s) {
                for x in x0..<(x0 + s) {
                    for c in 0..<3 {
                        let i = (y * w + x) * 3 + c
                        px[i] = UInt8((Int(px[i]) + v) / 2)
                    }
                }
            }
        }
        return px
    }

    /// Two figures of one layout with different fine structure: the hashes pair them; the detail check turns
    /// every pair with the look-alike down, and the trimmed copy of one scores against its own original (pixel
    /// alignment) above any of those. The thumbnail is the plane's 4×4 means and survives its hex form.
    @Test func detailCheckSeparatesLookAlikes() throws {
        let tmp = try TempWork()
        let store = tmp.work.blobs
        let w = 480, h = 400
        let layout = scene(seed: 31, width: w, height: h)
        let a = Self.texture(layout, seed: 1, width: w, height: h),
            b = Self.texture(layout, seed: 2, width: w, height: h)
        func crop(_ p: [UInt8], x: Int, y: Int, cw: Int, ch: Int) -> [UInt8] {
            Self.crop(p, width: w, x: x, y: y, cw: cw, ch: ch)
        }
        var figures = [FigureRecord]()
        func add(_ id: String, _ px: [UInt8], _ pw: Int, _ ph: Int) throws {
            figures.append(try Self.storedFigure(id, px, pw, ph, in: store))
        }
        try add("PMC1/F1", a, w, h)
        try add("PMC2/F1", b, w, h)
        try add("PMC3/F1", crop(a, x: 22, y: 16, cw: w - 48, ch: h - 40), w - 48, h - 40)  // a, trimmed 10%
        _ = try HashStage.run(work: tmp.work, threads: 2)
        let images = try JSONL.read(ImageRecord.self, from: tmp.work.images)
        #expect(images.allSatisfy { $0.thumb32?.count == AlignedDetail.hexDigits })
        let pixels: Dedupe.PixelSource = { try? store.read($0) }
        let r = Dedupe.run(
            figures: figures, images: images, radius: Dedupe.defaultRadius, cropSearch: true, threads: 2,
            pixels: pixels)
        let blob = Dictionary(uniqueKeysWithValues: r.items.map { ($0.id, Int32($0.blob)) })
        let lookAlike = r.scored.filter { $0.a == blob["PMC2/F1"]! || $0.b == blob["PMC2/F1"]! }
        let own = r.scored.filter { Set([$0.a, $0.b]) == Set([blob["PMC1/F1"]!, blob["PMC3/F1"]!]) }
        // Whatever pairs the look-alike (the hashes, or anchor pairs that happen to agree), the detail check turns
        // it down, and it stays alone.
        #expect(lookAlike.allSatisfy { !$0.kept && $0.score < Dedupe.defaultDetail!.least(for: $0.match) })
        #expect(r.clusters.first { $0.members.contains("PMC2/F1") }?.members == ["PMC2/F1"])
        // Aligned on its pixels wherever it fits best, a's trimmed copy scores under the crop threshold against the
        // look-alike and above it against a, with or without the near check.
        func plane(_ px: [UInt8], _ pw: Int, _ ph: Int) -> SubImage.Plane {
            SubImage.Plane(Image(width: pw, height: ph, channels: 3, pixels: px))
        }
        let copy = plane(crop(a, x: 22, y: 16, cw: w - 48, ch: h - 40), w - 48, h - 40)
        let wrong = try #require(SubImage.align(copy: copy, original: plane(b, w, h)))
        #expect(wrong.score < Dedupe.defaultDetail!.crop, "\(wrong)")
        #expect(own.count == 1 && own[0].kept && own[0].score > max(wrong.score, lookAlike.map(\.score).max() ?? -1))
        let trusting = Dedupe.run(
            figures: figures, images: images, radius: Dedupe.defaultRadius, cropSearch: true, detail: nil,
            threads: 2, pixels: pixels)
        #expect(trusting.clusters.first { $0.members.contains("PMC2/F1") }?.members == ["PMC2/F1"])
        #expect(trusting.clusters.first { $0.members.contains("PMC1/F1") }?.members == ["PMC1/F1", "PMC3/F1"])
        // The thumbnail: 4×4 means of the plane, and its hex parses back.
        var plane = [UInt8](repeating: 0, count: 128 * 128)
        for i in plane.indices { plane[i] = UInt8(truncatingIfNeeded: i &* 2_654_435_761 >> 7) }
        let t = AlignedDetail.thumbnail(plane: plane)
        var sum = 0
        for dy in 0..<4 { for dx in 0..<4 { sum += Int(plane[(8 + dy) * 128 + 12 + dx]) } }
        #expect(Int(t[2 * 32 + 3]) == (sum + 8) / 16)
        #expect(AlignedDetail.parse(AlignedDetail.hex(t)!) == t)
        #expect(AlignedDetail.parse(String(repeating: "g", count: AlignedDetail.hexDigits)) == nil)
        // A thumbnail scores 1 against itself.
        #expect(abs(AlignedDetail.score(t, t, box: .whole, slack: 0.02) - 1) < 1e-6)
    }

    /// The signature's windows: a plane whose right half is a copy of its left half has equal left and right
    /// window hashes; window 0 of a plane equals the 256-bit pHash of the same plane area-resampled to 64².
    @Test func windowsCoverTheStatedBoxes() {
        let side = CropSignature.planeSide
        var plane = [UInt8](repeating: 0, count: side * side)
        var rng = SplitMix64(state: 9)
        for y in 0..<side {
            for x in 0..<(side / 2) {
                let v = UInt8(truncatingIfNeeded: (x * y + Int(rng.next() % 40)) % 256); plane[y * side + x] = v;
                plane[y * side + x + side / 2] = v
            }
        }
        let s = CropSignature.signature(plane: plane)
        #expect(s.count == 36)
        #expect(Array(s[20..<24]) == Array(s[24..<28]))  // left == right
        #expect(Array(s[0..<4]) != Array(s[20..<24]))
        // Window 0's first word is the 64-bit pHash rule on the plane's 4×4 box averages (32×32).
        var quarter = [Double](repeating: 0, count: 32 * 32)
        for y in 0..<32 {
            for x in 0..<32 {
                var sum = 0.0
                for dy in 0..<4 { for dx in 0..<4 { sum += Double(plane[(4 * y + dy) * side + 4 * x + dx]) } }
                quarter[y * 32 + x] = sum / 16
            }
        }
        #expect(PerceptualHash.dctBits(quarter, size: 32, low: 8, cosines: PerceptualHash.cos32)[0] == s[0])
        // The aHash word: 8×8 cells of 16×16 plane pixels above their mean.
        var cells = [Double](repeating: 0, count: 64)
        for y in 0..<side { for x in 0..<side { cells[(y / 16) * 8 + x / 16] += Double(plane[y * side + x]) / 256 } }
        let mean = cells.reduce(0, +) / 64
        #expect(PerceptualHash.pack(64) { cells[$0] > mean } == s[3])
        #expect(
            CropSignature.windows.map(\.name) == [
                "whole", "crop96", "crop92", "crop88", "crop84", "left", "right", "top", "bottom"
            ])
    }
}
