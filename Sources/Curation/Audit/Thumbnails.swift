import Foundation
import Imaging
import PairDxCore

/// Small embedded previews for the HTML report: blob → decode (JPEG at a reduced DCT scale) → area-average
/// downscale → JPEG (quality 80) → `data:` URI. A blob that is missing or does not decode is counted and
/// shown as "no image"; it never stops the report.
public enum Thumbnails {
    /// Data URIs by sha256 for every sample that has a readable blob, plus one problem line per failure.
    public static func make(for report: AuditReport, blobs: BlobStore, side: Int) -> (uris: [String: String], problems: [String]) {
        var uris: [String: String] = [:]
        var problems: [String] = []
        for s in report.samples {
            for it in s.items where uris[it.sha256] == nil && !it.sha256.isEmpty {
                guard blobs.contains(it.sha256) else { problems.append("thumbnail \(it.id): blob \(it.sha256) not in \(blobs.root)"); continue }
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
        let jpeg = try ImageEncoder.jpeg(pixels: small.pixels, width: small.width, height: small.height,
                                         channels: small.channels, quality: 80)
        return "data:image/jpeg;base64," + jpeg.base64EncodedString()
    }

    /// Area-average downscale so the longer side is at most `maxSide` (aspect kept); images already small
    /// enough are returned unchanged. Each output pixel averages the source box it covers. O(source pixels).
    public static func downscale(_ img: Image, maxSide: Int) -> Image {
        let longer = max(img.width, img.height)
        guard longer > maxSide, maxSide > 0 else { return img }
        let ow = max(1, img.width * maxSide / longer), oh = max(1, img.height * maxSide / longer)
        let ch = img.channels
        var out = [UInt8](repeating: 0, count: ow * oh * ch)
        img.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for oy in 0..<oh {
                    let y0 = oy * img.height / oh, y1 = max(y0 + 1, (oy + 1) * img.height / oh)
                    for ox in 0..<ow {
                        let x0 = ox * img.width / ow, x1 = max(x0 + 1, (ox + 1) * img.width / ow)
                        let n = (y1 - y0) * (x1 - x0)
                        for c in 0..<ch {
                            var sum = 0
                            for y in y0..<y1 {
                                var i = (y * img.width + x0) * ch + c
                                for _ in x0..<x1 { sum &+= Int(src[i]); i &+= ch }
                            }
                            dst[(oy * ow + ox) * ch + c] = UInt8((sum + n / 2) / n)
                        }
                    }
                }
            }
        }
        return Image(width: ow, height: oh, channels: ch, pixels: out, format: img.format)
    }
}
