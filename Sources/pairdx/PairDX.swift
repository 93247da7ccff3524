import ArgumentParser
import Foundation
import PairDxCore
import Training

/// The `pairdx` command line: one subcommand per stage, run in the order listed.
struct PairDX: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pairdx",
        abstract: "Rebuild the PairDx medical figure–caption dataset from public sources, reproducibly, and prove it.",
        discussion: """
            Stages run in this order, each reading the previous stage's files in the work directory:
              synth → discover → fetch → hash → dedupe → label → balance → split → manifest → verify → audit → train/validate
            `pairdx rebuild` runs them all (on the embedded demo corpus when given no source).

            Exit codes: 0 success; 1 a check or gate failed; 64 usage error (bad option or value); 65 malformed input data;
            74 I/O error (a missing input file included).
            """,
        version: PairDxVersion.string,
        subcommands: [
            RebuildCommand.self,
            PlanCommand.self,
            SynthCommand.self,
            ServeMirrorCommand.self,
            DiscoverCommand.self,
            FetchCommand.self,
            ParseJATSCommand.self,
            HashCommand.self,
            PhashCommand.self,
            DedupeCommand.self,
            LabelCommand.self,
            LabelEvalCommand.self,
            BalanceCommand.self,
            SplitCommand.self,
            ManifestCommand.self,
            ExportCommand.self,
            VerifyCommand.self,
            SuspectsCommand.self,
            AuditCommand.self,
            TrainCommand.self,
            EvaluateCommand.self,
            ValidateCommand.self,
            BenchCommand.self,
            MergeCommand.self
        ]
    )
}

@main
enum Main {
    static func main() async {
        MemoryPolicy.apply()
        BLAS.sleepWhenIdle()
        do {
            var command = try PairDX.parseAsRoot()
            if var async = command as? AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
        } catch {
            ExitStatus.exit(with: error)
        }
    }
}
