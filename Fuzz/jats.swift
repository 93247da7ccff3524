// libFuzzer target: the JATS parser (figures, captions, graphics) on arbitrary bytes.
import Foundation
import Ingest

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJATS(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? JATSParser.parse(Data(bytes: bytes, count: size), source: "fuzz")
    return 0
}
