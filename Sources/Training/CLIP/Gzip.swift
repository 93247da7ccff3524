import Foundation

/// A gzip (RFC 1952) reader over a DEFLATE (RFC 1951) decoder, so the tokeniser can read the standard
/// `bpe_simple_vocab_16e6.txt.gz` without a compression library.
///
/// Huffman codes are decoded canonically, code length by code length. Every member of a multi-member file is
/// decoded and concatenated; each member's CRC-32 and size are checked. O(compressed bits · 15) time,
/// O(output) memory.
public enum Gzip {
    public struct FormatError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Decompresses a whole gzip file. Throws `FormatError` on a bad header, a corrupt stream or a checksum mismatch.
    public static func decompress(_ data: Data) throws -> Data {
        let bytes = [UInt8](data)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 3)
        var position = 0
        repeat {
            let start = out.count
            position = try readHeader(bytes, at: position)
            var reader = BitReader(bytes: bytes, position: position)
            try inflate(&reader, into: &out)
            position = reader.alignedPosition
            guard position + 8 <= bytes.count else { throw FormatError(description: "gzip trailer is truncated") }
            let crc = UInt32(bytes[position]) | UInt32(bytes[position + 1]) << 8 | UInt32(bytes[position + 2]) << 16 | UInt32(bytes[position + 3]) << 24
            let size = UInt32(bytes[position + 4]) | UInt32(bytes[position + 5]) << 8 | UInt32(bytes[position + 6]) << 16 | UInt32(bytes[position + 7]) << 24
            position += 8
            guard UInt32(truncatingIfNeeded: out.count - start) == size else { throw FormatError(description: "gzip size mismatch") }
            guard out.withUnsafeBufferPointer({ CRC32.checksum(UnsafeBufferPointer(rebasing: $0[start...])) }) == crc else {
                throw FormatError(description: "gzip CRC-32 mismatch")
            }
        } while position + 2 <= bytes.count && bytes[position] == 0x1f && bytes[position + 1] == 0x8b
        return Data(out)
    }

    private static func readHeader(_ b: [UInt8], at start: Int) throws -> Int {
        guard b.count >= start + 10, b[start] == 0x1f, b[start + 1] == 0x8b else { throw FormatError(description: "not a gzip file (bad magic)") }
        guard b[start + 2] == 8 else { throw FormatError(description: "gzip compression method \(b[start + 2]) is not DEFLATE") }
        let flags = b[start + 3]
        var p = start + 10
        if flags & 4 != 0 {
            guard p + 2 <= b.count else { throw FormatError(description: "gzip extra field is truncated") }
            p += 2 + (Int(b[p]) | Int(b[p + 1]) << 8)
        }
        for bit in [UInt8(8), 16] where flags & bit != 0 {
            while p < b.count && b[p] != 0 { p += 1 }
            p += 1
        }
        if flags & 2 != 0 { p += 2 }
        guard p <= b.count else { throw FormatError(description: "gzip header is truncated") }
        return p
    }

    struct BitReader {
        let bytes: [UInt8]
        var position: Int
        var bitBuffer: UInt32 = 0
        var bitCount = 0

        init(bytes: [UInt8], position: Int) {
            self.bytes = bytes
            self.position = position
        }

        mutating func bits(_ n: Int) throws -> Int {
            while bitCount < n {
                guard position < bytes.count else { throw FormatError(description: "DEFLATE stream is truncated") }
                bitBuffer |= UInt32(bytes[position]) << UInt32(bitCount)
                position += 1
                bitCount += 8
            }
            let value = Int(bitBuffer & ((1 << UInt32(n)) - 1))
            bitBuffer >>= UInt32(n)
            bitCount -= n
            return value
        }

        /// The byte position after discarding the bits left in the current byte.
        var alignedPosition: Int { position - bitCount / 8 }

        mutating func align() {
            position = alignedPosition
            bitBuffer = 0
            bitCount = 0
        }
    }

    /// A canonical Huffman code: how many codes of each length and the symbols in code order.
    struct Huffman {
        var counts = [Int](repeating: 0, count: 16)
        var symbols: [Int]

        init(lengths: [Int]) throws {
            symbols = [Int](repeating: 0, count: lengths.count)
            for l in lengths { counts[l] += 1 }
            var left = 1
            for len in 1..<16 {
                left = left * 2 - counts[len]
                guard left >= 0 else { throw FormatError(description: "over-subscribed Huffman code") }
            }
            var offsets = [Int](repeating: 0, count: 16)
            for len in 1..<15 { offsets[len + 1] = offsets[len] + counts[len] }
            for (symbol, l) in lengths.enumerated() where l != 0 {
                symbols[offsets[l]] = symbol
                offsets[l] += 1
            }
        }

        func decode(_ r: inout BitReader) throws -> Int {
            var code = 0, first = 0, index = 0
            for len in 1..<16 {
                code |= try r.bits(1)
                let count = counts[len]
                if code - count < first { return symbols[index + (code - first)] }
                index += count
                first = (first + count) << 1
                code <<= 1
            }
            throw FormatError(description: "invalid Huffman code")
        }
    }

    private static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    private static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    private static let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    private static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]
    private static let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

    static func inflate(_ r: inout BitReader, into out: inout [UInt8]) throws {
        var last = false
        while !last {
            last = try r.bits(1) == 1
            switch try r.bits(2) {
            case 0:
                r.align()
                guard r.position + 4 <= r.bytes.count else { throw FormatError(description: "stored block is truncated") }
                let len = Int(r.bytes[r.position]) | Int(r.bytes[r.position + 1]) << 8
                r.position += 4
                guard r.position + len <= r.bytes.count else { throw FormatError(description: "stored block is truncated") }
                out.append(contentsOf: r.bytes[r.position..<(r.position + len)])
                r.position += len
            case 1:
                let lengths = [Int](repeating: 8, count: 144) + [Int](repeating: 9, count: 112) + [Int](repeating: 7, count: 24) + [Int](repeating: 8, count: 8)
                try codes(&r, &out, literal: Huffman(lengths: lengths), distance: Huffman(lengths: [Int](repeating: 5, count: 30)))
            case 2:
                let nlen = try r.bits(5) + 257, ndist = try r.bits(5) + 1, ncode = try r.bits(4) + 4
                var codeLengths = [Int](repeating: 0, count: 19)
                for i in 0..<ncode { codeLengths[codeLengthOrder[i]] = try r.bits(3) }
                let lencode = try Huffman(lengths: codeLengths)
                var lengths = [Int]()
                while lengths.count < nlen + ndist {
                    let symbol = try lencode.decode(&r)
                    switch symbol {
                    case 0..<16: lengths.append(symbol)
                    case 16:
                        guard let previous = lengths.last else { throw FormatError(description: "repeat with no previous length") }
                        lengths += [Int](repeating: previous, count: 3 + (try r.bits(2)))
                    case 17: lengths += [Int](repeating: 0, count: 3 + (try r.bits(3)))
                    default: lengths += [Int](repeating: 0, count: 11 + (try r.bits(7)))
                    }
                }
                guard lengths.count == nlen + ndist else { throw FormatError(description: "too many code lengths") }
                try codes(&r, &out, literal: Huffman(lengths: Array(lengths[0..<nlen])), distance: Huffman(lengths: Array(lengths[nlen...])))
            default:
                throw FormatError(description: "invalid DEFLATE block type")
            }
        }
    }

    private static func codes(_ r: inout BitReader, _ out: inout [UInt8], literal: Huffman, distance: Huffman) throws {
        while true {
            let symbol = try literal.decode(&r)
            if symbol < 256 {
                out.append(UInt8(symbol))
            } else if symbol == 256 {
                return
            } else {
                let s = symbol - 257
                guard s < 29 else { throw FormatError(description: "invalid length symbol") }
                let length = lengthBase[s] + (try r.bits(lengthExtra[s]))
                let d = try distance.decode(&r)
                guard d < 30 else { throw FormatError(description: "invalid distance symbol") }
                let dist = distanceBase[d] + (try r.bits(distanceExtra[d]))
                guard dist <= out.count else { throw FormatError(description: "distance too far back") }
                let from = out.count - dist
                for i in 0..<length { out.append(out[from + i]) }
            }
        }
    }
}

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), table-driven. O(n).
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}
