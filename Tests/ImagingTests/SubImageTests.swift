import Foundation
import PairDxCore
import Testing
@testable import Imaging

/// Crop and panel copies at the same pixel scale: anchor keys propose, pixel alignment confirms.
@Suite struct SubImageTests {
    /// The PNG and JPEG files of `../shared/data/images`, decoded.
    static func originals() throws -> [Image] {
        let dir = try #require(sharedImagesDirectory()).path
        return try FileSystem.listFiles(under: dir, followingFileLinks: true).sorted()
            .filter { ["png", "jpg"].contains(($0 as NSString).pathExtension.lowercased()) }
            .map { try ImageDecoder.decode(FileSystem.read(dir + "/" + $0)) }
    }

    static func cut(_ i: Image, x: Int, y: Int, w: Int, h: Int) -> Image {
        var px = [UInt8]()
        for row in y..<(y + h) {
            px += i.pixels[((row * i.width + x) * i.channels)..<((row * i.width + x + w) * i.channels)]
        }
        return Image(width: w, height: h, channels: i.channels, pixels: px)
    }

    /// Every real image, a 10% crop of it re-encoded as JPEG (quality 80) and its right half less a 1% gutter
    /// (PNG), each a figure of its own article.
    static func corpus() throws -> (
        figures: [FigureRecord], images: [ImageRecord], bytes: [String: Data], of: [String: Int]
    ) {
        var figures = [FigureRecord](), images = [ImageRecord](), bytes = [String: Data](), of = [String: Int]()
        for (k, image) in try originals().enumerated() {
            let w = image.width, h = image.height
            let cw = w * 9 / 10, ch = h * 9 / 10
            let crop = cut(image, x: (w - cw) * 3 / 10, y: (h - ch) * 7 / 10, w: cw, h: ch)
            let half = cut(image, x: w / 2 + w / 100, y: 0, w: w - w / 2 - w / 100, h: h)
            let copies = [
                try ImageEncoder.png(pixels: image.pixels, width: w, height: h, channels: image.channels),
                try ImageEncoder.jpeg(
                    pixels: crop.pixels, width: cw, height: ch, channels: image.channels, quality: 80),
                try ImageEncoder.png(pixels: half.pixels, width: half.width, height: h, channels: image.channels)
            ]
            for (j, data) in copies.enumerated() {
                let sha = SHA256.hex(data), pmcid = "PMC\(10 * (k + 1) + j)"
                bytes[sha] = data
                images.append(HashStage.record(sha256: sha, data: data, budget: DecodeBudget()))
                figures.append(
                    FigureRecord(
                        id: pmcid + "/F1", pmcid: pmcid, version: 1, figure: "F1", label: nil, caption: "c",
                        context: "fig", href: "h", media: "m", license: nil, sha256: sha, bytes: data.count,
                        url: nil, status: .ok))
                of[pmcid + "/F1"] = k
            }
        }
        return (figures, images, bytes, of)
    }

    /// Crops and halves of real X-ray, CT, microscopy, retina and photographic images join their originals as
    /// `crop` and `panel`; no two distinct originals share a cluster; the clusters and the confirmed pairs are the
    /// same on one thread and on two.
    @Test(.enabled(if: sharedImagesDirectory() != nil, "../shared/data/images is absent"))
    func cropsAndPanelsOfRealImagesJoinTheirOriginalsAndNothingElse() throws {
        let c = try Self.corpus()
        let stored = c.bytes
        func run(_ threads: Int) -> Dedupe.Result {
            Dedupe.run(
                figures: c.figures, images: c.images, radius: Dedupe.defaultRadius, cropSearch: true,
                threads: threads, pixels: { stored[$0] })
        }
        let r = run(2)
        let originals = Set(c.of.values).count
        #expect(originals >= 6)
        var found = [DuplicateKind: Int]()
        for cl in r.clusters {
            // No false merges: every member of a cluster comes from one original.
            #expect(Set(cl.members.map { c.of[$0]! }).count == 1, "distinct images merged: \(cl.members)")
            for m in cl.members where m != cl.keep { found[r.joined[m]!, default: 0] += 1 }
        }
        // Recall: at most one original (a nearly flat one has too few anchors) may miss each kind.
        #expect(found[.crop, default: 0] >= originals - 1 && found[.panel, default: 0] >= originals - 1)
        #expect(r.scored.filter { $0.match == .crop || $0.match == .panel }.allSatisfy { $0.kept == ($0.score >= 0.9) })
        let one = run(1)
        #expect(one.clusters == r.clusters && one.cropPairs == r.cropPairs)
    }

