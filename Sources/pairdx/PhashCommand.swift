import ArgumentParser
import PairDxCore

struct PhashCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "phash", abstract: "(not built yet)")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        throw PairDxError.usage("'pairdx phash' is not built yet")
    }
}
