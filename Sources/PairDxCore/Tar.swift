import Foundation

/// A POSIX ustar archive writer with fixed metadata, so the same entries in the same order give the same bytes:
/// regular files only, mode 0644, uid/gid 0, empty user and group names, mtime 0. Each entry is a 512-byte header
/// and its data padded to 512 bytes; the archive ends with two zero blocks and is padded to a whole 10240-byte
/// record, as tar and Python's `tarfile` write it. O(total bytes).
public enum Tar {
    public static let blockSize = 512, recordSize = 10240

    public struct Entry: Sendable {
        public var name: String
        public var data: Data
        public init(name: String, data: Data) { self.name = name; self.data = data }
    }

    public static func archive(_ entries: [Entry]) throws -> Data {
        var out = Data()
        for e in entries {
            out.append(try header(name: e.name, size: e.data.count))
            out.append(e.data)
            let pad = (blockSize - e.data.count % blockSize) % blockSize
            out.append(Data(count: pad))
        }
        out.append(Data(count: 2 * blockSize))
        out.append(Data(count: (recordSize - out.count % recordSize) % recordSize))
        return out
    }

    /// The ustar header of a regular file. Names longer than the 100-byte name field are rejected rather than
    /// split into ustar's prefix field: entry names here are short, flat keys.
    static func header(name: String, size: Int) throws -> Data {
        let nameBytes = Array(name.utf8)
        guard !nameBytes.isEmpty, nameBytes.count <= 100 else {
            throw PairDxError.badInput("tar entry name '\(name)': \(nameBytes.count) bytes; ustar names hold 1 to 100")
        }
        guard size < 0o77777777777 else {
            throw PairDxError.badInput("tar entry '\(name)': \(size) bytes is over ustar's 8 GiB limit")
        }
        var h = [UInt8](repeating: 0, count: blockSize)
        func put(_ bytes: [UInt8], at offset: Int) { for (i, b) in bytes.enumerated() { h[offset + i] = b } }
        func octal(_ value: Int, width: Int) -> [UInt8] {  // width − 1 octal digits, then NUL
            let digits = String(value, radix: 8)
            return Array((String(repeating: "0", count: width - 1 - digits.count) + digits).utf8) + [0]
        }
        put(nameBytes, at: 0)
        put(octal(0o644, width: 8), at: 100)  // mode
        put(octal(0, width: 8), at: 108)  // uid
        put(octal(0, width: 8), at: 116)  // gid
        put(octal(size, width: 12), at: 124)  // size
        put(octal(0, width: 12), at: 136)  // mtime
        put(Array(repeating: 0x20, count: 8), at: 148)  // checksum field counts as spaces
        h[156] = UInt8(ascii: "0")  // regular file
        put(Array("ustar".utf8) + [0], at: 257)  // magic
        put(Array("00".utf8), at: 263)  // version
        put(octal(0, width: 8), at: 329)  // devmajor
        put(octal(0, width: 8), at: 337)  // devminor
        let sum = h.reduce(0) { $0 + Int($1) }
        put(octal(sum, width: 7) + [0x20], at: 148)
        return Data(h)
    }
}
