import Foundation
import PairDxCore

/// Exports of a split directory with its images: a BagIt bag (RFC 8493) for archiving and an image-folder
/// layout (`split/class/file` + `metadata.jsonl`) that Python data loaders read directly.
public enum Export {
    public struct Summary: Codable, Sendable {
        public var files: Int
        public var bytes: Int
        public var missingImages: [String]
    }

    /// A file-system-safe name for an item: characters outside [A-Za-z0-9._-] become `_`, `/` becomes `__`.
    public static func fileName(for id: String, format: String?) -> String {
        var s = ""
        for ch in id.unicodeScalars {
            if ch == "/" {
                s += "__"
            } else if ch.isASCII && (ch.properties.isAlphabetic || ch.properties.numericType != nil || "._-".unicodeScalars.contains(ch)) {
                s.unicodeScalars.append(ch)
            } else {
                s += "_"
            }
        }
        return s + (format == "jpeg" ? ".jpg" : format.map { "." + $0 } ?? "")
    }

    struct Entry { var split: SplitName; var item: Splitter.Item; var format: String? }

    /// Every item of the split, its fields validated first (`SplitFiles.readCSV`: a bad row stops the export, exit 65),
    /// since `class` and `sha256` become paths.
    static func entries(splitDir: String, work: WorkDirectory, classes: Set<String>?) throws -> [Entry] {
        let images = FileSystem.exists(work.images)
            ? Dictionary(try JSONL.read(ImageRecord.self, from: work.images).map { ($0.sha256, $0.format) }, uniquingKeysWith: { a, _ in a })
            : [:]
        var out: [Entry] = []
        var problems: [SplitFileProblem] = []
        var items: [SplitName: [Splitter.Item]] = [:]
        for s in SplitName.allCases {
            let (rows, bad) = try SplitFiles.read(splitDir + "/\(s.rawValue).csv", classes: classes)
            items[s] = rows; problems += bad
        }
        try SplitFiles.throwIfAny(problems)
        for s in SplitName.allCases {
            for it in items[s]! { out.append(Entry(split: s, item: it, format: images[it.sha256] ?? nil)) }
        }
        return out
    }

    /// Writes a BagIt 1.0 bag: payload `data/splits/…`, `data/manifests/…` (when given) and
    /// `data/images/<split>/<class>/<file>`; `manifest-sha256.txt`, `bag-info.txt` with Payload-Oxum, and
    /// `tagmanifest-sha256.txt`. No dates, so the same inputs give the same bag.
    public static func bagit(splitDir: String, manifestDir: String?, work: WorkDirectory, to out: String,
                             classes: Set<String>? = nil) throws -> Summary {
        let entries = try entries(splitDir: splitDir, work: work, classes: classes)
        var payload: [(String, String)] = []   // (relative path in bag, source path)
        for f in FileSystem.listFiles(under: splitDir) { payload.append(("data/splits/\(f)", splitDir + "/" + f)) }
        if let manifestDir { for f in FileSystem.listFiles(under: manifestDir) { payload.append(("data/manifests/\(f)", manifestDir + "/" + f)) } }
        var missing: [String] = []
        for e in entries {
            let src = work.blobs.path(for: e.item.sha256)
            guard FileSystem.exists(src) else { missing.append(e.item.id); continue }
            payload.append(("data/images/\(e.split.rawValue)/\(e.item.class)/\(fileName(for: e.item.id, format: e.format))", src))
        }
        payload.sort { $0.0 < $1.0 }
        try FileSystem.makeDirectory(out)
        var manifest = ""
        var bytes = 0
        for (rel, src) in payload {
            let data = try FileSystem.read(src)
            try AtomicFile.write(data, to: out + "/" + rel)
            manifest += "\(SHA256.hex(data))  \(rel)\n"
            bytes += data.count
        }
        var tags: [String: String] = [:]
        tags["bagit.txt"] = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
        tags["manifest-sha256.txt"] = manifest
        tags["bag-info.txt"] = "Bag-Software-Agent: pairdx \(PairDxVersion.string)\nExternal-Description: PairDx split \((splitDir as NSString).lastPathComponent) with its images\nPayload-Oxum: \(bytes).\(payload.count)\n"
        for (k, v) in tags { try AtomicFile.write(v, to: out + "/" + k) }
        let tagManifest = tags.keys.sorted().map { "\(SHA256.hex(tags[$0]!))  \($0)\n" }.joined()
        try AtomicFile.write(tagManifest, to: out + "/tagmanifest-sha256.txt")
        if !missing.isEmpty { Log.warning("bag \(out): \(missing.count) images missing from the blob store (first: \(missing[0]))") }
        return Summary(files: payload.count, bytes: bytes, missingImages: missing)
    }

    struct FolderMeta: Codable {
        var file_name: String
        var id: String
        var `class`: String
        var article: String
        var caption: String
        var label: String?
        var license: String?
        var sha256: String
    }

    /// Writes `out/<split>/<class>/<file>` and `out/<split>/metadata.jsonl` (file_name relative to the split folder).
    public static func imageFolder(splitDir: String, work: WorkDirectory, to out: String, classes: Set<String>? = nil) throws -> Summary {
        let entries = try entries(splitDir: splitDir, work: work, classes: classes)
        let figures = Dictionary(try JSONL.read(FigureRecord.self, from: work.figures).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var metas: [SplitName: [FolderMeta]] = [:]
        var missing: [String] = []
        var bytes = 0, files = 0
        for e in entries {
            let src = work.blobs.path(for: e.item.sha256)
            guard FileSystem.exists(src) else { missing.append(e.item.id); continue }
            let rel = "\(e.item.class)/\(fileName(for: e.item.id, format: e.format))"
            let data = try FileSystem.read(src)
            try AtomicFile.write(data, to: "\(out)/\(e.split.rawValue)/\(rel)")
            bytes += data.count; files += 1
            let f = figures[e.item.id]
            metas[e.split, default: []].append(FolderMeta(file_name: rel, id: e.item.id, class: e.item.class, article: e.item.article,
                                                          caption: f?.caption ?? "", label: f?.label, license: f?.license, sha256: e.item.sha256))
        }
        for (s, m) in metas { try JSONL.write(m, to: "\(out)/\(s.rawValue)/metadata.jsonl", sortedBy: { ItemID.sortKey($0.id) }) }
        return Summary(files: files, bytes: bytes, missingImages: missing)
    }
}
