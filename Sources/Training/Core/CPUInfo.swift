import Foundation

/// What the CPU offers the numeric code, for printing beside every benchmark figure: its model name, its vector
/// extensions (from the `flags` of /proc/cpuinfo) and the kernel set OpenBLAS chose (or `OPENBLAS_CORETYPE` forced).
public enum CPUInfo {
    /// The vector extensions worth naming, in the order printed.
    static let vectorFlags = [
        "sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512dq", "avx512bw", "avx512vl",
        "avx512_vnni", "avx512_bf16", "amx_tile"
    ]

    /// `model name` of the first CPU, or `unknown`.
    public static var model: String { field("model name") ?? "unknown" }

    /// The vector extensions of the first CPU among `vectorFlags`, e.g. `["sse4_2", "avx", "avx2", "fma"]`.
    public static var vectorExtensions: [String] {
        let flags = Set((field("flags") ?? "").split(separator: " ").map(String.init))
        return vectorFlags.filter(flags.contains)
    }

    /// One line: `CPU AMD EPYC (sse4_2 avx avx2 fma), OpenBLAS core Haswell`.
    public static var summary: String {
        "CPU \(model) (\(vectorExtensions.joined(separator: " "))), OpenBLAS core \(BLAS.openBLASCoreName)"
    }

    private static func field(_ name: String) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return nil
    }
}
