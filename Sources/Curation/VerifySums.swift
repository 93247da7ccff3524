import Foundation
import Imaging
import PairDxCore

/// The SHA256SUMS check of `pairdx verify`.
extension Verify {
    /// `SHA256SUMS` must exist, be non-empty and canonical (`<64 lowercase hex>  <name>\n` lines sorted by name, each
    /// name once) and list exactly `SplitFiles.checksummed`; the directory holds those files and `SHA256SUMS`, nothing
    /// else; every listed digest matches its file.
    static func checkSums(_ dir: String) throws -> [Problem] {
        func path(_ f: String) -> String { (dir as NSString).appendingPathComponent(f) }
        let sumsPath = path(SplitFiles.sumsFile)
        var out: [Problem] = []
        let expected = Set(SplitFiles.checksummed)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        for e in entries.sorted() where e != SplitFiles.sumsFile && !expected.contains(e) {
            out.append(
                .init(
                    .sha256sums, file: path(e), item: Printable.quoted(e),
                    "extra file: a split directory holds only \((SplitFiles.checksummed + [SplitFiles.sumsFile]).joined(separator: ", "))"
                ))
        }
        for f in SplitFiles.checksummed where !entries.contains(f) {
            out.append(.init(.sha256sums, file: path(f), item: f, "missing from the split directory"))
        }
        for f in SplitFiles.checksummed + [SplitFiles.sumsFile] where entries.contains(f) {
            let type = (try? FileManager.default.attributesOfItem(atPath: path(f)))?[.type] as? FileAttributeType
            if type != .typeRegular {
                out.append(.init(.sha256sums, file: path(f), item: f, "not a regular file (a link or a directory)"))
            }
        }
        guard entries.contains(SplitFiles.sumsFile) else {
            out.append(.init(.sha256sums, file: sumsPath, "SHA256SUMS is missing"))
            return out
        }
        let data = try FileSystem.read(sumsPath)
        guard !data.isEmpty else {
            out.append(
                .init(
                    .sha256sums, file: sumsPath,
                    "SHA256SUMS is empty: it must list \(SplitFiles.checksummed.joined(separator: ", "))"))
            return out
        }
        var listed: [String: (line: Int, digest: String)] = [:]
        var previous: String?
        let lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
        if data.last != 0x0A {
            out.append(
                .init(.sha256sums, file: sumsPath, line: lines.count, "the last line has no line feed at its end"))
        }
        for (i, raw) in lines.enumerated() where !(i == lines.count - 1 && raw.isEmpty) {
            let n = i + 1
            guard raw.count <= 512, let text = String(validating: raw, as: UTF8.self) else {
                out.append(
                    .init(.sha256sums, file: sumsPath, line: n, "malformed line (not UTF-8 text of at most 512 bytes)"));
                continue
            }
            let hex = text.prefix(64), rest = text.dropFirst(64)
            guard SplitFiles.isHex(hex, digits: 64), rest.hasPrefix("  "), rest.count > 2 else {
                out.append(
                    .init(
                        .sha256sums, file: sumsPath, line: n,
                        "malformed line \(Printable.quoted(text[...])): expected '<64 lowercase hex digits>  <file name>'"
                    ))
                continue
            }
            let name = String(rest.dropFirst(2))
            guard expected.contains(name) else {
                out.append(
                    .init(
                        .sha256sums, file: sumsPath, line: n, item: Printable.quoted(name),
                        "lists a file that is not part of a split (\(SplitFiles.checksummed.joined(separator: ", ")))"))
                continue
            }
            if let first = listed[name] {
                out.append(
                    .init(
                        .sha256sums, file: sumsPath, line: n, item: name,
                        "lists \(name) again (first on line \(first.line))"));
                continue
            }
            if let previous, name < previous {
                out.append(
                    .init(
                        .sha256sums, file: sumsPath, line: n, item: name,
                        "\(name) is listed after \(previous); canonical order is by name"))
            }
            previous = name
            listed[name] = (n, String(hex))
        }
        for f in SplitFiles.checksummed {
            guard let (n, want) = listed[f] else {
                out.append(.init(.sha256sums, file: sumsPath, item: f, "\(f) is not listed in SHA256SUMS")); continue
            }
            guard entries.contains(f) else { continue }  // named above as missing
            let actual = try SHA256.hex(fileAt: path(f))
            if actual != want {
                out.append(
                    .init(.sha256sums, file: path(f), item: f, "sha256 is \(actual), SHA256SUMS line \(n) says \(want)")
                )
            }
        }
        return out
    }
}
