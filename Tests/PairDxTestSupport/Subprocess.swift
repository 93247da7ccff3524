import Foundation

/// Runs an executable to completion for a test: its exit status and its stdout and stderr together.
public enum Subprocess {
    /// `env` entries are added to (or replace those of) this process's environment; `cwd` is the working directory.
    /// `stderrOnly`: stdout is discarded and `output` is stderr alone.
    @discardableResult
    public static func run(
        _ exe: String, _ args: [String], cwd: String? = nil, env: [String: String] = [:],
        stderrOnly: Bool = false
    ) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        if !env.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(env) { _, b in b } }
        let pipe = Pipe()
        p.standardOutput = stderrOnly ? FileHandle.nullDevice : pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
