import Foundation
import Imaging
import PairDxCore

/// Reads the files an audit is computed from. Missing optional files and bad rows are recorded in
/// `AuditInputs.problems` and counted; only a missing or invalid recipe stops the audit.
public enum AuditLoader {
    /// The manifest directory that belongs to `Splits/<name>`: `<root>/Manifests/<name>`.
    public static func defaultManifestDirectory(forSplits splitDir: String) -> String {
        let dir = (splitDir as NSString).standardizingPath
        let name = (dir as NSString).lastPathComponent
        let root = ((dir as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
        return ((root.isEmpty ? "." : root) as NSString).appendingPathComponent("Manifests/\(name)")
    }

    /// Loads split files, manifest and (when `data` is given) the work-directory records.
    /// - Throws: `PairDxError.badInput`/`.io` when the split directory or the recipe cannot be read.
    /// - Parameter suspects: a `suspects.json`; default `<data>/suspects.json` when present.
    public static func load(
        splitDir: String, manifestDir: String? = nil, data: String? = nil,
        glove: String? = nil, suspects: String? = nil
    ) throws -> AuditInputs {
        guard FileSystem.exists(splitDir) else {
            throw PairDxError.io("\(splitDir): no such split directory; run 'pairdx split' first or pass Splits/<name>")
        }
        var problems: [String] = []
        let name = ((splitDir as NSString).standardizingPath as NSString).lastPathComponent
        let manifest = manifestDir ?? defaultManifestDirectory(forSplits: splitDir)
        let recipePath = (manifest as NSString).appendingPathComponent("recipe.json")
        guard FileSystem.exists(recipePath) else {
            throw PairDxError.io(
                "\(recipePath): recipe not found; pass --manifest Manifests/<name> or run 'pairdx manifest'")
        }
        let recipe = try Recipe.load(recipePath)

        var summary: AuditSplitsSummary? = nil
        let summaryPath = (splitDir as NSString).appendingPathComponent("splits.json")
        if FileSystem.exists(summaryPath) {
            do {
                summary = try CanonicalJSON.decode(
                    AuditSplitsSummary.self, from: try FileSystem.read(summaryPath), source: summaryPath)
            } catch { problems.append("\(error)") }
        } else {
            problems.append("\(summaryPath): missing")
        }

        // Split files are untrusted: every field is validated (SplitFiles.read) and any bad row stops the audit (exit 65).
        var items: [String: [SplitItem]] = [:]
        var bad: [SplitFileProblem] = []
        let classes = Set(recipe.classes.map(\.name))
        for split in AuditInputs.splitNames {
            let path = (splitDir as NSString).appendingPathComponent("\(split).csv")
            guard FileSystem.exists(path) else {
                problems.append("\(path): missing; split '\(split)' counted as empty"); continue
            }
            let (rows, p) = try SplitFiles.read(path, classes: classes)
            items[split] = rows.map { splitItem($0, split: split) }
            bad += p
        }
        try SplitFiles.throwIfAny(bad)

        var sources: [SourceRow]? = nil
        let sourcesPath = (manifest as NSString).appendingPathComponent("sources.csv")
        if FileSystem.exists(sourcesPath) {
            let (rows, bad) = parseSourcesCSV(try FileSystem.readString(sourcesPath), source: sourcesPath)
            sources = rows; problems += bad
        }

        var work: WorkRecords? = nil
        if let data {
            guard FileSystem.exists(data) else { throw PairDxError.io("\(data): no such work directory (--data)") }
            work = loadWork(WorkDirectory(data), problems: &problems)
        }

        var vocabulary: Set<String>? = nil
        if let glove { vocabulary = try loadGloveVocabulary(glove) }

        // Problems name files relative to the project root (or the work directory's own name), so the
        // report carries no absolute paths.
        var prefixes: [(String, String)] = []
        if let data { prefixes.append((data, (data as NSString).lastPathComponent)) }
        prefixes.append((((splitDir as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent, ""))
        if let manifestDir {
            prefixes.append(
                (((manifestDir as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent, ""))
        }
        problems = problems.map { relativize($0, prefixes) }

        var inputs = AuditInputs(
            name: name, recipe: recipe, recipeSHA256: try? recipe.digest(), summary: summary,
            items: items, sources: sources, work: work, gloveVocabulary: vocabulary, problems: problems)
        inputs.labelQuality = loadLabelQuality(manifest: manifest, recipe: recipe, problems: &inputs.problems)
        inputs.suspects = try loadSuspects(
            suspects, data: data, splitDir: splitDir, name: name, problems: &inputs.problems)
        return inputs
    }

    /// The suspects file: `explicit` (an error when unreadable) or `<data>/suspects.json` when present. A file made for
    /// another split set, or for other bytes of this one (its recorded split digest differs), is a problem and shows nothing.
    static func loadSuspects(
        _ explicit: String?, data: String?, splitDir: String, name: String,
        problems: inout [String]
    ) throws -> SuspectLabels? {
        let path: String
        if let explicit {
            path = explicit
        } else if let data, FileSystem.exists((data as NSString).appendingPathComponent(SuspectLabels.fileName)) {
            path = (data as NSString).appendingPathComponent(SuspectLabels.fileName)
        } else {
            return nil
        }
        let label =
            explicit == nil
            ? "\((data! as NSString).lastPathComponent)/\(SuspectLabels.fileName)"
            : (path as NSString).lastPathComponent
        let s: SuspectLabels
        do { s = try SuspectLabels.load(path) } catch {
            if explicit != nil { throw error }
            problems.append("\(label): \(error); suspect labels not shown")
            return nil
        }
        guard s.split == name else {
            problems.append("\(label): made for split set '\(s.split)', not '\(name)'; suspect labels not shown")
            return nil
        }
        if let want = s.splitSHA256, let have = SuspectLabels.splitDigest(splitDir), want != have {
            problems.append(
                "\(label): made for other split files (split digest \(want.prefix(12))…, now \(have.prefix(12))…); rerun pairdx suspects; suspect labels not shown"
            )
            return nil
        }
        return s
    }

    /// `<manifest>/label-quality.json` when present and made from this very recipe; a stale or unreadable file is a
    /// problem (named by its file name) and gives no label precision.
    static func loadLabelQuality(manifest: String, recipe: Recipe, problems: inout [String]) -> LabelQuality.Report? {
        let path = (manifest as NSString).appendingPathComponent("label-quality.json")
        guard FileSystem.exists(path) else { return nil }
        let name = "\((manifest as NSString).lastPathComponent)/label-quality.json"
        guard let data = try? FileSystem.read(path),
            let r = try? CanonicalJSON.decode(LabelQuality.Report.self, from: data, source: name)
        else {
            problems.append("\(name): not a \(LabelQuality.schema) report; label precision not shown")
            return nil
        }
        guard r.recipeSHA256 == (try? recipe.digest()) else {
            problems.append(
                "\(name): measured for another version of recipe '\(r.recipe)'; rerun pairdx label-eval --recipe \(recipe.name) --out \(name)"
            )
            return nil
        }
        return r
    }

    /// Rewrites `prefix/` to `replacement/` (or to nothing) in a message; longer prefixes first.
    static func relativize(_ message: String, _ prefixes: [(String, String)]) -> String {
        var m = message
        for (p, r) in prefixes.sorted(by: { $0.0.count > $1.0.count }) where !p.isEmpty && p != "." {
            let withSlash = p.hasSuffix("/") ? p : p + "/"
            m = m.replacingOccurrences(of: withSlash, with: r.isEmpty ? "" : r + "/")
        }
        return m
    }

    /// The audit's view of a validated split row: hashes decoded.
    static func splitItem(_ it: Splitter.Item, split: String) -> SplitItem {
        SplitItem(
            id: it.id, class: it.class, article: it.article, figure: it.figure, sha256: it.sha256,
            phash: it.phash.isEmpty ? nil : Hex.decode64(it.phash), group: it.group, split: split,
            phash256: it.phash256.isEmpty ? nil : ImageHashes.words256(it.phash256))
    }

    /// Parses `sources.csv`; rows with unreadable numbers are reported and skipped.
    public static func parseSourcesCSV(_ text: String, source: String) -> ([SourceRow], [String]) {
        let rows = CSV.parse(text)
        guard let header = rows.first else { return ([], []) }
        var col: [String: Int] = [:]
        for (i, h) in header.enumerated() { col[h] = i }
        var out: [SourceRow] = []
        var bad: [String] = []
        for (n, r) in rows.enumerated().dropFirst() {
            if r.count == 1 && r[0].isEmpty { continue }
            func f(_ k: String) -> String { col[k].flatMap { $0 < r.count ? r[$0] : nil } ?? "" }
            guard let figures = Int(f("figures").isEmpty ? "0" : f("figures")),
                let kept = Int(f("kept").isEmpty ? "0" : f("kept")), !f("pmcid").isEmpty
            else {
                bad.append("\(source):\(n + 1): unreadable row; skipped"); continue
            }
            let lic = f("license")
            out.append(
                SourceRow(
                    pmcid: f("pmcid"), version: Int(f("version")), status: FetchStatus(rawValue: f("status")),
                    license: lic.isEmpty ? nil : lic, figures: figures, kept: kept))
        }
        return (out, bad)
    }

    static func loadWork(_ w: WorkDirectory, problems: inout [String]) -> WorkRecords {
        func read<T: Decodable & Sendable>(_ t: T.Type, _ path: String) -> [T]? {
            guard FileSystem.exists(path) else {
                problems.append("\(path): missing; its section is left out"); return nil
            }
            do { return try JSONL.read(t, from: path) } catch { problems.append("\(error)"); return nil }
        }
        var r = WorkRecords()
        r.candidates = read(Candidate.self, w.candidates)
        r.articles = read(ArticleRecord.self, w.articles)
        r.figures = read(FigureRecord.self, w.figures)
        r.images = read(ImageRecord.self, w.images)
        r.clusters = read(ClusterRecord.self, w.clusters)
        r.labels = read(LabelRecord.self, w.labels)
        if let d = FileManager.default.contents(atPath: w.balanced) {
            r.balancedCount = d.split(separator: 0x0A).filter { !$0.isEmpty }.count
        }
        // Present only after `pairdx plan` and a caption-first rebuild; absent is no problem.
        func optional<T: Decodable>(_ t: T.Type, _ name: String) -> T? {
            let path = w.path(name)
            guard FileSystem.exists(path) else { return nil }
            do { return try CanonicalJSON.decode(t, from: try FileSystem.read(path), source: path) } catch {
                problems.append("\(error)"); return nil
            }
        }
        r.plan = optional(RebuildPlan.self, "plan.json")
        r.scan = optional(ScanState.self, "scan-state.json")
        return r
    }

    /// The first token of every line of a GloVe text file, lowercased. O(file size).
    public static func loadGloveVocabulary(_ path: String) throws -> Set<String> {
        let data = try FileSystem.read(path)
        var vocab = Set<String>()
        vocab.reserveCapacity(data.count / 200)
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let b = raw.bindMemory(to: UInt8.self)
            var start = 0
            var i = 0
            var inWord = true
            while i < b.count {
                let c = b[i]
                if inWord && c == 0x20 {
                    if i > start {
                        vocab.insert(
                            String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self).lowercased())
                    }
                    inWord = false
                } else if c == 0x0A {
                    start = i &+ 1; inWord = true
                }
                i &+= 1
            }
        }
        guard !vocab.isEmpty else {
            throw PairDxError.badInput("\(path): no GloVe words found (expected 'word v1 v2 …' lines)")
        }
        return vocab
    }
}
