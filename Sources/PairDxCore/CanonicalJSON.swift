import Foundation

/// Canonical JSON: keys sorted, no escaped slashes, no insignificant whitespace, one record per line
/// for JSONL. Doubles are written by `JSONEncoder` in their shortest round-trip form, so the same
/// value always gives the same bytes. Checksummed outputs are produced only through this type.
public enum CanonicalJSON {
    public static func encoder(pretty: Bool = false) -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting =
            pretty ? [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted] : [.sortedKeys, .withoutEscapingSlashes]
        e.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }

    public static func encode<T: Encodable>(_ value: T, pretty: Bool = false) throws -> Data {
        var d = try encoder(pretty: pretty).encode(value)
        if pretty { d.append(0x0A) }
        return d
    }

    public static func string<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encode(value), as: UTF8.self)
    }

    public static func decode<T: Decodable>(_ type: T.Type, from data: Data, source: String) throws -> T {
        do { return try JSONDecoder().decode(type, from: data) } catch {
            throw PairDxError.badInput("\(source): not valid \(T.self) JSON: \(describe(error))")
        }
    }

    public static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let k, let c): return "missing key '\(k.stringValue)' at \(path(c))"
        case DecodingError.typeMismatch(let t, let c): return "expected \(t) at \(path(c))"
        case DecodingError.valueNotFound(let t, let c): return "missing \(t) value at \(path(c))"
        case DecodingError.dataCorrupted(let c): return "corrupt data at \(path(c)): \(c.debugDescription)"
        default: return "\(error)"
        }
    }

    private static func path(_ c: DecodingError.Context) -> String {
        let p = c.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        return p.isEmpty ? "top level" : p
    }
}

/// JSON Lines files of records: written sorted by a key and atomically; read with a line number
/// in every error.
public enum JSONL {
    /// Writes `records` sorted by `key` (bytewise), one canonical JSON object per line.
    public static func write<T: Encodable>(_ records: [T], to path: String, sortedBy key: (T) -> String) throws {
        let enc = CanonicalJSON.encoder()
        var out = Data()
        for r in records.canonicallySorted(by: key) {
            out.append(try enc.encode(r))
            out.append(0x0A)
        }
        try AtomicFile.write(out, to: path)
    }

    /// The records of `path` in file order, blank lines skipped; an error names the file and the first line (in file
    /// order) that does not decode. Lines are decoded on up to `threads` threads, in slices of consecutive lines, so
    /// the result and the error do not depend on the thread count. O(bytes).
    public static func read<T: Decodable & Sendable>(
        _ type: T.Type, from path: String, threads: Int = 1
    ) throws -> [T] {
        let data = try FileSystem.read(path)
        let lines = lineRanges(data)
        let slice = max(1024, lines.count / (8 * max(1, threads)))
        let parts = Parallel.map(count: (lines.count + slice - 1) / slice, threads: threads, batch: 1) {
            part -> Result<[T], PairDxError> in
            let dec = JSONDecoder()
            var out = [T]()
            for n in (part * slice)..<min(lines.count, (part + 1) * slice) {
                let line = data[lines[n]]
                if line.isEmpty || line.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) { continue }
                do { out.append(try dec.decode(T.self, from: line)) } catch {
                    return .failure(.badInput("\(path):\(n + 1): \(CanonicalJSON.describe(error))"))
                }
            }
            return .success(out)
        }
        var out = [T]()
        out.reserveCapacity(lines.count)
        for part in parts { out += try part.get() }
        return out
    }

    /// The index ranges of `data`'s lines, without their newline (0x0A), one per line as `split(separator:
    /// omittingEmptySubsequences: false)` gives them but for a last empty line after a final newline. Found with
    /// `memchr` over the raw bytes: O(bytes), several GB/s (the generic `split` checked exclusive access at every
    /// byte and took most of the time of reading a large file).
    static func lineRanges(_ data: Data) -> [Range<Data.Index>] {
        data.withUnsafeBytes { raw -> [Range<Data.Index>] in
            guard let base = raw.baseAddress else { return [] }
            var out = [Range<Data.Index>]()
            var start = 0
            while start < raw.count {
                let end = memchr(base + start, 0x0A, raw.count - start).map { base.distance(to: $0) } ?? raw.count
                out.append((data.startIndex + start)..<(data.startIndex + end))
                start = end + 1
            }
            return out
        }
    }
}

/// RFC 4180 CSV fields, quoted only when needed, so files stay diffable.
public enum CSV {
    public static func field(_ s: String) -> String {
        if s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return s
    }

    public static func line(_ fields: [String]) -> String { fields.map(field).joined(separator: ",") + "\n" }

    /// Parses RFC 4180 text into rows of fields.
    public static func parse(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var inQuotes = false
        var it = Array(text.unicodeScalars)[...]
        while let c = it.popFirst() {
            if inQuotes {
                if c == "\"" {
                    if it.first == "\"" {
                        field.unicodeScalars.append("\""); it.removeFirst()
                    } else {
                        inQuotes = false
                    }
                } else {
                    field.unicodeScalars.append(c)
                }
            } else if c == "\"" {
                inQuotes = true
            } else if c == "," {
                row.append(field); field = ""
            } else if c == "\n" {
                row.append(field); rows.append(row); row = []; field = ""
            } else if c != "\r" {
                field.unicodeScalars.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}

extension Sequence {
    /// The elements in the bytewise (UTF-8) order of `key`, the order of every sorted output; each key is
    /// computed once, not once per comparison. O(n log n) comparisons, n key computations.
    public func canonicallySorted(by key: (Element) -> String) -> [Element] {
        map { (key($0), $0) }.sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }.map(\.1)
    }
}
