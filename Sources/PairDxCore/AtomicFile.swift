import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// Files that are either complete or absent: written to a temporary file in the same directory,
/// fsynced, then renamed over the destination (rename is atomic within a filesystem), and the
/// directory fsynced so the rename itself survives a crash.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        try FileSystem.makeDirectory(dir.isEmpty ? "." : dir)
        let tmp = temporaryPath(for: path)
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw PairDxError.io("cannot create \(tmp): \(String(cString: strerror(errno)))") }
        var ok = true
        data.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + off, raw.count - off)
                if n < 0 { if errno == EINTR { continue }; ok = false; break }
                off += n
            }
        }
        let syncOK = fsync(fd) == 0
        close(fd)
        guard ok && syncOK else {
            let reason = String(cString: strerror(errno))
            unlink(tmp)
            throw PairDxError.io("cannot write \(path): \(reason)")
        }
        try commit(temporary: tmp, to: path)
    }

    public static func write(_ string: String, to path: String) throws {
        try write(Data(string.utf8), to: path)
    }

    /// A unique temporary name beside `path` (same directory, so rename stays atomic).
    public static func temporaryPath(for path: String) -> String {
        let dir = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let unique = "\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        return (dir.isEmpty ? "" : dir + "/") + ".\(name).tmp-\(unique)"
    }

    /// Renames a finished temporary file into place and fsyncs the directory.
    public static func commit(temporary tmp: String, to path: String) throws {
        guard rename(tmp, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(tmp)
            throw PairDxError.io("cannot move \(tmp) to \(path): \(reason)")
        }
        let dir = (path as NSString).deletingLastPathComponent
        let dfd = open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }
}

public enum FileSystem {
    public static func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw PairDxError.io("cannot create directory \(path): \(error.localizedDescription)")
        }
    }

    public static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    public static func read(_ path: String) throws -> Data {
        guard let d = FileManager.default.contents(atPath: path) else {
            throw PairDxError.io("cannot read \(path): no such file or not readable")
        }
        return d
    }

    public static func readString(_ path: String) throws -> String {
        String(decoding: try read(path), as: UTF8.self)
    }

    /// Regular files under `root`, as paths relative to it, sorted bytewise; hidden files skipped. With
    /// `followingFileLinks`, symbolic links to regular files count too (links to folders are not walked).
    public static func listFiles(under root: String, followingFileLinks: Bool = false) -> [String] {
        guard let e = FileManager.default.enumerator(atPath: root) else { return [] }
        var out: [String] = []
        while let rel = e.nextObject() as? String {
            let last = (rel as NSString).lastPathComponent
            let type = e.fileAttributes?[.type] as? FileAttributeType
            if last.hasPrefix(".") { if type == .typeDirectory { e.skipDescendants() }; continue }
            if type == .typeRegular {
                out.append(rel)
            } else if type == .typeSymbolicLink, followingFileLinks {
                var isDir: ObjCBool = false
                let target = (root as NSString).appendingPathComponent(rel)
                if FileManager.default.fileExists(atPath: target, isDirectory: &isDir), !isDir.boolValue {
                    out.append(rel)
                }
            }
        }
        return out.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
}
