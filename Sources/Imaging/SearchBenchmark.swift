import Foundation
import PairDxCore

/// The radius-search benchmark: `count` pseudo-random 64-bit codes (SplitMix64, fixed seed) of which
/// every 10th is a planted neighbour (1...radius flipped bits) of an earlier code; times the index
/// build and self-join, reads peak resident memory, and optionally checks the result against brute
/// force on the first `verify` codes.
public enum SearchBenchmark {
    public static func codes(count: Int, radius: Int) -> [UInt64] {
        var rng = SplitMix64(state: 0x5EED)
        var out = [UInt64]()
        out.reserveCapacity(count)
        while out.count < count {
            if out.count >= 10 && out.count % 10 == 0 {
                var c = out[Int(rng.next() % UInt64(out.count))]
                for _ in 0..<(1 + Int(rng.next() % UInt64(max(1, radius)))) { c ^= 1 << (rng.next() % 64) }
                out.append(c)
            } else {
                out.append(rng.next())
            }
        }
        return out
    }

    /// Peak resident set size of this process in bytes (Linux `VmHWM`), or nil.
    public static func peakResidentBytes() -> Int? {
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in s.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").compactMap { Int($0) }.first
            return kb.map { $0 * 1024 }
        }
        return nil
    }

    public static func run(count: Int, radius: Int, threads: Int, verify: Int) -> String {
        let codes = self.codes(count: count, radius: radius)
        let t0 = DispatchTime.now().uptimeNanoseconds
        let index = HammingIndex(codes)
        let t1 = DispatchTime.now().uptimeNanoseconds
        let pairs = index.pairs(radius: radius, threads: threads)
        let t2 = DispatchTime.now().uptimeNanoseconds
        var line = String(
            format:
                "radius-%d search over %d hashes: build %.2f s, self-join %.2f s, total %.2f s, %d pairs, peak RSS %.0f MB (%d threads)",
            radius, count, Double(t1 - t0) / 1e9, Double(t2 - t1) / 1e9, Double(t2 - t0) / 1e9,
            pairs.count, Double(peakResidentBytes() ?? 0) / 1_048_576, threads)
        if verify > 0 {
            let subset = Array(codes.prefix(verify))
            let fast = HammingIndex(subset).pairs(radius: radius, threads: threads)
            let slow = HammingIndex.bruteForcePairs(subset, radius: radius)
            line +=
                "\nbrute force on the first \(subset.count): \(slow.count) pairs, index \(fast.count) pairs, "
                + (fast == slow ? "equal" : "DIFFERENT")
        }
        return line
    }
}
