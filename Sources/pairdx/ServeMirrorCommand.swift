import ArgumentParser
import PairDxCore

struct ServeMirrorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve-mirror", abstract: "(not built yet)")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        throw PairDxError.usage("'pairdx serve-mirror' is not built yet")
    }
}
