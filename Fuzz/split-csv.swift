// libFuzzer target: the split CSV reader on arbitrary text.
import Curation
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSplitCSV(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: bytes, count: size), as: UTF8.self)
    _ = try? SplitFiles.parseCSV(text, source: "fuzz.csv")
    return 0
}
