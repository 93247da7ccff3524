import Foundation
import Imaging
import PairDxCore

/// `pairdx verify`: everything a CI job needs to trust a split directory.
///
/// Checks, in order: `SHA256SUMS` lists exactly the split's files, one canonical line each, and every digest matches;
/// every CSV field is valid (`SplitFiles.read`); no id in two splits; no group in two splits; counts, per-class counts
/// and membership hashes against `splits.json`; with a work directory, every image's bytes against its sha256; the
/// split digest (sha256 of `SHA256SUMS`) against a pinned value; with `--against`, a readable diff between two split
/// directories (moved, missing, extra, changed bytes, class-count drift). Every problem names its check, file, line and
/// item where it has them.
public enum Verify {
    public enum Check: String, Codable, CaseIterable, Sendable {
        case sha256sums
        case csv
        case uniqueIds = "unique-ids"
        case groups = "groups-intact"
        case summary = "splits-json"
        case images = "image-bytes"
        case digest = "pinned-digest"
        case diff
    }

    public struct Problem: Codable, Sendable, Equatable, CustomStringConvertible {
        public var check: Check
        /// The file the problem is in, as reached from the working directory (`Splits/<name>/train.csv`), if any.
        public var file: String?
        /// 1-based line in `file`, if any.
        public var line: Int?
        /// The item id, the CSV field or the listed file name the problem concerns, if any.
        public var item: String?
        public var message: String

        public init(_ check: Check, file: String? = nil, line: Int? = nil, item: String? = nil, _ message: String) {
            self.check = check; self.file = file; self.line = line; self.item = item; self.message = message
        }

        public var description: String {
            (file.map { $0 + (line.map { ":\($0)" } ?? "") + ": " } ?? "") + (item.map { "\($0): " } ?? "") + message
        }
    }

    public struct Skipped: Codable, Sendable, Equatable {
        public var check: Check
        public var reason: String
    }

    /// A digest the split must have, and where it came from (`--expect`, or a `split.sha256` file).
    public struct Expectation: Sendable, Equatable {
        public var digest: String
        public var source: String
        public init(digest: String, source: String) { self.digest = digest; self.source = source }

        /// `--expect DIGEST`: 64 lowercase hex digits, optionally prefixed `sha256:`.
        public static func parse(_ s: String) throws -> Expectation {
            let d = s.hasPrefix("sha256:") ? String(s.dropFirst(7)) : s
            guard SplitFiles.isHex(d[...], digits: 64) else {
                throw PairDxError.usage(
                    "--expect takes a split digest, 64 lowercase hex digits (got \(Printable.quoted(s)))")
            }
            return Expectation(digest: d, source: "--expect")
        }

        /// The digest recorded in a manifest directory (`Manifests/<name>/split.sha256`).
        public static func recorded(in manifestDir: String) throws -> Expectation {
            Expectation(
                digest: try Manifest.recordedSplitDigest(manifestDir),
                source: manifestDir.hasSuffix(".sha256")
                    ? manifestDir : (manifestDir as NSString).appendingPathComponent(Manifest.splitDigestFile))
        }

        /// `Manifests/<name>/split.sha256` beside `Splits/<name>`, when it exists.
        public static func besideSplit(_ splitDir: String) throws -> Expectation? {
            let dir = AuditLoader.defaultManifestDirectory(forSplits: splitDir)
            guard FileSystem.exists((dir as NSString).appendingPathComponent(Manifest.splitDigestFile)) else {
                return nil
            }
            return try recorded(in: dir)
        }
    }

    public struct Result: Codable, Sendable {
        public var ok: Bool
        public var splitDir: String
        /// sha256 of `SHA256SUMS` as found; nil when it is missing.
        public var digest: String?
        public var expectedDigest: String?
        public var expectedFrom: String?
        public var checked: [Check]
        public var skipped: [Skipped]
        public var problems: [Problem]
        public var items: Int
        public var imagesChecked: Int

        /// A split file with an invalid field is bad input (exit 65); any other problem is a failed check (exit 1).
        public var badInput: Bool { problems.contains { $0.check == .csv } }
    }

    /// Verifies `splitDir`. `expect`: the digest the split must have (nil: that check is skipped).
    /// - Throws: `PairDxError.io` when `splitDir` is not a directory or a file cannot be read.
    /// `threads`: workers hashing the images (with `work`).
    public static func run(
        splitDir: String, work: WorkDirectory?, against: String?, expect: Expectation? = nil,
        threads: Int = 1
    ) throws -> Result {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: splitDir, isDirectory: &isDir), isDir.boolValue else {
            throw PairDxError.io("\(splitDir): no such split directory")
        }
        var problems: [Problem] = []
        var checked: [Check] = []
        var skipped: [Skipped] = []
        func path(_ f: String) -> String { (splitDir as NSString).appendingPathComponent(f) }

