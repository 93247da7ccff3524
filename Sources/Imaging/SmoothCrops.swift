import Foundation
import PairDxCore

/// Crops of smooth figures (`docs/pairdx-phash-v2.md` §5, "Smooth crops"): a blurred figure has no fine detail, so
/// its anchors (`AnchorKeys`) fall on JPEG noise that the copy's re-encoding moves, and its crops get no votes. Its
/// low frequencies are its content, and a crop keeps them at the same pixel scale.
///
/// **Candidates**, before any decode, from the records: both blobs **smooth** (their 32×32 thumbnails vary,
/// `spread` grey levels or more of standard deviation, but have under `detail` levels of detail, the root mean
/// square of each cell minus its 3×3 mean), their 64-bit pHashes within `radius`, their sizes fit a trim
/// (`SubImage.fit`), and the copy's thumbnail matches the original's resampled over some box of the copy's size
/// (`thumbnailFit`) within `thumbnail` levels, each centred on its mean. **Confirmation**, on the decoded pixels
/// aligned near the box's offset (`SubImage.align`): on 8×8-pixel blocks the copy varies by `pixelSpread` levels
/// or more and the two differ by at most `levels` once centred (`Alignment.levels`).
///
/// Work: the pHash search runs over the smooth blobs alone, and each candidate costs a thumbnail fit
/// (O(offsets · 1024)) and, if it passes, one alignment. The candidates grow with the square of the smooth figures
/// of one look (the pHash radius is wide); §5 gives the counts.
public enum SmoothCrops {
    public static let rule = (
        radius: 8, detail: 3.0, spread: 5.0, thumbnail: 1.5, pixelSpread: 6.0, levels: 0.6
    )

    /// Whether a thumbnail is smooth (see the type's description). O(1024).
    public static func isSmooth(_ t: [UInt8]) -> Bool {
        let n = AlignedDetail.side
        precondition(t.count == n * n)
        let cells = t.map(Float.init), count = Double(n * n)
        let detail = SubImage.band(cells, n, n).reduce(0) { $0 + Double($1) * Double($1) }
        let spread = SubImage.Moments(cells).norm / count.squareRoot()
        return spread >= rule.spread && (detail / count).squareRoot() < rule.detail
    }

    /// The box of the copy's size inside the original where the original's thumbnail, sampled bilinearly at the
    /// copy's cell centres, is closest to the copy's thumbnail: the root mean square of the centred difference
    /// (grey levels) and the box's offset in the original's pixels. Offsets in steps of one cell, then of a quarter
    /// cell within a cell of the best. O(offsets · 1024).
    public static func thumbnailFit(
        copy tb: [UInt8], _ copy: SubImage.Size, original ta: [UInt8], _ original: SubImage.Size
    ) -> (levels: Double, x: Int, y: Int) {
        let n = AlignedDetail.side, cells = Double(n)
        let sx = Double(copy.width) / Double(original.width), sy = Double(copy.height) / Double(original.height)
        let mx = cells * (1 - sx), my = cells * (1 - sy)
        let a = ta.map(Float.init), b = tb.map(Float.init)
        func rms(_ ox: Double, _ oy: Double) -> Double {
            var sum: Float = 0, squares: Float = 0
            for j in 0..<n {
                let py = min(cells - 1, max(0, oy + (Double(j) + 0.5) * sy - 0.5))
                let y0 = min(n - 2, Int(py)), fy = Float(py - Double(y0))
                for i in 0..<n {
                    let px = min(cells - 1, max(0, ox + (Double(i) + 0.5) * sx - 0.5))
                    let x0 = min(n - 2, Int(px)), fx = Float(px - Double(x0))
                    let r0 = y0 * n + x0, r1 = r0 + n
                    let top = a[r0] + (a[r0 + 1] - a[r0]) * fx, bottom = a[r1] + (a[r1 + 1] - a[r1]) * fx
                    let d = top + (bottom - top) * fy - b[j * n + i]
                    sum += d; squares += d * d
                }
            }
            let count = Float(n * n), mean = sum / count
            return Double(max(0, squares / count - mean * mean)).squareRoot()
        }
        func steps(_ from: Double, _ to: Double, _ by: Double) -> [Double] {
            var out = Array(stride(from: from, through: to, by: by))
            if let last = out.last, last < to - 1e-9 { out.append(to) }
            return out
        }
        var best = (levels: Double.infinity, ox: 0.0, oy: 0.0)
        for oy in steps(0, my, 1) {
            for ox in steps(0, mx, 1) {
                let v = rms(ox, oy)
                if v < best.levels { best = (v, ox, oy) }
            }
        }
        let (cx, cy) = (best.ox, best.oy)
        for oy in steps(max(0, cy - 1), min(my, cy + 1), 0.25) {
            for ox in steps(max(0, cx - 1), min(mx, cx + 1), 0.25) {
                let v = rms(ox, oy)
                if v < best.levels { best = (v, ox, oy) }
            }
        }
        let x = Int((best.ox * Double(original.width) / cells).rounded())
        let y = Int((best.oy * Double(original.height) / cells).rounded())
        return (best.levels, x, y)
    }

    /// The candidates among `blobs` (see the type's description), as votes for the offset the thumbnails agree
    /// on (no anchor votes), sorted by (copy, original). Pairs in `known` (copy << 32 | original) are left out.
    static func candidates(_ blobs: [Dedupe.Blob], known: Set<Int>, threads: Int) -> [AnchorKeys.Vote] {
        let smooth = Parallel.map(count: blobs.count, threads: threads, batch: 256) { i -> Bool in
            blobs[i].thumb.map(isSmooth) ?? false
        }
        let members = smooth.indices.filter { smooth[$0] }
        let near = HammingIndex(members.map { blobs[$0].phash }).pairs(radius: rule.radius, threads: threads)
        var fits = [SubImage.Candidate]()
        for p in near {
            let i = Int32(members[Int(p.i)]), j = Int32(members[Int(p.j)])
            for (copy, original) in [(i, j), (j, i)] where !known.contains(Int(copy) << 32 | Int(original)) {
                let b = blobs[Int(copy)], a = blobs[Int(original)]
                let size = (SubImage.Size(b.width, b.height), SubImage.Size(a.width, a.height))
                if SubImage.fit(copy: size.0, original: size.1) == .crop {
                    fits.append(SubImage.Candidate(copy: copy, original: original, kind: .crop))
                }
            }
        }
        let sorted = fits.sorted()
        let fitted = Parallel.map(count: sorted.count, threads: threads, batch: 16) { k -> AnchorKeys.Vote? in
            let c = sorted[k], b = blobs[Int(c.copy)], a = blobs[Int(c.original)]
            guard let tb = b.thumb, let ta = a.thumb else { return nil }
            let fit = thumbnailFit(
                copy: tb, SubImage.Size(b.width, b.height), original: ta, SubImage.Size(a.width, a.height))
            guard fit.levels <= rule.thumbnail else { return nil }
            return AnchorKeys.Vote(candidate: c, x: Int32(fit.x), y: Int32(fit.y), votes: 0)
        }
        return fitted.compactMap { $0 }
    }

    /// Whether an aligned smooth candidate is kept (see the type's description).
    static func keeps(_ al: SubImage.Alignment) -> Bool {
        al.spread >= rule.pixelSpread && al.levels <= rule.levels
    }
}
