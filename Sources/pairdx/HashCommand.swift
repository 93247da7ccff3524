import ArgumentParser
import PairDxCore

struct HashCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hash", abstract: "(not built yet)")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        throw PairDxError.usage("'pairdx hash' is not built yet")
    }
}
