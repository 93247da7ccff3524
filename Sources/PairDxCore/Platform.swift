import Foundation

public enum PairDxVersion {
    /// The code version; part of every stage fingerprint and the User-Agent.
    public static let string = "0.1.0"
}

public enum Platform {
    public static var coreCount: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// A short description of this machine for reports ("2 cores x86_64, Linux").
    public static var hardware: String {
        var uts = utsname()
        uname(&uts)
        let machine = withUnsafeBytes(of: &uts.machine) {
            String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        var model = ""
        if let cpu = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let line = cpu.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
            let colon = line.firstIndex(of: ":")
        {
            model = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return "\(coreCount) cores \(machine)\(model.isEmpty ? "" : ", " + model)"
    }
}