    /// The anchors of a copy are the original's, moved by the offset: the same keys at shifted positions (the
    /// band-pass is computed at every pixel, no grid; only the per-cell choice of the strongest differs).
    @Test(.enabled(if: sharedImagesDirectory() != nil, "../shared/data/images is absent")) func anchorsMoveWithTheCrop()
        throws
    {
        let image = try Self.originals().max { $0.width * $0.height < $1.width * $1.height }!
        let (x, y) = (37, 23)
        let crop = Self.cut(image, x: x, y: y, w: image.width * 85 / 100, h: image.height * 85 / 100)
        let a = AnchorKeys.anchors(SubImage.Plane(image)), b = AnchorKeys.anchors(SubImage.Plane(crop))
        #expect(b.count > 40)
        let inA = Set(a.map { "\($0.key) \($0.x) \($0.y)" })
        let shared = b.filter { inA.contains("\($0.key) \($0.x + Int32(x)) \($0.y + Int32(y))") }.count
        #expect(shared * 3 > b.count, "\(shared) of \(b.count) anchors shared")
        let al = try #require(SubImage.align(copy: SubImage.Plane(crop), original: SubImage.Plane(image)))
        #expect(al.x == x && al.y == y && al.score > 0.99)
        // So are the pair keys the search votes with, for the crop and for a panel (the right half): a partner
        // moves with its anchor.
        let panel = Self.cut(image, x: image.width / 2, y: 0, w: image.width - image.width / 2, h: image.height)
        for (copy, dx, dy) in [(crop, x, y), (panel, image.width / 2, 0)] {
            let mine = AnchorKeys.keyed(AnchorKeys.anchors(SubImage.Plane(copy)))
            let theirs = Set(AnchorKeys.keyed(a).map { "\($0.key) \($0.x) \($0.y)" })
            let kept = mine.filter { theirs.contains("\($0.key) \($0.x + Int32(dx)) \($0.y + Int32(dy))") }.count
            #expect(kept * 4 > mine.count, "\(kept) of \(mine.count) pair keys shared")
        }
    }

