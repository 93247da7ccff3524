import Foundation
import PairDxTestSupport
import Testing
import MirrorServer
import PairDxCore

/// Sends `head` (a raw request line and headers, as bytes on the wire) to 127.0.0.1:`port` and reads the whole
/// answer (the server closes every connection). Returns the status code and the body.
private func rawGet(port: UInt16, _ head: String) async throws -> (status: Int, body: Data) {
    try await OffPool.run { try blockingGet(port: port, head) }
}

private func blockingGet(port: UInt16, _ head: String) throws -> (status: Int, body: Data) {
    guard let fd = Loopback.connect(port) else { throw PairDxError.io("cannot connect to 127.0.0.1:\(port)") }
    defer { close(fd) }
    var timeout = timeval(tv_sec: 20, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    let bytes = Array(head.utf8)
    var off = 0
    while off < bytes.count {
        let n = bytes[off...].withUnsafeBytes { send(fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
        if n <= 0 { break }  // the server may close early on a request it refuses
        off += n
    }
    var answer = Data()
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
        if n <= 0 { break }
        answer.append(contentsOf: buffer[0..<n])
    }
    guard let split = answer.range(of: Data("\r\n\r\n".utf8)),
        let statusLine = String(data: answer[..<split.lowerBound], encoding: .utf8)?.split(separator: "\r\n").first,
        let code = statusLine.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
    else {
        return (0, answer)
    }
    return (code, Data(answer[split.upperBound...]))
}

private func get(_ port: UInt16, _ target: String, headers: String = "") async throws -> (status: Int, body: Data) {
    try await rawGet(
        port: port, "GET \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\(headers)Connection: close\r\n\r\n")
}

@Suite(.scratch) struct MirrorServerTests {
    @Test func symbolicLinksThatLeaveTheRootAreRefused() async throws {
        let dir = try Scratch.directory("symlink")
        try FileManager.default.createDirectory(atPath: dir + "/root/PMC1.1", withIntermediateDirectories: true)
        try Data("outside".utf8).write(to: URL(fileURLWithPath: dir + "/secret.txt"))
        try Data("inside".utf8).write(to: URL(fileURLWithPath: dir + "/root/PMC1.1/a.txt"))
        try FileManager.default.createSymbolicLink(
            atPath: dir + "/root/PMC1.1/out.txt", withDestinationPath: dir + "/secret.txt")
        try FileManager.default.createSymbolicLink(atPath: dir + "/root/PMC1.1/up", withDestinationPath: dir)
        try FileManager.default.createSymbolicLink(atPath: dir + "/root/PMC1.1/in.txt", withDestinationPath: "a.txt")
        let server = try MirrorServer(root: dir + "/root")
        let port = try await server.start()
        defer { Task { await server.stop() } }
        let out = try await get(port, "/PMC1.1/out.txt"), up = try await get(port, "/PMC1.1/up/secret.txt")
        #expect(out.status == 403 && out.body != Data("outside".utf8))
        #expect(up.status == 403 && up.body != Data("outside".utf8))
        let inside = try await get(port, "/PMC1.1/in.txt")  // a link that stays inside is served
        #expect(inside.status == 200 && inside.body == Data("inside".utf8))
    }

    @Test func keysWithPercentAreDecodedOnce() async throws {
        let dir = try Scratch.directory("percent")
        try FileManager.default.createDirectory(atPath: dir + "/PMC1.1", withIntermediateDirectories: true)
        try Data("percent".utf8).write(to: URL(fileURLWithPath: dir + "/PMC1.1/fig%41.png"))
        try Data("letter".utf8).write(to: URL(fileURLWithPath: dir + "/PMC1.1/figA.png"))
        try Data("space".utf8).write(to: URL(fileURLWithPath: dir + "/PMC1.1/fig 1.png"))
        let server = try MirrorServer(root: dir)
        let port = try await server.start()
        defer { Task { await server.stop() } }
        let percent = try await get(port, "/PMC1.1/fig%2541.png")
        #expect(percent.status == 200 && percent.body == Data("percent".utf8))
        #expect(try await get(port, "/PMC1.1/fig%41.png").body == Data("letter".utf8))
        #expect(try await get(port, "/PMC1.1/fig%201.png").body == Data("space".utf8))
        #expect(server.hits["/PMC1.1/fig%41.png"] == 1 && server.hits["/PMC1.1/figA.png"] == 1)
    }

    @Test func accessLogIsAppendedToAndEscaped() async throws {
        let dir = try Scratch.directory("access-log")
        try FileManager.default.createDirectory(atPath: dir + "/root/PMC1.1", withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: dir + "/root/PMC1.1/a.txt"))
        let log = dir + "/access.log"
        try "earlier line\n".write(toFile: log, atomically: false, encoding: .utf8)
        let server = try MirrorServer(root: dir + "/root", accessLog: log)
        let port = try await server.start()
        defer { Task { await server.stop() } }
        _ = try await get(port, "/PMC1.1/a.txt")
        _ = try await get(port, "/PMC1.1/a%0A0.000001%20/forged%25.txt")
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(
            separator: "\n", omittingEmptySubsequences: false)
        try #require(lines.count == 4 && lines[0] == "earlier line" && lines[3].isEmpty, "\(lines)")
        #expect(lines[1].hasSuffix(" /PMC1.1/a.txt"))
        #expect(lines[2].hasSuffix(" /PMC1.1/a%0A0.000001%20/forged%25.txt"), "\(lines[2])")
    }
}

/// The request line and head limits, checked on the wire: the gate in front of FlyingFox answers before FlyingFox
/// reads an unbounded line, and closes the connection.
@Suite(.scratch) struct MirrorServerRequestLimitTests {
    static func serve() async throws -> (MirrorServer, UInt16) {
        let dir = try Scratch.directory("limits")
        try FileManager.default.createDirectory(atPath: dir + "/PMC1.1", withIntermediateDirectories: true)
        try Data("inside".utf8).write(to: URL(fileURLWithPath: dir + "/PMC1.1/a.txt"))
        let server = try MirrorServer(root: dir)
        return (server, try await server.start())
    }

    static func padding(lines: Int, bytes: Int) -> String {
        (0..<lines).map { "X-Pad-\($0): " + String(repeating: "b", count: bytes) + "\r\n" }.joined()
    }

    @Test func requestsWithinTheLimitsAreServed() async throws {
        let (server, port) = try await Self.serve()
        defer { Task { await server.stop() } }
        let plain = try await get(port, "/PMC1.1/a.txt")
        #expect(plain.status == 200 && plain.body == Data("inside".utf8))
        // 30 headers of ~1 KiB: a 30 KiB head, under 32 KiB.
        let padded = try await get(port, "/PMC1.1/a.txt", headers: Self.padding(lines: 30, bytes: 1000))
        #expect(padded.status == 200 && padded.body == Data("inside".utf8))
        let longish = try await get(port, "/PMC1.1/a.txt?pad=" + String(repeating: "q", count: 7000))
        #expect(longish.status == 200)
    }

    @Test func aRequestLineOver8KiBAnswers414() async throws {
        let (server, port) = try await Self.serve()
        defer { Task { await server.stop() } }
        let long = try await get(port, "/PMC1.1/" + String(repeating: "a", count: 9000))
        #expect(
            long.status == 414
                && String(decoding: long.body, as: UTF8.self).contains("request line longer than 8192 bytes"))
        // A request line that never ends is cut off at the limit, not read to the end.
        let endless = try await rawGet(port: port, "GET /" + String(repeating: "z", count: 200_000))
        #expect(endless.status == 414)
        #expect(server.hits.isEmpty, "FlyingFox never saw either request")
    }

    @Test func headersOver32KiBAnswer431() async throws {
        let (server, port) = try await Self.serve()
        defer { Task { await server.stop() } }
        let big = try await get(port, "/PMC1.1/a.txt", headers: Self.padding(lines: 40, bytes: 1000))
        #expect(big.status == 431 && String(decoding: big.body, as: UTF8.self).contains("larger than 32768 bytes"))
        // One header line of 300 KiB without an end: refused once 32 KiB have arrived.
        let endless = try await rawGet(
            port: port, "GET /PMC1.1/a.txt HTTP/1.1\r\nX-Big: " + String(repeating: "y", count: 300_000))
        #expect(endless.status == 431)
        #expect(server.hits.isEmpty)
        // The server still serves afterwards.
        #expect(try await get(port, "/PMC1.1/a.txt").status == 200)
    }

    @Test func aSecondRequestOnTheSameConnectionNeverReachesTheServer() async throws {
        let (server, port) = try await Self.serve()
        defer { Task { await server.stop() } }
        // A keep-alive request followed by one whose head is over the limit: only the first is answered.
        let first = "GET /PMC1.1/a.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n"
        let second = "GET /PMC1.1/a.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n" + Self.padding(lines: 40, bytes: 1000) + "\r\n"
        let answer = try await rawGet(port: port, first + second)
        #expect(answer.status == 200)
        #expect(!String(decoding: answer.body, as: UTF8.self).contains("HTTP/1.1"), "one answer per connection")
        #expect(server.hits["/PMC1.1/a.txt"] == 1)
    }

    @Test func aRequestWithABodyIsRefused() async throws {
        let (server, port) = try await Self.serve()
        defer { Task { await server.stop() } }
        let answer = try await rawGet(
            port: port, "GET /PMC1.1/a.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\nhello")
        #expect(answer.status == 413)
    }
}
