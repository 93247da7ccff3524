// libFuzzer target: the recipe reader (canonical JSON decode and validation) on arbitrary bytes.
import Foundation
import PairDxCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRecipe(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? Recipe.parse(Data(bytes: bytes, count: size), source: "fuzz.json")
    return 0
}