    /// The votes of `AnchorKeys.matches` checked directly: each image's anchors keyed (`AnchorKeys.keyed`); its
    /// queries are its keys of least cost (other keys equal to it) within `budget`; every pair of images whose
    /// sizes fit collects the offsets of its key pairs of one value of which at least one is a query; the best
    /// offset within ±1 px needs `minVotes`, or `fewVotes` when either image has fewer than `fewAnchors` anchors;
    /// at that offset, at least `minCoincidence` of the copy's anchor positions lie within a pixel of one of the
    /// original's; each copy keeps its `perCopy` best originals.
    static func bruteForceVotes(
        sizes: [SubImage.Size], anchors: [[AnchorKeys.Anchor]], fewAnchors: Int, budget: Int, perCopy: Int,
        minCoincidence: AnchorKeys.CoincidenceRule
    ) -> [AnchorKeys.Vote] {
        struct Key: Hashable { var key: UInt64, x: Int32, y: Int32 }
        let keyed = anchors.map { AnchorKeys.keyed($0).map { Key(key: $0.key, x: $0.x, y: $0.y) } }
        var holders = [UInt64: Int]()
        for list in keyed { for an in list { holders[an.key, default: 0] += 1 } }
        let queries: [Set<Key>] = keyed.map { list in
            var spent = 0, out = Set<Key>()
            for an in list.sorted(by: {
                (holders[$0.key]!, $0.key, $0.y, $0.x) < (holders[$1.key]!, $1.key, $1.y, $1.x)
            }) {
                spent += holders[an.key]! - 1
                if spent > budget { break }
                out.insert(an)
            }
            return out
        }
        var expected = [AnchorKeys.Vote]()
        for b in sizes.indices {
            var mine = [AnchorKeys.Vote]()
            // Two images of one size pair once, the later as the copy.
            for a in sizes.indices where a != b && (sizes[a] != sizes[b] || a < b) {
                guard let kind = SubImage.fit(copy: sizes[b], original: sizes[a]) else { continue }
                var offsets = [(Int32, Int32)]()
                for p in keyed[b] {
                    for q in keyed[a] where p.key == q.key && (queries[b].contains(p) || queries[a].contains(q)) {
                        let dx = q.x - p.x, dy = q.y - p.y
                        if dx >= 0, dy >= 0, Int(dx) <= sizes[a].width - sizes[b].width,
                            Int(dy) <= sizes[a].height - sizes[b].height
                        {
                            offsets.append((dx, dy))
                        }
                    }
                }
                var best = (votes: 0, x: Int32(0), y: Int32(0))
                for o in offsets {
                    let c = offsets.filter { abs($0.0 - o.0) <= 1 && abs($0.1 - o.1) <= 1 }.count
                    if c > best.votes || (c == best.votes && (o.1, o.0) < (best.y, best.x)) { best = (c, o.0, o.1) }
                }
                let few = anchors[a].count < fewAnchors || anchors[b].count < fewAnchors
                let on = anchors[b].filter { p in
                    anchors[a].contains { abs($0.x - p.x - best.x) <= 1 && abs($0.y - p.y - best.y) <= 1 }
                }
                if best.votes >= (few ? AnchorKeys.fewVotes : AnchorKeys.minVotes),
                    Double(on.count) >= minCoincidence.least(for: kind) * Double(anchors[b].count)
                {
                    mine.append(
                        AnchorKeys.Vote(
                            candidate: SubImage.Candidate(copy: Int32(b), original: Int32(a), kind: kind), x: best.x,
                            y: best.y, votes: best.votes))
                }
            }
            mine.sort { ($1.votes, $0.candidate.original) < ($0.votes, $1.candidate.original) }
            expected += mine.prefix(perCopy).sorted { $0.candidate.original < $1.candidate.original }
        }
        return expected
    }

