import Foundation
import PairDxCore

/// Word vectors in GloVe's official text format (`word v1 … vd`, one word per line, space separated).
///
/// Loading parses the text once (O(file size)) and, when a cache directory is given, writes a binary cache
/// (`glove-<key>.bin`: magic, count, dim, words, little-endian Float32 matrix) keyed by the source file's
/// name, size and modification time, so later loads only read bytes.
public struct GloVe: Sendable {
    public let words: [String]
    public let dimension: Int
    /// `words.count × dimension`, row-major.
    public let vectors: [Float]

    public init(words: [String], dimension: Int, vectors: [Float]) {
        precondition(vectors.count == words.count * dimension)
        self.words = words; self.dimension = dimension; self.vectors = vectors
    }

    static let magic = Array("PDXGLOVE1\n".utf8)

    /// Loads `path`, going through the binary cache in `cacheDirectory` when one is given.
    public static func load(_ path: String, cacheDirectory: String? = nil) throws -> GloVe {
        guard FileSystem.exists(path) else {
            throw PairDxError.io("\(path): GloVe file not found; pass a file in GloVe's text format (word v1 … vd)")
        }
        let attrs = try? FileManager.default.attributesOfItem(atPath: path)
        let size = (attrs?[.size] as? NSNumber)?.int64Value ?? 0
        let mtime = (attrs?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        var cachePath: String?
        if let dir = cacheDirectory {
            let key = SHA256.hex("\((path as NSString).lastPathComponent)|\(size)|\(Int64(mtime))").prefix(16)
            cachePath = (dir as NSString).appendingPathComponent("glove-\(key).bin")
            if let c = cachePath, FileSystem.exists(c), let g = try? readCache(c) { return g }
        }
        let g = try parseText(FileSystem.read(path), source: path)
        if let c = cachePath {
            do { try FileSystem.makeDirectory(cacheDirectory!); try AtomicFile.write(g.cacheBytes(), to: c) } catch {
                Log.warning("could not write the GloVe cache \(c): \(error)")
            }
        }
        return g
    }

    /// Parses the text format. Lines with a different number of values than the first line are
    /// reported (file and line) as bad input. Complexity: O(bytes).
    public static func parseText(_ data: Data, source: String) throws -> GloVe {
        var words: [String] = []
        var vectors: [Float] = []
        var dim = -1
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let base = raw.bindMemory(to: UInt8.self)
            let n = base.count
            var i = 0, line = 0
            var numBuf = [CChar](repeating: 0, count: 64)
            while i < n {
                line &+= 1
                var end = i
                while end < n && base[end] != 0x0A { end &+= 1 }
                var j = i
                while j < end && base[j] != 0x20 { j &+= 1 }
                if j > i {
                    let word = String(decoding: UnsafeBufferPointer(rebasing: base[i..<j]), as: UTF8.self)
                    var values = 0
                    var k = j
                    while k < end {
                        while k < end && (base[k] == 0x20 || base[k] == 0x0D) { k &+= 1 }
                        if k >= end { break }
                        var m = k
                        while m < end && base[m] != 0x20 && base[m] != 0x0D { m &+= 1 }
                        let len = min(m - k, 63)
                        for t in 0..<len { numBuf[t] = CChar(bitPattern: base[k + t]) }
                        numBuf[len] = 0
                        var endPtr: UnsafeMutablePointer<CChar>?
                        let v = numBuf.withUnsafeMutableBufferPointer { p -> Float in
                            let r = strtof(p.baseAddress!, &endPtr)
                            if endPtr != p.baseAddress! + len { endPtr = nil }
                            return r
                        }
                        guard endPtr != nil else {
                            throw PairDxError.badInput("\(source):\(line): '\(word)' has a value that is not a number")
                        }
                        vectors.append(v); values &+= 1; k = m
                    }
                    if dim < 0 { dim = values }
                    guard values == dim, dim > 0 else {
                        throw PairDxError.badInput("\(source):\(line): '\(word)' has \(values) values, expected \(dim)")
                    }
                    words.append(word)
                }
                i = end &+ 1
            }
        }
        guard dim > 0 else { throw PairDxError.badInput("\(source): no vectors found (GloVe text format expected)") }
        return GloVe(words: words, dimension: dim, vectors: vectors)
    }

    func cacheBytes() -> Data {
        var d = Data(GloVe.magic)
        func u32(_ v: Int) { var x = UInt32(v).littleEndian; withUnsafeBytes(of: &x) { d.append(contentsOf: $0) } }
        u32(words.count); u32(dimension)
        for w in words { let b = Array(w.utf8); u32(b.count); d.append(contentsOf: b) }
        vectors.withUnsafeBytes { d.append(contentsOf: $0) }
        return d
    }

    static func readCache(_ path: String) throws -> GloVe {
        let d = try FileSystem.read(path)
        return try d.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> GloVe in
            func bad() -> PairDxError { .badInput("\(path): corrupt GloVe cache; delete it to rebuild") }
            guard raw.count >= magic.count + 8, Array(raw.prefix(magic.count)) == magic else { throw bad() }
            var o = magic.count
            func u32() throws -> Int {
                guard o + 4 <= raw.count else { throw bad() }
                let v = raw.loadUnaligned(fromByteOffset: o, as: UInt32.self).littleEndian; o += 4; return Int(v)
            }
            let count = try u32(), dim = try u32()
            var words: [String] = []; words.reserveCapacity(count)
            for _ in 0..<count {
                let len = try u32()
                guard o + len <= raw.count else { throw bad() }
                words.append(String(decoding: UnsafeRawBufferPointer(rebasing: raw[o..<(o + len)]), as: UTF8.self));
                o += len
            }
            guard raw.count - o == count * dim * 4 else { throw bad() }
            var v = [Float](repeating: 0, count: count * dim)
            v.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[o...])) }
            return GloVe(words: words, dimension: dim, vectors: v)
        }
    }

    /// The vocabulary of GloVe's words, optionally cut to the first `maxWords` (GloVe files are sorted by frequency).
    public func vocabulary(maxWords: Int? = nil) -> Vocabulary {
        Vocabulary(words: maxWords.map { Array(words.prefix($0)) } ?? words)
    }

    /// An embedding matrix (`vocab.count × dimension`) for `vocab`: GloVe vectors where known, `<pad>` zero,
    /// `<num>` the mean of the digit words' vectors, other unknowns drawn from N(0, 0.1²) by `rng`.
    /// Returns the matrix and how many words GloVe covered.
    public func matrix(for vocab: Vocabulary, rng: inout SeededGenerator) -> (weights: [Float], covered: Int) {
        var index: [String: Int] = [:]
        index.reserveCapacity(words.count)
        for (i, w) in words.enumerated() where index[w] == nil { index[w] = i }
        var m = [Float](repeating: 0, count: vocab.count * dimension)
        var covered = 0
        for (r, w) in vocab.words.enumerated() {
            if r == Vocabulary.pad { continue }
            if r == Vocabulary.num {
                let digits = (0...9).compactMap { index[String($0)] }
                for i in digits {
                    for c in 0..<dimension { m[r * dimension + c] += vectors[i * dimension + c] / Float(digits.count) }
                }
                if !digits.isEmpty { covered += 1; continue }
            }
            if let i = index[w] {
                for c in 0..<dimension { m[r * dimension + c] = vectors[i * dimension + c] }
                covered += 1
            } else {
                for c in 0..<dimension { m[r * dimension + c] = 0.1 * rng.nextNormal() }
            }
        }
        return (m, covered)
    }
}
