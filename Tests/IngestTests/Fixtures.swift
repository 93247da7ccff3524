import Foundation
import MirrorServer
import PairDxCore

/// Real PNG files built byte by byte (signature, IHDR, one stored-deflate IDAT, IEND, real CRCs),
/// so tests need no image library.
enum PNGFixture {
    /// A `w`×`h` 8-bit grayscale PNG whose pixel (x, y) is `(x * 7 + y * 13 + seed) & 255`.
    static func make(width w: Int = 16, height h: Int = 16, seed: Int = 0) -> Data {
        var raw: [UInt8] = []
        for y in 0..<h {
            raw.append(0)  // filter: none
            for x in 0..<w { raw.append(UInt8((x * 7 + y * 13 + seed) & 255)) }
        }
        var z: [UInt8] = [0x78, 0x01]
        var off = 0
        repeat {
            let n = min(65535, raw.count - off)
            let last: UInt8 = off + n == raw.count ? 1 : 0
            z += [last, UInt8(n & 255), UInt8(n >> 8), UInt8(~n & 255), UInt8((~n >> 8) & 255)]
            z += raw[off..<(off + n)]
            off += n
        } while off < raw.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in raw { a = (a + UInt32(byte)) % 65521; b = (b + a) % 65521 }
        z += be32((b << 16) | a)
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        png += chunk("IHDR", be32(UInt32(w)) + be32(UInt32(h)) + [8, 0, 0, 0, 0])
        png += chunk("IDAT", z)
        png += chunk("IEND", [])
        return Data(png)
    }

    static func be32(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8((v >> 16) & 255), UInt8((v >> 8) & 255), UInt8(v & 255)]
    }

    static func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
        let t = Array(type.utf8)
        return be32(UInt32(body.count)) + t + body + be32(crc32(t + body))
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            c ^= UInt32(byte)
            for _ in 0..<8 { c = (c & 1) != 0 ? (0xEDB8_8320 ^ (c >> 1)) : (c >> 1) }
        }
        return ~c
    }
}

/// A running `MirrorServer` over a directory, stopped by `stop()`.
struct RunningMirror {
    let server: MirrorServer
    let base: String

    static func start(_ dir: String, faults: [Fault] = []) async throws -> RunningMirror {
        let s = try MirrorServer(root: dir, port: 0, faults: FaultPlan(faults: faults))
        let port = try await s.start()
        return RunningMirror(server: s, base: "http://127.0.0.1:\(port)/")
    }

    func stop() async { await server.stop() }
}

/// A port nothing listens on (bound, read, closed).
func refusedPort() -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) }
    }
    _ = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
    }
    return UInt16(bigEndian: addr.sin_port)
}