        // 1. SHA256SUMS lists exactly the split's files.
        problems += try checkSums(splitDir)
        checked.append(.sha256sums)
        let digest = try SplitFiles.digest(of: splitDir)

        // 2. splits.json, then every CSV field (classes from splits.json when it is readable).
        let summaryPath = path("splits.json")
        var summary: SplitsSummary?
        if FileSystem.exists(summaryPath) {
            do {
                let s = try CanonicalJSON.decode(
                    SplitsSummary.self, from: FileSystem.read(summaryPath), source: summaryPath)
                if s.schema != SplitsSummary.schemaID {
                    problems.append(
                        .init(
                            .summary, file: summaryPath,
                            "schema is \(Printable.quoted(s.schema)), expected \(SplitsSummary.schemaID)"))
                } else if let bad = s.classes.first(where: { PathComponent.problem($0) != nil }) {
                    problems.append(
                        .init(
                            .summary, file: summaryPath, item: Printable.quoted(bad),
                            "class name \(PathComponent.problem(bad)!)"))
                } else {
                    summary = s
                }
            } catch let e as PairDxError {
                problems.append(
                    .init(.summary, file: summaryPath, "not a \(SplitsSummary.schemaID) document: \(e.message)"))
            }
        }
        var splits: [SplitName: [Splitter.Item]] = [:]
        for s in SplitName.allCases {
            let p = path("\(s.rawValue).csv")
            guard FileSystem.exists(p) else { splits[s] = []; continue }  // named by the SHA256SUMS check
            let (items, bad) = try SplitFiles.read(p, classes: summary.map { Set($0.classes) })
            splits[s] = items
            problems += bad.map {
                Problem(
                    .csv, file: $0.file, line: $0.line, item: $0.item,
                    ($0.field.map { "field '\($0)': " } ?? "") + $0.message)
            }
        }
        checked.append(.csv)

        // 3. ids and groups
        var idSplit: [String: SplitName] = [:]
        var groupSplit: [String: SplitName] = [:]
        for s in SplitName.allCases {
            for it in splits[s]! {
                if let prev = idSplit[it.id] {
                    problems.append(
                        .init(.uniqueIds, file: path("\(s.rawValue).csv"), item: it.id, "also in \(prev.rawValue).csv"))
                }
                idSplit[it.id] = s
                if let prev = groupSplit[it.group], prev != s {
                    problems.append(
                        .init(
                            .groups, file: path("\(s.rawValue).csv"), item: it.id,
                            "group \(it.group) spans \(prev.rawValue) and \(s.rawValue)"))
                } else {
                    groupSplit[it.group] = s
                }
            }
        }
        checked += [.uniqueIds, .groups]

        // 4. splits.json: counts, per-class counts, membership
        if let summary {
            for s in SplitName.allCases {
                let items = splits[s]!
                guard let want = summary.splits[s.rawValue] else {
                    problems.append(.init(.summary, file: summaryPath, "has no '\(s.rawValue)' entry")); continue
                }
                if want.count != items.count {
                    problems.append(
                        .init(
                            .summary, file: summaryPath, item: s.rawValue,
                            "\(s.rawValue).csv has \(items.count) items, splits.json says \(want.count)"))
                }
                var pc: [String: Int] = [:]
                for it in items { pc[it.class, default: 0] += 1 }
                for c in Set(pc.keys).union(want.perClass.keys).sorted() where (pc[c] ?? 0) != (want.perClass[c] ?? 0) {
                    problems.append(
                        .init(
                            .summary, file: summaryPath, item: "\(s.rawValue)/\(c)",
                            "\(pc[c] ?? 0) items of class \(c), splits.json says \(want.perClass[c] ?? 0)"))
                }
                let m = SplitFiles.membershipHash(items.map(\.id))
                if m != want.membershipSHA256 {
                    problems.append(
                        .init(
                            .summary, file: summaryPath, item: s.rawValue,
                            "membership hash of \(s.rawValue).csv is \(m), splits.json says \(want.membershipSHA256)"))
                }
            }
            checked.append(.summary)
        } else if !FileSystem.exists(summaryPath) {
            skipped.append(.init(check: .summary, reason: "splits.json is missing (named by the sha256sums check)"))
        } else {
            checked.append(.summary)
        }