    /// Random anchors (with planted copies at offsets) over a sweep of image sizes, budgets and vote rules:
    /// `AnchorKeys.matches` (sorted by key, each image's cheapest anchors as queries) returns exactly what every
    /// pair of images checked directly returns. Originals have 40 anchors, copies 20–27 or 60: a `fewAnchors` of
    /// 30 asks `fewVotes` of the pairs with a sparse copy and `minVotes` of the others; 0 asks `minVotes` of all.
    @Test(arguments: [
        (UInt64(1), 0, 60, 2, AnchorKeys.minCoincidence), (UInt64(2), 30, 200, 3, .init(0)),
        (UInt64(3), AnchorKeys.fewAnchors, AnchorKeys.budget, AnchorKeys.perCopy, AnchorKeys.minCoincidence),
        (UInt64(4), 30, AnchorKeys.budget, AnchorKeys.perCopy, AnchorKeys.minCoincidence),
        (UInt64(4), 30, AnchorKeys.budget, AnchorKeys.perCopy, .init(0.3)),
        (UInt64(5), 30, AnchorKeys.budget, AnchorKeys.perCopy, .init(crop: 0.3, other: 0))
    ])
    func anchorSearchEqualsBruteForce(
        seed: UInt64, fewAnchors: Int, budget: Int, perCopy: Int, minCoincidence: AnchorKeys.CoincidenceRule
    ) {
        var rng = SplitMix64(state: seed)
        func r(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        var sizes = [SubImage.Size](), anchors = [[AnchorKeys.Anchor]]()
        for i in 0..<120 {
            var list = [AnchorKeys.Anchor]()
            if i % 3 == 0 || sizes.isEmpty {
                sizes.append(SubImage.Size(200 + r(400), 200 + r(400)))
                list = (0..<40).map { _ in
                    AnchorKeys.Anchor(
                        key: UInt32(r(300)), x: Int32(r(sizes.last!.width)), y: Int32(r(sizes.last!.height)),
                        strength: Float(100 + r(900)))
                }
            } else {
                // A trim, a half, or a size that fits neither, of an earlier image, sharing some of its anchors.
                let k = r(sizes.count), a = sizes[k]
                let s: SubImage.Size
                switch r(3) {
                case 0: s = SubImage.Size(a.width * (82 + r(17)) / 100, a.height * (82 + r(17)) / 100)
                case 1: s = SubImage.Size(a.width * (46 + r(5)) / 100, a.height)
                default: s = SubImage.Size(a.width * (60 + r(20)) / 100, a.height * (60 + r(40)) / 100)
                }
                let dx = r(a.width - s.width + 1), dy = r(a.height - s.height + 1)
                sizes.append(s)
                // All of its anchors (their partners move with them) or a few; weaker ones of its own.
                list =
                    anchors[k].prefix(r(2) == 0 ? 40 : r(8)).map {
                        AnchorKeys.Anchor(key: $0.key, x: $0.x - Int32(dx), y: $0.y - Int32(dy), strength: $0.strength)
                    }
                    + (0..<20).map { _ in
                        AnchorKeys.Anchor(
                            key: UInt32(r(300)), x: Int32(r(s.width)), y: Int32(r(s.height)), strength: Float(r(100)))
                    }
            }
            // One anchor per position, as `AnchorKeys.anchors` gives.
            var seen = Set<[Int32]>()
            anchors.append(list.filter { seen.insert([$0.x, $0.y]).inserted })
        }
        let found = AnchorKeys.matches(
            sizes: sizes, anchors: anchors, fewAnchors: fewAnchors, budget: budget, perCopy: perCopy,
            minCoincidence: minCoincidence)
        let expected = Self.bruteForceVotes(
            sizes: sizes, anchors: anchors, fewAnchors: fewAnchors, budget: budget, perCopy: perCopy,
            minCoincidence: minCoincidence)
        #expect(found.votes == expected)
        // At 0.3 the coincidence rule turns candidates down: copies that share a few anchors of 20–27. A rule for
        // crops alone turns down crops alone.
        if minCoincidence.crop >= 0.3 {
            let all = AnchorKeys.matches(
                sizes: sizes, anchors: anchors, fewAnchors: fewAnchors, budget: budget, perCopy: perCopy,
                minCoincidence: .init(0))
            func count(_ v: [AnchorKeys.Vote], _ k: DuplicateKind) -> Int { v.filter { $0.candidate.kind == k }.count }
            #expect(count(all.votes, .crop) > count(found.votes, .crop), "\(all.votes.count)")
            let panelsKept = count(all.votes, .panel) == count(found.votes, .panel)
            #expect(panelsKept == (minCoincidence.other == 0), "\(all.votes.count)")
        }
        // The same on 3 threads (sorted, queried and compared in slices).
        let threaded = AnchorKeys.matches(
            sizes: sizes, anchors: anchors, fewAnchors: fewAnchors, budget: budget, perCopy: perCopy,
            minCoincidence: minCoincidence, threads: 3)
        #expect(threaded.votes == expected && threaded.compared == found.compared)
        #expect(expected.count >= 5)
        // Both vote rules are exercised: 2-vote candidates exist exactly when some images count as few (and the
        // coincidence rule is not so strict that it drops them all: their copies share few anchors).
        if minCoincidence.crop <= AnchorKeys.minCoincidence.crop
            && minCoincidence.other <= AnchorKeys.minCoincidence.other
        {
            #expect(expected.contains { $0.votes < AnchorKeys.minVotes } == (fewAnchors > 20))
        }
        #expect(expected.contains { $0.candidate.kind == .panel } && expected.contains { $0.candidate.kind == .crop })
        // The work stays within the budget: at most `budget` anchor pairs per image.
        #expect(found.compared <= budget * sizes.count)
    }

    /// A sparse image (fewer than `AnchorKeys.sparse` anchors) keeps its ring keys beside its pair keys: here the
    /// crop loses the original's strongest anchor, the partner of every other one, so no pair key survives, and the
    /// four ring keys still vote for the crop's offset. A dense image votes with its pair keys alone.
    @Test func sparseImagesAlsoVoteWithRingKeys() {
        let big = SubImage.Size(300, 260), small = SubImage.Size(270, 234), (ox, oy) = (20, 14)
        let points: [(Int32, Int32)] = [(10, 10), (50, 30), (70, 60), (30, 80), (80, 20)]
        let original = points.enumerated().map { k, p in
            AnchorKeys.Anchor(key: UInt32(100 + k), x: p.0 + Int32(ox), y: p.1 + Int32(oy), strength: Float(5 - k))
        }
        let crop = original.dropFirst().map {
            AnchorKeys.Anchor(key: $0.key, x: $0.x - Int32(ox), y: $0.y - Int32(oy), strength: $0.strength)
        }
        #expect(AnchorKeys.keyed(original).count == 2 * original.count)
        let pairKeys = Set(AnchorKeys.keyed(original).map(\.key).filter { $0 > UInt64(UInt32.max) })
        #expect(AnchorKeys.keyed(crop).allSatisfy { !pairKeys.contains($0.key) })
        let found = AnchorKeys.matches(sizes: [big, small], anchors: [original, crop])
        #expect(found.votes.map(\.candidate) == [SubImage.Candidate(copy: 1, original: 0, kind: .crop)])
        #expect(found.votes.first.map { [Int($0.x), Int($0.y), $0.votes] } == [ox, oy, 4])
        let dense = (0..<AnchorKeys.sparse).map {
            AnchorKeys.Anchor(key: UInt32($0), x: Int32(30 + 10 * $0), y: 40, strength: Float($0))
        }
        #expect(AnchorKeys.keyed(dense).count == dense.count)
    }

    /// A crop whose ring keys are all common in the corpus (each held by 150 look-alike images the size of its
    /// original, at random places: more than the 96 holders the former crowd cap allowed) still finds its original,
    /// at the crop's offset, and the look-alikes do not crowd it out of its `perCopy` originals: their pair keys
    /// (`AnchorKeys.keyed`) differ from the crop's, which moved with it.
    @Test func cropWithCommonKeysFindsItsOriginal() {
        var rng = SplitMix64(state: 23)
        func r(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        let big = SubImage.Size(400, 300), small = SubImage.Size(360, 270), (ox, oy) = (17, 11)
        var original = [AnchorKeys.Anchor]()
        for _ in 0..<60 {
            original.append(
                AnchorKeys.Anchor(
                    key: UInt32(truncatingIfNeeded: rng.next()), x: Int32(ox + r(small.width)),
                    y: Int32(oy + r(small.height)), strength: 1))
        }
        let crop = original.map {
            AnchorKeys.Anchor(key: $0.key, x: $0.x - Int32(ox), y: $0.y - Int32(oy), strength: 1)
        }
        var sizes = [big, small], anchors = [original, crop]
        for _ in 0..<150 {
            sizes.append(big)
            anchors.append(
                crop.map {
                    AnchorKeys.Anchor(key: $0.key, x: Int32(r(big.width)), y: Int32(r(big.height)), strength: 1)
                })
        }
        let found = AnchorKeys.matches(sizes: sizes, anchors: anchors)
        let mine = found.votes.filter { $0.candidate.copy == 1 }
        #expect(mine.count <= AnchorKeys.perCopy)
        let hit = mine.first { $0.candidate.original == 0 }
        #expect(hit?.x == Int32(ox) && hit?.y == Int32(oy) && hit?.candidate.kind == .crop, "\(mine)")
        #expect(found.compared <= AnchorKeys.budget * sizes.count)
    }

    /// A flat figure (a real image at 1/40 of its contrast: band-pass |d| mostly under one grey level) still gets
    /// anchors in every part, and those of its crop are its own, moved by the offset. (Under the former floor of one
    /// grey level this image gets fewer than 96 anchors.)
    @Test(.enabled(if: sharedImagesDirectory() != nil, "../shared/data/images is absent"))
    func flatImageGetsAnchors() throws {
        let image = try Self.originals().max { $0.width * $0.height < $1.width * $1.height }!
        let flat = Image(
            width: image.width, height: image.height, channels: image.channels,
            pixels: image.pixels.map { UInt8(128 + (Int($0) - 128) / 40) })
        let a = AnchorKeys.anchors(SubImage.Plane(flat))
        let strong = a.filter { $0.strength >= 1 }.count
        #expect(a.count >= 96, "\(a.count) anchors, \(strong) with |d| ≥ 1")
        let (x, y) = (29, 31)
        let crop = Self.cut(flat, x: x, y: y, w: flat.width * 88 / 100, h: flat.height * 88 / 100)
        let b = AnchorKeys.anchors(SubImage.Plane(crop))
        let inA = Set(a.map { "\($0.key) \($0.x) \($0.y)" })
        let shared = b.filter { inA.contains("\($0.key) \($0.x + Int32(x)) \($0.y + Int32(y))") }.count
        #expect(shared * 3 > b.count, "\(shared) of \(b.count) anchors shared")
    }

    /// The size rule: trims of 1.5–18% of each side, halves of 46–50.5% with the other side kept, a pixel of
    /// rounding either way; never an image larger than the original, never the same size.
    @Test func sizesFitATrimOrAHalf() {
        let a = SubImage.Size(1000, 800)
        #expect(SubImage.fit(copy: SubImage.Size(900, 700), original: a) == .crop)
        #expect(SubImage.fit(copy: SubImage.Size(820, 656), original: a) == .crop)
        #expect(SubImage.fit(copy: SubImage.Size(810, 700), original: a) == nil)
        #expect(SubImage.fit(copy: SubImage.Size(990, 700), original: a) == nil)
        #expect(SubImage.fit(copy: SubImage.Size(490, 800), original: a) == .panel)
        #expect(SubImage.fit(copy: SubImage.Size(490, 799), original: a) == .panel)
        #expect(SubImage.fit(copy: SubImage.Size(1000, 380), original: a) == .panel)
        #expect(SubImage.fit(copy: SubImage.Size(490, 780), original: a) == nil)
        #expect(SubImage.fit(copy: a, original: a) == .near)
        #expect(SubImage.fit(copy: SubImage.Size(1001, 700), original: a) == nil)
    }

    /// Cluster and edge kinds read back from files: known names map to their cases, others are kept as written.
    @Test func duplicateKindsRoundTrip() throws {
        for k in DuplicateKind.known { #expect(DuplicateKind(rawValue: k.rawValue) == k) }
        let odd = DuplicateKind(rawValue: "rotated")
        #expect(odd == .other("rotated") && odd.rawValue == "rotated")
        let record = ClusterRecord(
            keep: "PMC1/F1", members: ["PMC1/F1"], articles: ["PMC1"], kind: "rotated", maxDistance: 0)
        let back = try JSONDecoder().decode(ClusterRecord.self, from: JSONEncoder().encode(record))
        #expect(back.kind == .other("rotated") && back == record)
        #expect(DuplicateKind.near.rank < DuplicateKind.crop.rank && DuplicateKind.crop.rank < DuplicateKind.panel.rank)
    }
}
