// libFuzzer target: the JPEG decoder (headers, scanlines at full and DCT-scaled size), under a small budget.
import Foundation
import Imaging

let budget = DecodeBudget(maxPixels: 4_000_000, maxScans: 100, memory: DecodeMemory(capacity: 64 << 20))

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJPEG(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // Start of image is fixed, so inputs without it would only test the sniffer.
    var data = Data([0xFF, 0xD8, 0xFF])
    data.append(bytes, count: size)
    _ = try? ImageHasher.hash(data, mode: .v1, budget: budget, pixelDigest: true, wide: true)
    _ = try? ImageHasher.hash(data, mode: .imagehash, budget: budget)
    return 0
}