        // 5. images
        var imagesChecked = 0
        if let work {
            let store = work.blobs
            let rows = SplitName.allCases.flatMap { s in splits[s]!.map { (split: s, item: $0) } }
            // Hashing every image is the slow part: one file per worker at a time, results in row order.
            let digests = Parallel.map(count: rows.count, threads: max(1, threads), batch: 8) { i -> String?? in
                let p = store.path(for: rows[i].item.sha256)
                guard FileSystem.exists(p) else { return .some(nil) }
                return (try? SHA256.hex(fileAt: p)).map { .some($0) } ?? nil
            }
            for ((s, it), digest) in zip(rows, digests) {
                let p = store.path(for: it.sha256)
                switch digest {
                case .some(.none):
                    problems.append(
                        .init(
                            .images, file: path("\(s.rawValue).csv"), item: it.id,
                            "image \(it.sha256) is missing from \(store.root)"))
                    continue
                case .none:
                    problems.append(
                        .init(.images, file: path("\(s.rawValue).csv"), item: it.id, "image \(p) cannot be read"))
                case .some(.some(let actual)) where actual != it.sha256:
                    problems.append(
                        .init(
                            .images, file: path("\(s.rawValue).csv"), item: it.id,
                            "image bytes changed: \(p) has sha256 \(actual), expected \(it.sha256)"))
                default: break
                }
                imagesChecked += 1
            }
            checked.append(.images)
        } else {
            skipped.append(
                .init(check: .images, reason: "no work directory (--data): the images' bytes are not at hand"))
        }

        // 6. the pinned digest
        if let expect {
            if digest != expect.digest {
                problems.append(
                    .init(
                        .digest, file: path(SplitFiles.sumsFile), item: expect.source,
                        "split digest is \(digest ?? "(none: SHA256SUMS is missing)"), \(expect.source) pins \(expect.digest)"
                            + (expect.source == "--expect"
                                ? ""
                                : "; a split rewritten after its manifest (rerun 'pairdx manifest' if that was meant)"))
                )
            }
            checked.append(.digest)
        } else {
            skipped.append(
                .init(
                    check: .digest, reason: "no pinned digest: give --expect DIGEST or --expect-from Manifests/<name>"))
        }

        // 7. diff against another split directory
        if let against {
            problems += try diff(mine: splits, against: against).map { Problem(.diff, item: $0.item, $0.message) }
            checked.append(.diff)
        }
        let total = splits.values.map(\.count).reduce(0, +)
        return Result(
            ok: problems.isEmpty, splitDir: splitDir, digest: digest, expectedDigest: expect?.digest,
            expectedFrom: expect?.source, checked: checked, skipped: skipped, problems: problems, items: total,
            imagesChecked: imagesChecked)
    }

    /// Differences of `mine` relative to the split directory `against` (the reference), sorted by kind then item.
    static func diff(mine: [SplitName: [Splitter.Item]], against: String) throws -> [(item: String?, message: String)] {
        var ref: [String: (SplitName, Splitter.Item)] = [:]
        var refCounts: [String: Int] = [:]
        for s in SplitName.allCases {
            for it in try SplitFiles.readCSV(against + "/\(s.rawValue).csv") {
                ref[it.id] = (s, it); refCounts["\(s.rawValue)/\(it.class)", default: 0] += 1
            }
        }
        var out: [(String, String, String)] = []
        var seen = Set<String>()
        var counts: [String: Int] = [:]
        for s in SplitName.allCases {
            for it in mine[s]! {
                seen.insert(it.id)
                counts["\(s.rawValue)/\(it.class)", default: 0] += 1
                guard let (rs, r) = ref[it.id] else {
                    out.append(("extra", it.id, "extra: in \(s.rawValue), not in the reference")); continue
                }
                if rs != s { out.append(("moved", it.id, "moved: \(rs.rawValue) → \(s.rawValue)")) }
                if r.sha256 != it.sha256 {
                    out.append(("changed", it.id, "changed: image sha256 \(r.sha256) → \(it.sha256)"))
                }
                if r.class != it.class { out.append(("changed", it.id, "changed: class \(r.class) → \(it.class)")) }
            }
        }
        for (id, (s, _)) in ref where !seen.contains(id) {
            out.append(("missing", id, "missing: in the reference's \(s.rawValue), not here"))
        }
        for k in Set(counts.keys).union(refCounts.keys).sorted() where counts[k, default: 0] != refCounts[k, default: 0]
        {
            out.append(
                (
                    "class-drift", k,
                    "class drift: \(refCounts[k, default: 0]) in the reference → \(counts[k, default: 0])"
                ))
        }
        return out.sorted { ($0.0, ItemID.sortKey($0.1), $0.2) < ($1.0, ItemID.sortKey($1.1), $1.2) }.map {
            (item: $0.1, message: $0.2)
        }
    }
}
