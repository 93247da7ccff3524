import Foundation
import PairDxCore

/// The fetch resume journal (`work/fetch-journal.jsonl`): one line per completed download,
/// `{"url","sha256","bytes","reject"?}`, appended after the bytes are safely in a store, and one per
/// URL the source answered with 404 (`reject` = `not-found`, no bytes). On restart the journal is read
/// back (a torn last line is ignored) and every URL whose stored bytes still exist, or that was not
/// found, is not asked for again (unless the caller retries missing ones). Lines are written with one `write(2)` each, so a SIGKILL loses at most
/// the line being written, never an earlier one.
public final class FetchJournal: @unchecked Sendable {
    /// `sha256` names the stored bytes; `reject` (then no bytes are kept) says why content was refused.
    public struct Entry: Codable, Sendable {
        /// The `reject` of a URL the source answered with 404 Not Found: a final outcome, remembered.
        public static let notFound = "not-found"
        public var isNotFound: Bool { reject == Self.notFound }
        public var url: String
        public var sha256: String
        public var bytes: Int
        public var reject: String?
        public init(url: String, sha256: String, bytes: Int, reject: String? = nil) {
            self.url = url; self.sha256 = sha256; self.bytes = bytes; self.reject = reject
        }
    }

    let path: String
    private let lock = NSLock()
    private var fd: Int32 = -1
    private var entries: [String: Entry] = [:]

    public init(path: String) throws {
        self.path = path
        if let data = FileManager.default.contents(atPath: path) {
            for line in data.split(separator: UInt8(ascii: "\n")) {
                if let e = try? JSONDecoder().decode(Entry.self, from: Data(line)) { entries[e.url] = e }
            }
        }
        try FileSystem.makeDirectory((path as NSString).deletingLastPathComponent)
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw PairDxError.io("cannot open the fetch journal \(path): \(String(cString: strerror(errno)))") }
        // A torn last line (no newline) would glue onto the next entry: terminate it.
        if let data = FileManager.default.contents(atPath: path), let last = data.last, last != UInt8(ascii: "\n") {
            _ = "\n".withCString { Glibc.write(fd, $0, 1) }
        }
    }

    deinit { if fd >= 0 { close(fd) } }

    public func lookup(_ url: String) -> Entry? { lock.lock(); defer { lock.unlock() }; return entries[url] }

    public func record(_ e: Entry) {
        guard var line = try? CanonicalJSON.string(e) else { return }
        line += "\n"
        lock.lock(); defer { lock.unlock() }
        entries[e.url] = e
        let bytes = Array(line.utf8)
        bytes.withUnsafeBytes { raw in _ = Glibc.write(fd, raw.baseAddress!, raw.count) }
    }
}
