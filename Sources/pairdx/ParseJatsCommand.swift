import ArgumentParser
import PairDxCore

struct ParseJATSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "parse-jats", abstract: "(not built yet)")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        throw PairDxError.usage("'pairdx parse-jats' is not built yet")
    }
}
