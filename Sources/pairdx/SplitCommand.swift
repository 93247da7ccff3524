import ArgumentParser
import PairDxCore

struct SplitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "split", abstract: "(not built yet)")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        throw PairDxError.usage("'pairdx split' is not built yet")
    }
}
