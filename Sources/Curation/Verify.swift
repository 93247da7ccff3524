import Foundation
import PairDxCore

/// `pairdx verify`: everything a CI job needs to trust a split directory.
///
/// Checks, in order: every line of `SHA256SUMS` against the files; CSV headers and rows; no id in two splits;
/// no group in two splits; counts, per-class counts and membership hashes against `splits.json`; with a work
/// directory, every image's bytes against its sha256; with `--against`, a readable diff between two split
/// directories (moved, missing, extra, changed bytes, class-count drift).
public enum Verify {
    public struct Finding: Codable, Sendable, Equatable {
        /// `checksum`, `format`, `duplicate-id`, `group-split`, `count`, `membership`, `image`, `moved`, `missing`,
        /// `extra`, `changed`, `class-drift`.
        public var kind: String
        public var detail: String
    }

    public struct Result: Codable, Sendable {
        public var ok: Bool
        public var checked: [String]
        public var findings: [Finding]
        public var items: Int
        public var imagesChecked: Int
    }

    public static func run(splitDir: String, work: WorkDirectory?, against: String?) throws -> Result {
        var findings: [Finding] = []
        var checked: [String] = []
        // 1. SHA256SUMS
        let sumsPath = splitDir + "/SHA256SUMS"
        guard FileSystem.exists(sumsPath) else { throw PairDxError.badInput("\(sumsPath): missing; is \(splitDir) a split directory?") }
        for line in try FileSystem.readString(sumsPath).split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { findings.append(.init(kind: "format", detail: "SHA256SUMS: bad line '\(line)'")); continue }
            let name = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: " *"))
            let p = splitDir + "/" + name
            guard FileSystem.exists(p) else { findings.append(.init(kind: "checksum", detail: "\(name): listed in SHA256SUMS but missing")); continue }
            let actual = try SHA256.hex(fileAt: p)
            if actual != parts[0] { findings.append(.init(kind: "checksum", detail: "\(name): sha256 \(actual) ≠ \(parts[0]) in SHA256SUMS")) }
        }
        checked.append("sha256sums")

        // 2. CSVs
        var splits: [SplitName: [Splitter.Item]] = [:]
        for s in SplitName.allCases {
            do { splits[s] = try SplitFiles.readCSV(splitDir + "/\(s.rawValue).csv") } catch let e as PairDxError {
                findings.append(.init(kind: "format", detail: e.message)); splits[s] = []
            }
        }
        // 3. ids and groups
        var idSplit: [String: SplitName] = [:]
        var groupSplit: [String: SplitName] = [:]
        for s in SplitName.allCases {
            for it in splits[s]! {
                if let prev = idSplit[it.id] { findings.append(.init(kind: "duplicate-id", detail: "\(it.id) is in \(prev.rawValue) and \(s.rawValue)")) }
                idSplit[it.id] = s
                if let prev = groupSplit[it.group], prev != s {
                    findings.append(.init(kind: "group-split", detail: "group \(it.group) spans \(prev.rawValue) and \(s.rawValue) (item \(it.id))"))
                } else { groupSplit[it.group] = s }
            }
        }
        checked += ["unique-ids", "groups-intact"]

        // 4. splits.json
        let summaryPath = splitDir + "/splits.json"
        if let summary = try? CanonicalJSON.decode(SplitsSummary.self, from: FileSystem.read(summaryPath), source: summaryPath) {
            for s in SplitName.allCases {
                let items = splits[s]!
                guard let want = summary.splits[s.rawValue] else { findings.append(.init(kind: "count", detail: "splits.json has no '\(s.rawValue)'")); continue }
                if want.count != items.count { findings.append(.init(kind: "count", detail: "\(s.rawValue): \(items.count) items, splits.json says \(want.count)")) }
                var pc: [String: Int] = [:]
                for it in items { pc[it.class, default: 0] += 1 }
                for c in Set(pc.keys).union(want.perClass.keys).sorted() where (pc[c] ?? 0) != (want.perClass[c] ?? 0) {
                    findings.append(.init(kind: "class-drift", detail: "\(s.rawValue)/\(c): \(pc[c] ?? 0) items, splits.json says \(want.perClass[c] ?? 0)"))
                }
                let m = SplitFiles.membershipHash(items.map(\.id))
                if m != want.membershipSHA256 { findings.append(.init(kind: "membership", detail: "\(s.rawValue): membership hash \(m) ≠ \(want.membershipSHA256)")) }
            }
            checked += ["counts", "membership"]
        } else {
            findings.append(.init(kind: "format", detail: "\(summaryPath): missing or not a pairdx-splits/1 document"))
        }

        // 5. images
        var imagesChecked = 0
        if let work {
            let store = work.blobs
            for s in SplitName.allCases {
                for it in splits[s]! {
                    let p = store.path(for: it.sha256)
                    guard FileSystem.exists(p) else { findings.append(.init(kind: "image", detail: "\(it.id): image \(it.sha256) missing from \(store.root)")); continue }
                    let actual = try SHA256.hex(fileAt: p)
                    if actual != it.sha256 { findings.append(.init(kind: "image", detail: "\(it.id): image bytes changed (sha256 \(actual), expected \(it.sha256))")) }
                    imagesChecked += 1
                }
            }
            checked.append("image-bytes")
        }

        // 6. diff against another split directory
        if let against {
            findings += try diff(mine: splits, against: against)
            checked.append("diff")
        }
        let total = splits.values.map(\.count).reduce(0, +)
        return Result(ok: findings.isEmpty, checked: checked, findings: findings, items: total, imagesChecked: imagesChecked)
    }

    /// Differences of `mine` relative to the split directory `against` (the reference).
    static func diff(mine: [SplitName: [Splitter.Item]], against: String) throws -> [Finding] {
        var ref: [String: (SplitName, Splitter.Item)] = [:]
        var refCounts: [String: Int] = [:]
        for s in SplitName.allCases {
            for it in try SplitFiles.readCSV(against + "/\(s.rawValue).csv") { ref[it.id] = (s, it); refCounts["\(s.rawValue)/\(it.class)", default: 0] += 1 }
        }
        var out: [Finding] = []
        var seen = Set<String>()
        var counts: [String: Int] = [:]
        for s in SplitName.allCases {
            for it in mine[s]! {
                seen.insert(it.id)
                counts["\(s.rawValue)/\(it.class)", default: 0] += 1
                guard let (rs, r) = ref[it.id] else { out.append(.init(kind: "extra", detail: "\(it.id) (\(s.rawValue)) is not in the reference")); continue }
                if rs != s { out.append(.init(kind: "moved", detail: "\(it.id): \(rs.rawValue) → \(s.rawValue)")) }
                if r.sha256 != it.sha256 { out.append(.init(kind: "changed", detail: "\(it.id): image sha256 \(r.sha256) → \(it.sha256)")) }
                if r.class != it.class { out.append(.init(kind: "changed", detail: "\(it.id): class \(r.class) → \(it.class)")) }
            }
        }
        for (id, (s, _)) in ref where !seen.contains(id) { out.append(.init(kind: "missing", detail: "\(id) (\(s.rawValue)) is missing")) }
        for k in Set(counts.keys).union(refCounts.keys).sorted() where counts[k, default: 0] != refCounts[k, default: 0] {
            out.append(.init(kind: "class-drift", detail: "\(k): \(refCounts[k, default: 0]) → \(counts[k, default: 0])"))
        }
        return out.sorted { ($0.kind, $0.detail) < ($1.kind, $1.detail) }
    }
}
