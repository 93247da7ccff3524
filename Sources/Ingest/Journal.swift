import Foundation
import PairDxCore
import Synchronization

/// The fetch resume journal (`work/fetch-journal.jsonl`): one line per completed download,
/// `{"url","sha256","bytes","reject"?}`, appended after the bytes are safely in a store, and one per
/// URL the source answered with 404 (`reject` = `not-found`, no bytes). On restart the journal is read
/// back (a torn last line is ignored) and every URL whose stored bytes still exist, or that was not
/// found, is not asked for again (unless the caller retries missing ones). Lines are written with one `write(2)` each, so a SIGKILL loses at most
/// the line being written, never an earlier one; every write is checked, the journal is fsync'd in batches and at
/// the end of the stage (`sync()`, which reports the first failure).
///
/// Keys are relative to the source: a URL under the source's base is stored as the rest of it (`PMC1.1/PMC1.1.json`),
/// so a work directory moved or copied to another machine, or fetched from a mirror that moved, still resumes.
/// Journals written with absolute URLs are still read: an absolute key under the current base counts as its
/// relative one.
public final class FetchJournal: Sendable {
    /// `sha256` names the stored bytes; `reject` (then no bytes are kept) says why content was refused.
    public struct Entry: Codable, Sendable {
        /// The `reject` of a URL the source answered with 404 Not Found: a final outcome, remembered.
        public static let notFound = "not-found"
        public var isNotFound: Bool { reject == Self.notFound }
        /// The key: relative to the source's base when the URL lies under it, else the absolute URL.
        public var url: String
        public var sha256: String
        public var bytes: Int
        public var reject: String?
        public init(url: String, sha256: String, bytes: Int, reject: String? = nil) {
            self.url = url; self.sha256 = sha256; self.bytes = bytes; self.reject = reject
        }
    }

    let path: String
    /// The source's base URL (ending in `/`); nil: keys are the URLs as given.
    let base: String?
    /// Lines between two `fsync`s of the journal; `sync()` makes the rest durable at the end of a stage.
    static let syncEvery = 256

    private struct State {
        var fd: Int32
        var entries: [String: Entry]
        var unsynced = 0
        /// The first failed write or fsync, reported by `sync()`.
        var failure: String?
    }
    private let state: Mutex<State>

    public init(path: String, base: String? = nil) throws {
        self.path = path
        self.base = base
        var entries: [String: Entry] = [:]
        // Only a regular file is read back (a device or FIFO in its place reads as empty).
        let existing = FetchJournal.isRegularFile(path) ? FileManager.default.contents(atPath: path) : nil
        if let data = existing {
            for line in data.split(separator: UInt8(ascii: "\n")) {
                if var e = try? JSONDecoder().decode(Entry.self, from: Data(line)) {
                    e.url = FetchJournal.key(e.url, base: base)
                    entries[e.url] = e
                }
            }
        }
        try FileSystem.makeDirectory((path as NSString).deletingLastPathComponent)
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw PairDxError.io("cannot open the fetch journal \(path): \(String(cString: strerror(errno)))")
        }
        state = Mutex(State(fd: fd, entries: entries))
        // A torn last line (no newline) would glue onto the next entry: terminate it.
        if let last = existing?.last, last != UInt8(ascii: "\n") {
            state.withLock { FetchJournal.append(Array("\n".utf8), to: &$0, path: path) }
        }
    }

    deinit { state.withLock { if $0.fd >= 0 { close($0.fd); $0.fd = -1 } } }

    static func isRegularFile(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    /// `url` relative to `base` when it lies under it, else unchanged.
    static func key(_ url: String, base: String?) -> String {
        guard let base, url.hasPrefix(base), url.count > base.count else { return url }
        return String(url.dropFirst(base.count))
    }

    public func lookup(_ url: String) -> Entry? {
        let k = FetchJournal.key(url, base: base)
        return state.withLock { $0.entries[k] }
    }

    /// Appends one line with one `write(2)` (a SIGKILL loses at most the line being written); every
    /// `syncEvery` lines the journal is fsync'd. A failure is kept and thrown by `sync()`.
    public func record(_ entry: Entry) {
        var e = entry
        e.url = FetchJournal.key(e.url, base: base)
        guard var line = try? CanonicalJSON.string(e) else { return }
        line += "\n"
        let bytes = Array(line.utf8)
        state.withLock { s in
            s.entries[e.url] = e
            FetchJournal.append(bytes, to: &s, path: path)
            s.unsynced += 1
            if s.unsynced >= FetchJournal.syncEvery { FetchJournal.fsyncJournal(&s, path: path) }
        }
    }

    /// Makes every line written so far durable; throws the first write or fsync failure of this journal.
    public func sync() throws(PairDxError) {
        let failure = state.withLock { s -> String? in
            FetchJournal.fsyncJournal(&s, path: path)
            return s.failure
        }
        if let failure { throw .io(failure) }
    }

    private static func append(_ bytes: [UInt8], to s: inout State, path: String) {
        let fd = s.fd
        let error: Int32? = bytes.withUnsafeBytes { raw -> Int32? in
            var off = 0
            while off < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + off, raw.count - off)
                if n < 0 { if errno == EINTR { continue }; return errno }
                off += n
            }
            return nil
        }
        if let error, s.failure == nil {
            s.failure = "cannot append to the fetch journal \(path): \(String(cString: strerror(error)))"
        }
    }

    private static func fsyncJournal(_ s: inout State, path: String) {
        s.unsynced = 0
        if fsync(s.fd) != 0, errno != EINVAL, s.failure == nil {
            s.failure = "cannot sync the fetch journal \(path): \(String(cString: strerror(errno)))"
        }
    }
}
