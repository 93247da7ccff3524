import ArgumentParser
import PairDxCore

struct SynthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "synth", abstract: "(not built yet)")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        throw PairDxError.usage("'pairdx synth' is not built yet")
    }
}
