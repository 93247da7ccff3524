import Foundation
import PairDxCore

/// Recall of dedupe per transform on real images, and false merges among the distinct originals
/// (`pairdx dedupe --benchmark-transforms FOLDER…`, run by `scripts/bench/dedupe.sh`).
///
/// Every original is copied seven ways, each copy a figure of its own article: rescaled to 70%, re-encoded as
/// JPEG quality 70, brightened by 25 levels, border crops removing 5, 10 and 15% of each side's length (40% of
/// it from the left edge, 60% from the top), and the left half less a 1% gutter (a panel cut). All figures
/// go through the `hash` record (pairdx-phash-v2) and `Dedupe.run` with the given radii.
public enum TransformBenchmark {
    public enum Transform: String, Sendable, CaseIterable {
        case rescale, reencode, brightness, crop5, crop10, crop15, panel
    }

    /// The transformed copy of `image`, encoded.
    static func apply(_ t: Transform, to image: Image) throws -> Data {
        let w = image.width, h = image.height, c = image.channels
        func crop(x: Int, y: Int, cw: Int, ch: Int) -> Image {
            var out = [UInt8]()
            out.reserveCapacity(cw * ch * c)
            for row in y..<(y + ch) { out += image.pixels[((row * w + x) * c)..<((row * w + x + cw) * c)] }
            return Image(width: cw, height: ch, channels: c, pixels: out)
        }
        func border(_ p: Double) -> Image {
            let cw = Int(Double(w) * (1 - p)), ch = Int(Double(h) * (1 - p))
            return crop(x: Int(Double(w - cw) * 0.4), y: Int(Double(h - ch) * 0.6), cw: cw, ch: ch)
        }
        let png = { (i: Image) throws(ImagingError) -> Data in
            try ImageEncoder.png(pixels: i.pixels, width: i.width, height: i.height, channels: i.channels)
        }
        switch t {
        case .rescale: return try png(Resample.resize(image, width: max(8, w * 7 / 10), height: max(8, h * 7 / 10)))
        case .reencode:
            return try ImageEncoder.jpeg(pixels: image.pixels, width: w, height: h, channels: c, quality: 70)
        case .brightness:
            return try png(
                Image(width: w, height: h, channels: c, pixels: image.pixels.map { UInt8(min(255, Int($0) + 25)) }))
        case .crop5: return try png(border(0.05))
        case .crop10: return try png(border(0.10))
        case .crop15: return try png(border(0.15))
        case .panel: return try png(crop(x: 0, y: 0, cw: w / 2 - w / 100, ch: h))
        }
    }

