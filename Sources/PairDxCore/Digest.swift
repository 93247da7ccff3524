import CCrypto
import Foundation

/// Incremental SHA-256 (or MD5) on OpenSSL's EVP interface.
///
/// Invariant: `finalize()` is called at most once; `update` after it is a programming error.
public final class Hasher256 {
    public enum Algorithm: Sendable { case sha256, md5 }
    private let ctx: OpaquePointer

    public init(_ algorithm: Algorithm = .sha256) {
        guard let c = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new failed: out of memory") }
        ctx = c
        let md = algorithm == .sha256 ? EVP_sha256() : EVP_md5()
        EVP_DigestInit_ex(ctx, md, nil)
    }

    deinit { EVP_MD_CTX_free(ctx) }

    public func update(_ buffer: UnsafeRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        EVP_DigestUpdate(ctx, base, buffer.count)
    }

    public func update(_ data: some DataProtocol) {
        for region in data.regions { region.withUnsafeBytes { update($0) } }
    }

    public func update(_ string: String) {
        var s = string
        s.withUTF8 { update(UnsafeRawBufferPointer($0)) }
    }

    /// The digest as raw bytes.
    public func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var n: UInt32 = 0
        EVP_DigestFinal_ex(ctx, &out, &n)
        return Array(out.prefix(Int(n)))
    }

    public func finalizeHex() -> String { Hex.encode(finalize()) }
}

public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out = [UInt8]()
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Fixed-width lowercase hex of a 64-bit value (16 digits), the format of every hash field.
    public static func encode64(_ v: UInt64) -> String {
        var out = [UInt8](repeating: 0, count: 16)
        for i in 0..<16 { out[i] = digits[Int((v >> UInt64(60 - 4 * i)) & 15)] }
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode64(_ s: String) -> UInt64? {
        guard s.utf8.count == 16 else { return nil }
        return UInt64(s, radix: 16)
    }
}

public enum SHA256 {
    public static func hex(_ data: some DataProtocol) -> String {
        let h = Hasher256(); h.update(data); return h.finalizeHex()
    }

    public static func hex(_ string: String) -> String {
        let h = Hasher256(); h.update(string); return h.finalizeHex()
    }

    public static func hex(_ buffer: UnsafeRawBufferPointer) -> String {
        let h = Hasher256(); h.update(buffer); return h.finalizeHex()
    }

    /// Streams a file through SHA-256 in 1 MiB reads; memory stays constant whatever the file size.
    public static func hex(fileAt path: String) throws -> String { try Hasher256.hex(fileAt: path, .sha256) }
}

/// MD5, only to compare with digests others publish (S3's single-part ETags); never an identity here.
public enum MD5 {
    public static func hex(_ data: some DataProtocol) -> String {
        let h = Hasher256(.md5); h.update(data); return h.finalizeHex()
    }

    /// Streams a file through MD5 in 1 MiB reads.
    public static func hex(fileAt path: String) throws -> String { try Hasher256.hex(fileAt: path, .md5) }
}

extension Hasher256 {
    /// A file's digest, streamed in 1 MiB reads: memory stays constant whatever the file size.
    static func hex(fileAt path: String, _ algorithm: Algorithm) throws -> String {
        guard let fh = FileHandle(forReadingAtPath: path) else {
            throw PairDxError.io("cannot open \(path) for hashing")
        }
        defer { try? fh.close() }
        let h = Hasher256(algorithm)
        while true {
            let chunk = try fh.read(upToCount: 1 << 20) ?? Data()
            if chunk.isEmpty { break }
            h.update(chunk)
        }
        return h.finalizeHex()
    }
}

/// Keyed hash of (seed, id): the only source of randomness for every selection and assignment.
///
/// Defined as the first 8 bytes (big-endian) of SHA-256 over the UTF-8 of `"<domain>\u{1F}<seed>\u{1F}<id>"`,
/// so it is independent of iteration order, thread count and platform.
public enum KeyedHash {
    public static func value(seed: UInt64, domain: String, id: String) -> UInt64 {
        let h = Hasher256()
        h.update("\(domain)\u{1F}\(seed)\u{1F}\(id)")
        let d = h.finalize()
        var v: UInt64 = 0
        for i in 0..<8 { v = (v << 8) | UInt64(d[i]) }
        return v
    }

    /// A value in [0, 1) from the keyed hash (53 bits of precision).
    public static func unit(seed: UInt64, domain: String, id: String) -> Double {
        Double(value(seed: seed, domain: domain, id: id) >> 11) / Double(1 << 53)
    }
}
