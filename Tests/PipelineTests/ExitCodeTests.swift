import Foundation
import PairDxCore
import PairDxTestSupport
import Testing

/// The exit-code rule (README "Exit codes") against the built `pairdx`: every subcommand given a missing input file
/// exits 74, every subcommand given a value its option does not take exits 64, and malformed input exits 65.
@Suite(.scratch) struct ExitCodeTests {
    static let recipe = Prerequisite.packageRoot + "/Manifests/pairdx-synth-v1/recipe.json"
    static let split = Prerequisite.packageRoot + "/Splits/pairdx-synth-v1"
    static let missing = "/nonexistent-pairdx-input"

    /// Runs `pairdx args` in an empty scratch directory (so `work/` and `Manifests/` are absent there).
    func run(_ args: [String]) throws -> (status: Int32, stderr: String) {
        let exe = try Prerequisite.pairdx.require()
        let dir = try Scratch.directory("exit")
        let r = try Subprocess.run(exe, args, cwd: dir, stderrOnly: true)
        return (r.status, r.output)
    }

    /// Every subcommand with an input that does not exist (a synth output under a path that cannot be created, for
    /// the one subcommand that reads nothing; `bench train` reads nothing and writes nothing, so it is not here).
    static let missingInput: [[String]] = [
        ["rebuild", "--recipe", missing + "/recipe.json"],
        ["plan", "--recipe", recipe, "--source", missing],
        ["synth", "--out", "/proc/pairdx-cannot-create/mirror", "--figures", "30"],
        ["serve-mirror", missing, "--port", "0"],
        ["discover", "--ids", missing + ".txt"],
        ["discover", "--source", missing],
        ["fetch", "--source", "."],
        ["parse-jats", missing + ".xml"],
        ["hash", "--work", missing],
        ["phash", missing + ".png"],
        ["dedupe", "--work", missing],
        ["label", "--work", missing, "--recipe", recipe],
        ["label-eval", "--recipe", recipe, "--gold", missing + ".jsonl"],
        ["balance", "--work", missing, "--recipe", recipe],
        ["split", "--work", missing, "--recipe", recipe],
        ["manifest", "--work", missing, "--recipe", recipe],
        [
            "export", "--recipe", recipe, "--splits-root", Prerequisite.packageRoot + "/Splits", "--work", missing,
            "--bagit", "bag"
        ],
        ["verify", missing],
        ["audit", missing],
        ["train", "--model", "text", "--split", missing],
        ["evaluate", "--checkpoint", missing + ".safetensors", "--split", split],
        ["validate", "--split", missing],
        ["bench", "validate", "--recipe", missing + ".json"],
        ["merge", "--shards", "2", "--work", missing],
        ["suspects", "--split", missing],
        ["balance", "--work", Prerequisite.packageRoot, "--recipe", recipe, "--exclude-suspects", missing + ".json"],
        ["rebuild", "--recipe", recipe, "--validate", "--clip-weights", missing + ".safetensors"]
    ]

    @Test(Prerequisite.pairdx.trait, arguments: missingInput)
    func aMissingInputFileExits74(_ args: [String]) throws {
        let r = try run(args)
        #expect(r.status == 74, "pairdx \(args.joined(separator: " ")) exited \(r.status): \(r.stderr.suffix(400))")
        #expect(!r.stderr.isEmpty)
    }

    /// The shared options' bad values, on every subcommand, and each enumerated option's.
    static let badValue: [[String]] = {
        var out: [[String]] = []
        for s in Self.subcommands {
            let words = s.split(separator: " ").map(String.init)
            out.append(words + ["--log-level", "loud"])
            out.append(words + ["--threads", "0"])
        }
        return out + [
            ["split", "--mode", "weird"],
            ["rebuild", "--order", "sideways"],
            ["rebuild", "--candidates", "guess"],
            ["verify", split, "--format", "xml"],
            ["verify", split, "--expect", "not-a-digest"],
            ["train", "--model", "resnet", "--split", split],
            ["evaluate", "--checkpoint", "c", "--split", split, "--part", "everything"],
            ["label-eval", "--disagreements", "both"],
            ["bench", "train", "--model", "vgg"],
            ["validate", "--clip-activation", "relu"],
            ["fetch", "--shard", "5/4"],
            ["rebuild", "--source", "mirror", "--scan-shard", "5/4"],
            ["rebuild", "--source", "mirror", "--from-shards", "0"],
            ["rebuild", "--source", "mirror", "--from-shards", "2", "--shards", "2"],
            ["rebuild", "--scan-shard", "0/2"],
            ["synth", "--figures", "many"]
        ]
    }()

    @Test(Prerequisite.pairdx.trait, arguments: badValue)
    func aBadOptionValueExits64(_ args: [String]) throws {
        let r = try run(args)
        #expect(r.status == 64, "pairdx \(args.joined(separator: " ")) exited \(r.status): \(r.stderr.suffix(400))")
    }

    @Test(Prerequisite.pairdx.trait) func malformedInputExits65() throws {
        let dir = try Scratch.directory("exit-bad")
        try AtomicFile.write("{\"name\": ", to: dir + "/recipe.json")
        try AtomicFile.write("<article><body><fig", to: dir + "/a.xml")
        for args in [
            ["rebuild", "--recipe", dir + "/recipe.json"], ["split", "--recipe", dir + "/recipe.json"],
            ["parse-jats", dir + "/a.xml"]
        ] {
            let r = try run(args)
            #expect(r.status == 65, "pairdx \(args.joined(separator: " ")) exited \(r.status): \(r.stderr.suffix(400))")
        }
    }

    /// Every subcommand takes the shared options, and every one that reports results `--json` (README "Subcommands":
    /// `manifest` and `serve-mirror` report none).
    @Test(Prerequisite.pairdx.trait, arguments: Self.subcommands)
    func everySubcommandTakesTheSharedOptions(_ subcommand: String) throws {
        let text = try runStdout(subcommand.split(separator: " ").map(String.init) + ["--help"])
        var options = ["--work <work>", "--threads <threads>", "--log-level <log-level>"]
        if !["manifest", "serve-mirror"].contains(subcommand) { options.append("--json") }
        for o in options { #expect(text.contains(o), "pairdx \(subcommand) does not take \(o)") }
    }

    static let subcommands = [
        "rebuild", "plan", "synth", "serve-mirror", "discover", "fetch", "parse-jats", "hash", "phash", "dedupe",
        "label", "label-eval", "balance", "split", "manifest", "export", "verify", "audit", "train", "evaluate",
        "validate", "bench train", "bench validate", "merge", "suspects"
    ]

    /// The list above is every subcommand `pairdx --help` names, so a new one cannot miss these checks.
    @Test(Prerequisite.pairdx.trait) func theListCoversEverySubcommand() throws {
        let help = try runStdout(["--help"])
        guard let section = help.components(separatedBy: "SUBCOMMANDS:").last?.components(separatedBy: "\n\n").first
        else {
            Issue.record("no SUBCOMMANDS in --help"); return
        }
        let named = Set(
            section.split(separator: "\n").compactMap { line -> String? in
                guard line.hasPrefix("  "), !line.hasPrefix("   ") else { return nil }
                return line.split(separator: " ").first.map(String.init)
            })
        let listed = Set(Self.subcommands.map { String($0.split(separator: " ")[0]) })
        #expect(
            named.subtracting(listed).subtracting(["help"]).isEmpty,
            "not checked: \(named.subtracting(listed).sorted())")
    }

    func runStdout(_ args: [String]) throws -> String {
        let exe = try Prerequisite.pairdx.require()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