    /// Runs the benchmark over the PNG and JPEG files under `folders`; returns the printed lines.
    public static func run(
        folders: [String], radius: Int, confirmRadius: Int?, cropSearch: Bool,
        detail: Dedupe.DetailThresholds? = Dedupe.defaultDetail, threads: Int
    ) throws -> String {
        var files = [String]()
        for f in folders {
            files += FileSystem.listFiles(under: f, followingFileLinks: true)
                .filter { ["png", "jpg", "jpeg"].contains(($0 as NSString).pathExtension.lowercased()) }
                .map { f + "/" + $0 }
        }
        files.sort()
        var figures = [FigureRecord]()
        var images = [String: ImageRecord]()
        var stored = [String: Data]()
        var origin = [String: (image: Int, transform: Transform?)]()
        var originals = 0
        for path in files {
            let data = try FileSystem.read(path)
            guard let image = try? ImageDecoder.decode(data) else {
                Log.warning("\(path): not decodable, skipped"); continue
            }
            let k = originals
            originals += 1
            var copies: [(Transform?, Data)] = [(nil, data)]
            for t in Transform.allCases { copies.append((t, try apply(t, to: image))) }
            for (j, (t, bytes)) in copies.enumerated() {
                let sha = SHA256.hex(bytes)
                let pmcid = "PMC\(100 * (k + 1) + j)"
                let id = pmcid + "/F1"
                images[sha] = HashStage.record(sha256: sha, data: bytes, budget: DecodeBudget())
                stored[sha] = bytes
                figures.append(
                    FigureRecord(
                        id: id, pmcid: pmcid, version: 1, figure: "F1", label: nil, caption: "",
                        context: "fig", href: "h", media: (path as NSString).lastPathComponent,
                        license: nil, sha256: sha, bytes: bytes.count, url: nil, status: .ok))
                origin[id] = (k, t)
            }
        }
        let r = Dedupe.run(
            figures: figures, images: images.values.sorted { $0.sha256 < $1.sha256 }, radius: radius,
            confirmRadius: confirmRadius, cropSearch: cropSearch, detail: detail, threads: threads,
            pixels: { [stored] in stored[$0] })
        var signature = [String: Dedupe.Blob]()
        for item in r.items { signature[item.id] = r.blobs[item.blob] }
        // The crop signature's nine window codes (36 words) of each figure, read from its hash record.
        var windows = [String: [UInt64]]()
        for f in figures {
            if let w = f.sha256.flatMap({ images[$0]?.crop256 }).flatMap(CropSignature.words) { windows[f.id] = w }
        }
        /// The least 256-bit distance from `a`'s whole window to one of `b`'s windows 1–8.
        func closestWindow(_ a: [UInt64], _ b: [UInt64]) -> Int {
            (1..<9).map { w in Dedupe.distance256(Array(a[0..<4]), Array(b[(4 * w)..<(4 * w + 4)])) }.min()!
        }
        var clusterOf = [String: Int]()
        for (c, cl) in r.clusters.enumerated() { for m in cl.members { clusterOf[m] = c } }
        var lines = [
            "real images: \(originals) originals × \(Transform.allCases.count) transforms, "
                + "radius \(radius), confirm \(confirmRadius.map(String.init) ?? "off"), crops \(cropSearch ? "on" : "off")"
        ]
        for t in Transform.allCases {
            var hits = 0, total = 0
            for (id, o) in origin where o.transform == t {
                total += 1
                let orig = "PMC\(100 * (o.image + 1))/F1"
                if let a = clusterOf[id], a == clusterOf[orig] { hits += 1 }
            }
            // Distance the crop search sees: the copy's whole window against the original's windows 1–8 (the
            // closest), and the 256-bit pHash distance the near search sees.
            var windowD = [Int](), wholeD = [Int]()
            for (id, o) in origin where o.transform == t {
                let orig = "PMC\(100 * (o.image + 1))/F1"
                guard let a = signature[id], let b = signature[orig], let wa = windows[id], let wb = windows[orig]
                else { continue }
                windowD.append(closestWindow(wa, wb))
                wholeD.append(Dedupe.distance256(a.phash256!, b.phash256!))
            }
            // Detail scores of the copy–original edges the hashes found.
            var blobOf = [String: Int32]()
            for item in r.items { blobOf[item.id] = Int32(item.blob) }
            var scores = [String]()
            for (id, o) in origin where o.transform == t {
                guard let a = blobOf[id], let b = blobOf["PMC\(100 * (o.image + 1))/F1"] else { continue }
                for s in r.scored where (s.a == a && s.b == b) || (s.a == b && s.b == a) {
                    scores.append(String(format: "%.2f", s.score))
                }
            }
            lines.append(
                "  recall " + t.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0) + " \(hits)/\(total)"
                    + "   closest window distances \(windowD.sorted()), 256-bit pHash distances \(wholeD.sorted()), "
                    + "detail scores \(scores.sorted())")
        }
        // The same distances between distinct originals: how close do unrelated images come?
        var distinctWindow = [Int](), distinctWhole = [Int]()
        let origIDs = (0..<originals).map { "PMC\(100 * ($0 + 1))/F1" }
        for x in origIDs {
            for y in origIDs where x != y {
                guard let a = signature[x], let b = signature[y], let wa = windows[x], let wb = windows[y]
                else { continue }
                distinctWindow.append(closestWindow(wa, wb))
                if x < y { distinctWhole.append(Dedupe.distance256(a.phash256!, b.phash256!)) }
            }
        }
        lines.append(
            "  distinct originals: closest window distances (10 smallest) \(distinctWindow.sorted().prefix(10)), "
                + "256-bit pHash distances (10 smallest) \(distinctWhole.sorted().prefix(10))")
        var falseMerges = 0
        for cl in r.clusters where cl.members.count > 1 {
            for x in 0..<cl.members.count {
                for y in (x + 1)..<cl.members.count where origin[cl.members[x]]!.image != origin[cl.members[y]]!.image {
                    falseMerges += 1
                }
            }
        }
        let pairs = originals * (originals - 1) / 2
        lines.append(
            "  false merges among distinct originals (and their copies): \(falseMerges) pairs (\(pairs) pairs of originals)"
        )
        var distinctScores = [String]()
        for s in r.scored {
            let ia = r.items.first { $0.blob == Int(s.a) }!.id, ib = r.items.first { $0.blob == Int(s.b) }!.id
            if origin[ia]!.image != origin[ib]!.image { distinctScores.append(String(format: "%.2f", s.score)) }
        }
        lines.append(
            "  detail scores of edges between distinct originals (or their copies): \(Array(distinctScores.sorted().reversed().prefix(10)))"
        )
        lines.append(
            "  largest cluster: \(r.clusters.map(\.members.count).max() ?? 0) (planted: \(Transform.allCases.count + 1))"
        )
        return lines.joined(separator: "\n")
    }
}

extension TransformBenchmark {
    /// Decode + hash throughput of the `hash` stage's work per image with and without the crop signature: every
    /// PNG and JPEG under `folders`, `rounds` times, on one thread, alternating the two so load on the machine
    /// hits both alike. Returns the printed lines.
    public static func hashThroughput(folders: [String], rounds: Int) throws -> String {
        var blobs = [Data]()
        for f in folders {
            for name in FileSystem.listFiles(under: f, followingFileLinks: true).sorted()
            where ["png", "jpg", "jpeg"].contains((name as NSString).pathExtension.lowercased()) {
                blobs.append(try FileSystem.read(f + "/" + name))
            }
        }
        var seconds: [HashMode: Double] = [.v1: 0, .v2: 0]
        var count = 0
        for _ in 0..<max(1, rounds) {
            for mode in [HashMode.v1, .v2] {
                let t0 = DispatchTime.now().uptimeNanoseconds
                for d in blobs { _ = try? ImageHasher.hash(d, mode: mode, pixelDigest: true, wide: true) }
                seconds[mode]! += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            }
            count += blobs.count
        }
        let v1 = Double(count) / seconds[.v1]!, v2 = Double(count) / seconds[.v2]!
        return String(
            format: "hash throughput (decode + hashes, 1 thread, %d images): v1 + 256-bit %.1f images/s, "
                + "v2 (+ crop signature) %.1f images/s, v2/v1 = %.3f", count, v1, v2, v2 / v1)
    }
}
