// libFuzzer target: the S3 ListObjectsV2 answer parser.
import Foundation
import Ingest

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzS3Listing(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? S3Listing.parse(Data(bytes: bytes, count: size), source: "fuzz")
    return 0
}
