// libFuzzer target: the PNG decoder, streamed into the hasher and collected whole, under a small budget.
import Foundation
import Imaging

let budget = DecodeBudget(maxPixels: 4_000_000, maxScans: 100, memory: DecodeMemory(capacity: 64 << 20))

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPNG(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // The PNG signature is fixed, so inputs without it would only test the sniffer.
    var data = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    data.append(bytes, count: size)
    _ = try? ImageHasher.hash(data, budget: budget, pixelDigest: true, wide: true)
    _ = try? ImageDecoder.decode(data, budget: budget)
    return 0
}
