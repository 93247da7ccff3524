import Foundation
import PairDxCore

/// `Splits/<name>/splits.json` (schema `pairdx-splits/1`).
public struct SplitsSummary: Codable, Sendable, Equatable {
    public struct PerSplit: Codable, Sendable, Equatable {
        public var count: Int
        public var perClass: [String: Int]
        /// sha256 over the split's ids, sorted, each followed by "\n".
        public var membershipSHA256: String
    }
    public struct Groups: Codable, Sendable, Equatable {
        public var count: Int
        public var largest: Int
    }
    public struct Ratios: Codable, Sendable, Equatable {
        public var train: Double
        public var val: Double
        public var test: Double
    }

    public var schema: String
    public var name: String
    public var recipe: String
    public var recipeSHA256: String
    public var seed: UInt64
    public var mode: String
    public var classes: [String]
    public var ratios: Ratios
    /// sha256 over "id\tsha256\n" of every fetched figure, sorted by id: names the source bytes the split was made from.
    public var sourceSnapshot: String
    public var splits: [String: PerSplit]
    public var groups: Groups

    public static let schemaID = "pairdx-splits/1"
}

/// A problem in one file of a split directory: the file, the line (1-based) when there is one, the field and item when
/// known, and why. Values from the file are shown through `Printable.quoted` (escaped, cut), never raw.
public struct SplitFileProblem: Codable, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var field: String?
    public var item: String?
    public var message: String

    public init(file: String, line: Int? = nil, field: String? = nil, item: String? = nil, message: String) {
        self.file = file; self.line = line; self.field = field; self.item = item; self.message = message
    }

    public var description: String {
        var s = file + (line.map { ":\($0)" } ?? "") + ": "
        if let field {
            s += "field '\(field)'" + (item.map { " of item \($0)" } ?? "") + ": "
        } else if let item {
            s += "item \(item): "
        }
        return s + message
    }
}

/// Reads and writes the files of a split directory. Every file is canonical: sorted rows, fixed columns,
/// no timestamps or absolute paths, so the same inputs give the same bytes.
///
/// Split files are untrusted input (they are published, downloaded, edited in pull requests), and their fields become
/// paths (`class` an export folder, `sha256` a blob path): `read` validates every field before anything uses it.
public enum SplitFiles {
    public static let header = ["id", "class", "article", "figure", "sha256", "phash", "phash256", "group"]
    public static let checksummed = ["splits.json", "test.csv", "train.csv", "val.csv"]
    /// `sha256sum -c` file of a split directory; its own sha256 is the split digest.
    public static let sumsFile = "SHA256SUMS"
    /// No line of a split CSV is longer than this (a row is about 250 bytes).
    public static let maxLineBytes = 4096
    /// Problems listed per file before the rest are only counted.
    public static let maxProblemsPerFile = 200

    public static func membershipHash(_ ids: [String]) -> String {
        let h = Hasher256()
        for id in ids.sorted(by: { ItemID.sortKey($0) < ItemID.sortKey($1) }) { h.update(id + "\n") }
        return h.finalizeHex()
    }

    public static func csv(_ items: [Splitter.Item]) -> String {
        var s = CSV.line(header)
        for it in items {
            s += CSV.line([it.id, it.class, it.article, it.figure, it.sha256, it.phash, it.phash256, it.group])
        }
        return s
    }

    /// Writes `train.csv`, `val.csv`, `test.csv`, `splits.json` and `SHA256SUMS` into `dir`.
    @discardableResult
    public static func write(
        _ a: Splitter.Assignment, to dir: String, name: String, recipe: Recipe,
        sourceSnapshot: String
    ) throws -> SplitsSummary {
        let classes = recipe.classes.map(\.name)
        var per: [String: SplitsSummary.PerSplit] = [:]
        var files: [String: Data] = [:]
        for s in SplitName.allCases {
            let items = a.items[s] ?? []
            var pc = Dictionary(uniqueKeysWithValues: classes.map { ($0, 0) })
            for it in items { pc[it.class, default: 0] += 1 }
            per[s.rawValue] = .init(count: items.count, perClass: pc, membershipSHA256: membershipHash(items.map(\.id)))
            files["\(s.rawValue).csv"] = Data(csv(items).utf8)
        }
        let summary = SplitsSummary(
            schema: SplitsSummary.schemaID, name: name, recipe: recipe.name, recipeSHA256: try recipe.digest(),
            seed: recipe.seed, mode: recipe.split.mode.rawValue, classes: classes,
            ratios: .init(train: recipe.split.train, val: recipe.split.val, test: recipe.split.test),
            sourceSnapshot: sourceSnapshot, splits: per, groups: .init(count: a.groupCount, largest: a.largestGroup))
        files["splits.json"] = try CanonicalJSON.encode(summary, pretty: true)
        try FileSystem.makeDirectory(dir)
        for (f, d) in files { try AtomicFile.write(d, to: dir + "/" + f) }
        try AtomicFile.write(sha256sums(files), to: dir + "/" + sumsFile)
        return summary
    }

