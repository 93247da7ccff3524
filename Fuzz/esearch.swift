// libFuzzer target: the NCBI esearch answer parser.
import Foundation
import Ingest

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzESearch(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? ESearchPage.parse(Data(bytes: bytes, count: size), source: "fuzz")
    return 0
}
