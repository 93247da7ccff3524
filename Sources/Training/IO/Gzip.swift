import CZlib
import Foundation

/// A gzip (RFC 1952) reader on zlib, so the tokenisers read the standard `bpe_simple_vocab_16e6.txt.gz` and the
/// compressed fixtures. Every member of a multi-member file is decompressed and concatenated; zlib checks each
/// member's header, CRC-32 and size. O(output) time and memory.
public enum Gzip {
    public struct FormatError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Decompresses a whole gzip file. Throws `FormatError` on a bad header, a corrupt or truncated stream or a
    /// checksum mismatch, saying which member and zlib's reason.
    public static func decompress(_ data: Data) throws -> Data {
        let input = [UInt8](data)
        guard input.count >= 2, input[0] == 0x1f, input[1] == 0x8b else {
            throw FormatError(description: "not a gzip file (bad magic)")
        }
        var stream = z_stream()
        guard pairdx_inflate_init_gzip(&stream) == Z_OK else {
            throw FormatError(description: "zlib could not start inflating")
        }
        defer { inflateEnd(&stream) }
        var out = [UInt8]()
        out.reserveCapacity(input.count * 3)
        let chunk = 1 << 16
        var buffer = [UInt8](repeating: 0, count: chunk)
        var member = 1
        try input.withUnsafeBufferPointer { ip in
            stream.next_in = UnsafeMutablePointer(mutating: ip.baseAddress!)
            stream.avail_in = UInt32(ip.count)
            while true {
                let status = buffer.withUnsafeMutableBufferPointer { bp in
                    stream.next_out = bp.baseAddress!
                    stream.avail_out = UInt32(chunk)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                out.append(contentsOf: buffer[0..<(chunk - Int(stream.avail_out))])
                switch status {
                case Z_OK:
                    continue
                case Z_STREAM_END:
                    // Another member follows when the next bytes are a gzip magic; anything else ends the file.
                    let rest = Int(stream.avail_in), at = ip.count - rest
                    guard rest >= 2, ip[at] == 0x1f, ip[at + 1] == 0x8b else { return }
                    inflateReset(&stream)
                    member += 1
                case Z_BUF_ERROR where stream.avail_in == 0:
                    throw FormatError(description: "gzip member \(member) is truncated")
                default:
                    let reason = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                    throw FormatError(description: "gzip member \(member) is corrupt: \(reason)")
                }
            }
        }
        return Data(out)
    }
}
