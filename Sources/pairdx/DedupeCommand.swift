import ArgumentParser
import PairDxCore

struct DedupeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dedupe", abstract: "(not built yet)")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        throw PairDxError.usage("'pairdx dedupe' is not built yet")
    }
}