    /// `sha256sum -c` format: "<hex>  <name>\n", sorted by name.
    public static func sha256sums(_ files: [String: Data]) -> String {
        files.keys.sorted().map { "\(SHA256.hex(files[$0]!))  \($0)\n" }.joined()
    }

    /// The split digest: sha256 of the directory's canonical `SHA256SUMS`. `pairdx verify` checks that `SHA256SUMS`
    /// lists exactly the split's files with their digests, so this one value pins every byte of the split.
    public static func digest(ofSums data: Data) -> String { SHA256.hex(data) }

    /// The split digest of the directory `dir` as it is on disk (nil when it has no `SHA256SUMS`).
    public static func digest(of dir: String) throws -> String? {
        let p = dir + "/" + sumsFile
        return FileSystem.exists(p) ? digest(ofSums: try FileSystem.read(p)) : nil
    }

    public static func sourceSnapshot(_ figures: [FigureRecord]) -> String {
        let h = Hasher256()
        for f in figures.sorted(by: { $0.sortKey < $1.sortKey }) where f.status.isOK {
            h.update("\(f.id)\t\(f.sha256 ?? "")\n")
        }
        return h.finalizeHex()
    }

    /// Reads one split CSV and stops on any problem: `PairDxError.badInput` (exit 65) listing each bad line and field.
    /// `classes`: the classes a row may name (the recipe's); nil accepts any safe name.
    public static func readCSV(_ path: String, classes: Set<String>? = nil) throws -> [Splitter.Item] {
        let (items, problems) = try read(path, classes: classes)
        try throwIfAny(problems)
        return items
    }

    /// Throws `PairDxError.badInput` naming every problem (the first 20, then a count).
    public static func throwIfAny(_ problems: [SplitFileProblem]) throws {
        guard !problems.isEmpty else { return }
        let shown = problems.prefix(20).map { "  \($0)" }.joined(separator: "\n")
        let more = problems.count > 20 ? "\n  … and \(problems.count - 20) more" : ""
        throw PairDxError.badInput("\(problems.count) problem(s) in split files:\n\(shown)\(more)")
    }

    /// Reads and validates one split CSV: the exact header, then one row per line with every field checked
    /// (`fieldProblem`), ids unique, `id` = `article/figure[/n]`. Bad rows are left out and named in `problems`.
    /// - Throws: `PairDxError.io` when the file cannot be read.
    public static func read(_ path: String, classes: Set<String>? = nil) throws -> (
        items: [Splitter.Item], problems: [SplitFileProblem]
    ) {
        parse([UInt8](try FileSystem.read(path)), source: path, classes: classes)
    }

    /// Parses the text of a split CSV read from `path` (named in errors); throws `PairDxError.badInput` on any problem.
    public static func parseCSV(_ text: String, source path: String, classes: Set<String>? = nil) throws -> [Splitter
        .Item]
    {
        let (items, problems) = parse(Array(text.utf8), source: path, classes: classes)
        try throwIfAny(problems)
        return items
    }

