import CCurl
import Foundation
import PairDxCore

/// File placement without a per-file fsync, for the many small files of a fetch.
///
/// Invariant: a name, once it exists, names complete bytes as far as this process is concerned
/// (write to a temporary name, then rename), which is what survives SIGKILL. Durability against
/// power loss comes from one `syncfs` of the work directory's filesystem at the end of the stage
/// (`QuickFiles.syncFilesystem`), and from size checks when the resume journal is trusted.
enum QuickFiles {
    /// Renames `tmp` to `dest`, creating `dest`'s directory. Leaves `tmp` removed either way.
    static func place(_ tmp: String, at dest: String) throws(PairDxError) {
        let dir = (dest as NSString).deletingLastPathComponent
        if !dir.isEmpty && !FileManager.default.fileExists(atPath: dir) {
            do { try FileSystem.makeDirectory(dir) } catch { unlink(tmp); throw .io("cannot create \(dir)") }
        }
        guard rename(tmp, dest) == 0 else {
            let reason = String(cString: strerror(errno)); unlink(tmp)
            throw .io("cannot move \(tmp) to \(dest): \(reason)")
        }
    }

    /// Writes `data` to `dest` through a temporary name in the same directory.
    static func write(_ data: Data, to dest: String) throws(PairDxError) {
        let dir = (dest as NSString).deletingLastPathComponent
        if !dir.isEmpty && !FileManager.default.fileExists(atPath: dir) {
            do { try FileSystem.makeDirectory(dir) } catch { throw .io("cannot create \(dir)") }
        }
        let tmp = AtomicFile.temporaryPath(for: dest)
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io("cannot create \(tmp): \(String(cString: strerror(errno)))") }
        let ok = data.withUnsafeBytes { raw -> Bool in
            var off = 0
            while off < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + off, raw.count - off)
                if n < 0 { if errno == EINTR { continue }; return false }
                off += n
            }
            return true
        }
        let closed = close(fd) == 0
        guard ok && closed else { unlink(tmp); throw .io("cannot write \(tmp): \(String(cString: strerror(errno)))") }
        try place(tmp, at: dest)
    }

    /// Puts a finished temporary file into a blob store under its digest (no fsync). A blob already there
    /// (an earlier run's, maybe torn by a crash before its journal line or its sync) is kept only when its size
    /// and digest are right; otherwise the new file replaces it.
    static func adopt(_ tmp: String, sha256: String, into store: BlobStore) throws(PairDxError) {
        let dest = store.path(for: sha256)
        if intact(dest, sha256: sha256, bytes: size(tmp)) { unlink(tmp); return }
        try place(tmp, at: dest)
    }

    /// Stores bytes in a blob store, returning their sha256 (an existing blob is checked as by `adopt`).
    static func put(_ data: Data, into store: BlobStore) throws(PairDxError) -> String {
        let sha = SHA256.hex(data)
        let dest = store.path(for: sha)
        if !intact(dest, sha256: sha, bytes: data.count) { try write(data, to: dest) }
        return sha
    }

    /// True when `path` holds `bytes` bytes whose SHA-256 is `sha256` (re-read and re-hashed).
    static func intact(_ path: String, sha256: String, bytes: Int?) -> Bool {
        guard let bytes, size(path) == bytes else { return false }
        return (try? SHA256.hex(fileAt: path)) == sha256
    }

    /// Size in bytes of a file, or nil.
    static func size(_ path: String) -> Int? {
        var st = stat()
        return stat(path, &st) == 0 ? Int(st.st_size) : nil
    }

    /// Flushes the filesystem holding `path` to stable storage; throws when the kernel reports a failed write.
    static func syncFilesystem(_ path: String) throws(PairDxError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .io("cannot open \(path) to sync it: \(String(cString: strerror(errno)))") }
        let synced = _pdx_syncfs(fd), syncErrno = errno
        let closed = close(fd)
        if synced != 0 { throw .io("cannot sync the filesystem of \(path): \(String(cString: strerror(syncErrno)))") }
        if closed != 0 { throw .io("cannot close \(path): \(String(cString: strerror(errno)))") }
    }
}
