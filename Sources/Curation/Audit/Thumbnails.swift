import Foundation
import Imaging
import PairDxCore

/// Small embedded previews for the HTML report: blob → decode (JPEG at a reduced DCT scale) → Lanczos
/// downscale → JPEG (quality 80) → `data:` URI. A blob that is missing or does not decode is counted and
/// shown as "no image"; it never stops the report.
public enum Thumbnails {
    /// Data URIs by sha256 for every sample and shown suspect that has a readable blob, plus one problem line per failure.
    public static func make(for report: AuditReport, blobs: BlobStore, side: Int) -> (
        uris: [String: String], problems: [String]
    ) {
        var uris: [String: String] = [:]
        var problems: [String] = []
        let suspects = (report.suspectLabels?.top ?? []).map { (id: $0.id, sha256: $0.sha256) }
        for items in report.samples.map({ $0.items.map { (id: $0.id, sha256: $0.sha256) } }) + [suspects] {
            for it in items where uris[it.sha256] == nil && !it.sha256.isEmpty {
                guard blobs.contains(it.sha256) else {
                    problems.append("thumbnail \(it.id): blob \(it.sha256) is not in the work directory's blob store");
                    continue
                }
                do {
                    let data = try blobs.read(it.sha256)
                    uris[it.sha256] = try dataURI(data, side: side)
                } catch {
                    problems.append("thumbnail \(it.id): \(error)")
                }
            }
        }
        return (uris, problems)
    }

    /// Encodes `data` (PNG or JPEG bytes) as a JPEG thumbnail whose longer side is at most `side`.
    public static func dataURI(_ data: Data, side: Int) throws -> String {
        let img = try ImageDecoder.decode(data, minSide: side)
        let small = downscale(img, maxSide: side)
        let jpeg = try ImageEncoder.jpeg(
            pixels: small.pixels, width: small.width, height: small.height,
            channels: small.channels, quality: 80)
        return "data:image/jpeg;base64," + jpeg.base64EncodedString()
    }

    /// Downscales with Imaging's antialiased Lanczos-3 so the longer side is at most `maxSide` (aspect
    /// kept); images already small enough are returned unchanged. O(source pixels · taps).
    public static func downscale(_ img: Image, maxSide: Int) -> Image {
        let longer = max(img.width, img.height)
        guard longer > maxSide, maxSide > 0 else { return img }
        let ow = max(1, img.width * maxSide / longer), oh = max(1, img.height * maxSide / longer)
        return Resample.resize(img, width: ow, height: oh)
    }
}
