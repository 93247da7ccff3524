import FlyingFox
import FlyingSocks
import Foundation

/// A response body sent in chunks with a pause between them, that can stop early by failing
/// (the server then drops the connection, as a broken upstream would).
struct DripBody: AsyncBufferedSequence {
    typealias Element = UInt8
    let data: Data
    /// Bytes to send before ending; when `< data.count` and `fail`, the stream throws there.
    let limit: Int
    let chunk: Int
    let pause: Double
    let fail: Bool

    func makeAsyncIterator() -> Iterator { Iterator(body: self) }

    struct Iterator: AsyncBufferedIteratorProtocol {
        let body: DripBody
        var position = 0

        struct Dropped: Error {}

        mutating func next() async throws -> UInt8? {
            guard let b = try await nextBuffer(suggested: 1) else { return nil }
            return b.first
        }

        mutating func nextBuffer(suggested count: Int) async throws -> Data? {
            if position >= body.limit {
                if body.fail { throw Dropped() }
                return nil
            }
            if body.pause > 0 && position > 0 { try await Task.sleep(nanoseconds: UInt64(body.pause * 1e9)) }
            let n = Swift.min(count, body.chunk, body.limit - position)
            let out = body.data.subdata(in: position..<(position + n))
            position += n
            return out
        }
    }
}