    /// Validates the bytes of a split CSV read from `path` (named in problems); see ``read(_:classes:)``.
    public static func parse(_ bytes: [UInt8], source path: String, classes: Set<String>? = nil) -> (
        items: [Splitter.Item], problems: [SplitFileProblem]
    ) {
        var problems: [SplitFileProblem] = []
        func add(_ line: Int?, _ m: String, field: String? = nil, item: String? = nil) {
            problems.append(.init(file: path, line: line, field: field, item: item, message: m))
        }
        guard !bytes.isEmpty else {
            return (
                [],
                [
                    .init(
                        file: path, line: 1,
                        message: "the file is empty (expected the header \(header.joined(separator: ",")))")
                ]
            )
        }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            return (
                [],
                [
                    .init(
                        file: path, line: 1,
                        message: "the file starts with a UTF-8 byte-order mark; split files are UTF-8 without one")
                ]
            )
        }
        var items: [Splitter.Item] = []
        var seen: [String: Int] = [:]
        var lineNo = 0
        var start = 0
        while start < bytes.count {
            lineNo += 1
            let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
            let raw = bytes[start..<end]
            if end == bytes.count { add(lineNo, "the last line has no line feed at its end") }
            start = end + 1
            guard raw.count <= maxLineBytes else {
                add(lineNo, "the line is \(raw.count) bytes long (at most \(maxLineBytes))"); if lineNo == 1 { break };
                continue
            }
            guard let text = String(validating: raw, as: UTF8.self) else {
                add(lineNo, "the line is not valid UTF-8"); if lineNo == 1 { break }; continue
            }
            if text.hasSuffix("\r") {
                add(lineNo, "the line ends with a carriage return (CRLF); split files end lines with LF only");
                if lineNo == 1 { break }; continue
            }
            let fields = text.split(separator: ",", omittingEmptySubsequences: false)
            if lineNo == 1 {
                guard fields.map(String.init) == header else {
                    add(
                        1,
                        "the header is \(Printable.quoted(text[...], limit: 120)); expected \(header.joined(separator: ","))"
                    ); break
                }
                continue
            }
            if fields.map(String.init) == header { add(lineNo, "the line repeats the header"); continue }
            guard fields.count == header.count else {
                add(
                    lineNo,
                    "the line has \(fields.count) fields, expected \(header.count) (\(header.joined(separator: ",")))");
                continue
            }
            let id = fields[0]
            let item: String? = fieldProblem("id", id, classes: classes) == nil ? String(id) : nil
            var bad = false
            for (name, value) in zip(header, fields) {
                if let why = fieldProblem(name, value, classes: classes) {
                    add(lineNo, why, field: name, item: item); bad = true
                }
            }
            if !bad {
                let article = String(fields[2]), figure = String(fields[3])
                let rest = id.dropFirst(article.count + 1)
                if !(id.hasPrefix(article + "/")
                    && (rest == figure || (rest.hasPrefix(figure + "/") && isIndex(rest.dropFirst(figure.count + 1)))))
                {
                    add(
                        lineNo,
                        "does not match article and figure (expected \(article)/\(figure) or \(article)/\(figure)/N)",
                        field: "id", item: item);
                    bad = true
                }
            }
            if let first = seen[String(id)], !bad {
                add(lineNo, "repeats the id of line \(first)", field: "id", item: item); bad = true
            }
            if bad { continue }
            seen[String(id)] = lineNo
            items.append(
                .init(
                    id: String(id), class: String(fields[1]), article: String(fields[2]), figure: String(fields[3]),
                    sha256: String(fields[4]), phash: String(fields[5]), phash256: String(fields[6]),
                    group: String(fields[7])))
        }
        if problems.count > maxProblemsPerFile {
            let dropped = problems.count - maxProblemsPerFile
            problems.removeLast(dropped)
            problems.append(.init(file: path, message: "\(dropped) more problem(s) in this file not listed"))
        }
        return (items, problems)
    }

    /// Why `value` is not a valid `field` of a split row, or nil. `class` must be a safe path component (and one of
    /// `classes` when given), `sha256` 64 lowercase hex digits, `phash`/`phash256` empty or 16/64 lowercase hex
    /// digits, `article` a PMC id; `id`, `figure` and `group` printable ASCII without spaces, commas, quotes or
    /// backslashes, not absolute, without `.` or `..` segments (`figure` without `/`).
    public static func fieldProblem(_ field: String, _ value: Substring, classes: Set<String>?) -> String? {
        if let c = value.unicodeScalars.first(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return "contains \(Printable.scalar(c)) in \(Printable.quoted(value))"
        }
        switch field {
        case "class":
            if let why = PathComponent.problem(String(value)) { return "\(Printable.quoted(value)) \(why)" }
            if let classes, !classes.contains(String(value)) {
                return
                    "\(Printable.quoted(value)) is not a class of the recipe (\(classes.sorted().joined(separator: ", ")))"
            }
        case "sha256":
            if !isHex(value, digits: 64) { return "\(Printable.quoted(value)) is not 64 lowercase hex digits" }
        case "phash":
            if !value.isEmpty && !isHex(value, digits: 16) {
                return "\(Printable.quoted(value)) is not 16 lowercase hex digits"
            }
        case "phash256":
            if !value.isEmpty && !isHex(value, digits: 64) {
                return "\(Printable.quoted(value)) is not 64 lowercase hex digits"
            }
        case "article":
            if !(value.hasPrefix("PMC") && value.count > 3 && value.count <= 15 && isIndex(value.dropFirst(3))) {
                return "\(Printable.quoted(value)) is not a PMC id (PMC followed by digits)"
            }
        case "id", "figure", "group":
            if value.isEmpty { return "is empty" }
            if value.utf8.count > 256 { return "\(Printable.quoted(value)) is longer than 256 bytes" }
            if let c = value.unicodeScalars.first(where: {
                $0.value <= 0x20 || $0.value >= 0x7F || $0 == "\"" || $0 == "'" || $0 == "\\" || $0 == ","
            }) {
                return
                    "contains \(Printable.scalar(c)) in \(Printable.quoted(value)); only printable ASCII without spaces, quotes, commas or backslashes"
            }
            if field == "figure" && value.contains("/") { return "\(Printable.quoted(value)) contains '/'" }
            if value.hasPrefix("/") { return "\(Printable.quoted(value)) is an absolute path" }
            if value.split(separator: "/", omittingEmptySubsequences: false).contains(where: {
                $0.isEmpty || $0 == "." || $0 == ".."
            }) {
                return "\(Printable.quoted(value)) has an empty, '.' or '..' path segment"
            }
        default: break
        }
        return nil
    }

    static func isHex(_ s: Substring, digits: Int) -> Bool {
        s.utf8.count == digits && s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    /// Decimal digits without a leading zero.
    static func isIndex(_ s: Substring) -> Bool {
        !s.isEmpty && s.utf8.count <= 12 && s.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } && s.first != "0"
    }
}
