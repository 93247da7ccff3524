import ArgumentParser
import Imaging

/// The limits every image decode of a command runs under (README "Reliability").
struct DecodeOptions: ParsableArguments {
    @Option(help: "Largest image accepted, in pixels (read from the header before decoding).")
    var maxPixels: Int = DecodeBudget.defaultMaxPixels

    @Option(
        help: ArgumentHelp(
            "Memory for whole-image decode buffers, in MiB, shared by all threads.",
            discussion:
                "Rows stream, so only interlaced PNGs (their pixels) and progressive or multi-scan JPEGs (their coefficients) are buffered whole; an image needing more than this is rejected as over-budget, and threads wait for each other's buffers."
        ))
    var decodeMemoryMb: Int = DecodeBudget.defaultMemoryBytes >> 20

    @Option(help: "Most scans decoded in one JPEG (more is rejected as too-many-scans).")
    var maxJpegScans: Int = DecodeBudget.defaultMaxScans

    func validate() throws {
        if maxPixels < 1 { throw ValidationError("--max-pixels must be positive") }
        if decodeMemoryMb < 1 || decodeMemoryMb > 1 << 20 {
            throw ValidationError("--decode-memory-mb must be in 1...1048576")
        }
        if maxJpegScans < 1 { throw ValidationError("--max-jpeg-scans must be positive") }
    }

    /// The budget these options describe, with its own memory pool.
    func budget() -> DecodeBudget {
        DecodeBudget(maxPixels: maxPixels, maxScans: maxJpegScans, memory: DecodeMemory(capacity: decodeMemoryMb << 20))
    }
}
