import Foundation
import PairDxCore

/// Exports of a split directory with its images: a BagIt bag (RFC 8493) for archiving, a Hugging Face-ready
/// image folder (`split/class/file` + `metadata.jsonl`, a dataset card and a Croissant file) and WebDataset tar
/// shards, both of which Python data loaders read directly.
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
            } else if ch.isASCII
                && (ch.properties.isAlphabetic || ch.properties.numericType != nil || "._-".unicodeScalars.contains(ch))
            {
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
        let images =
            FileSystem.exists(work.images)
            ? Dictionary(
                try JSONL.read(ImageRecord.self, from: work.images).map { ($0.sha256, $0.format) },
                uniquingKeysWith: { a, _ in a })
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
    public static func bagit(
        splitDir: String, manifestDir: String?, work: WorkDirectory, to out: String,
        classes: Set<String>? = nil
    ) throws -> Summary {
        let entries = try entries(splitDir: splitDir, work: work, classes: classes)
        var payload: [(String, String)] = []  // (relative path in bag, source path)
        for f in FileSystem.listFiles(under: splitDir) { payload.append(("data/splits/\(f)", splitDir + "/" + f)) }
        if let manifestDir {
            for f in FileSystem.listFiles(under: manifestDir) {
                payload.append(("data/manifests/\(f)", manifestDir + "/" + f))
            }
        }
        var missing: [String] = []
        for e in entries {
            let src = work.blobs.path(for: e.item.sha256)
            guard FileSystem.exists(src) else { missing.append(e.item.id); continue }
            payload.append(
                ("data/images/\(e.split.rawValue)/\(e.item.class)/\(fileName(for: e.item.id, format: e.format))", src))
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
        tags["bag-info.txt"] =
            "Bag-Software-Agent: pairdx \(PairDxVersion.string)\nExternal-Description: PairDx split \((splitDir as NSString).lastPathComponent) with its images\nPayload-Oxum: \(bytes).\(payload.count)\n"
        for (k, v) in tags { try AtomicFile.write(v, to: out + "/" + k) }
        let tagManifest = tags.keys.sorted().map { "\(SHA256.hex(tags[$0]!))  \($0)\n" }.joined()
        try AtomicFile.write(tagManifest, to: out + "/tagmanifest-sha256.txt")
        if !missing.isEmpty {
            Log.warning("bag \(out): \(missing.count) images missing from the blob store (first: \(missing[0]))")
        }
        return Summary(files: payload.count, bytes: bytes, missingImages: missing)
    }

    /// The folder name of a split in the image-folder and WebDataset exports: the names Hugging Face `datasets`
    /// recognises (`train`, `validation`, `test`).
    public static func folderName(_ s: SplitName) -> String { s == .val ? "validation" : s.rawValue }

    /// One item's metadata in the exports: a line of `metadata.jsonl` (with `file_name`) and a WebDataset
    /// sample's `.json` (with `key` and `split`). `label` is the class; the JATS figure label is `figure_label`.
    struct ItemMetadata: Codable {
        var file_name: String?
        var key: String?
        var split: String?
        var id: String
        var label: String
        var figure_label: String
        var article: String
        var caption: String
        var license: String
        var sha256: String

        init(_ e: Entry, figure f: FigureRecord?) {
            id = e.item.id; label = e.item.class; figure_label = f?.label ?? ""; article = e.item.article
            caption = f?.caption ?? ""; license = f?.license ?? ""; sha256 = e.item.sha256
        }
    }

    static func figures(_ work: WorkDirectory) throws -> [String: FigureRecord] {
        Dictionary(
            try JSONL.read(FigureRecord.self, from: work.figures).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Writes the Hugging Face image-folder layout: `out/<split>/<class>/<file>` and `out/<split>/metadata.jsonl`
    /// (`file_name` relative to the split folder, `label` the class), with `out/README.md`, a dataset card whose
    /// YAML header declares the splits and `label` as a ClassLabel of the recipe's classes in recipe order, and
    /// `out/croissant.json`, a Croissant 1.0 description whose `images` records yield each image with its
    /// caption and class. Split folders are `train`, `validation`, `test`.
    public static func imageFolder(splitDir: String, recipe: Recipe, work: WorkDirectory, to out: String) throws
        -> Summary
    {
        let entries = try entries(splitDir: splitDir, work: work, classes: Set(recipe.classes.map(\.name)))
        let figures = try figures(work)
        var metas: [SplitName: [ItemMetadata]] = [:]
        var missing: [String] = []
        var bytes = 0, files = 0
        for e in entries {
            let src = work.blobs.path(for: e.item.sha256)
            guard FileSystem.exists(src) else { missing.append(e.item.id); continue }
            let rel = "\(e.item.class)/\(fileName(for: e.item.id, format: e.format))"
            let data = try FileSystem.read(src)
            try AtomicFile.write(data, to: "\(out)/\(folderName(e.split))/\(rel)")
            bytes += data.count; files += 1
            var m = ItemMetadata(e, figure: figures[e.item.id])
            m.file_name = rel
            metas[e.split, default: []].append(m)
        }
        for (s, m) in metas {
            try JSONL.write(m, to: "\(out)/\(folderName(s))/metadata.jsonl", sortedBy: { ItemID.sortKey($0.id) })
        }
        let counts = metas.mapValues { items in Dictionary(grouping: items, by: \.label).mapValues(\.count) }
        try AtomicFile.write(
            DatasetCard.markdown(recipe: recipe, name: (splitDir as NSString).lastPathComponent, counts: counts),
            to: out + "/README.md")
        try AtomicFile.write(
            try Croissant.imageFolder(name: (splitDir as NSString).lastPathComponent, recipe: recipe),
            to: out + "/croissant.json")
        if !missing.isEmpty {
            Log.warning(
                "image folder \(out): \(missing.count) images missing from the blob store (first: \(missing[0]))")
        }
        return Summary(files: files, bytes: bytes, missingImages: missing)
    }

    /// Writes WebDataset tar shards: `out/<split>/NNNNN.tar`, at most `shardSize` samples each, in item-id order.
    /// A sample is `<key>.<jpg|png>` (the image bytes), `<key>.txt` (the caption) and `<key>.json` (its metadata),
    /// as img2dataset writes them; the key is the shard number (5 digits) then the sample's place in the shard,
    /// so it holds no dot. The tar is written here with fixed metadata (``Tar``): the same split and images give
    /// byte-identical shards.
    public static func webDataset(
        splitDir: String, work: WorkDirectory, to out: String, shardSize: Int,
        classes: Set<String>? = nil
    ) throws -> Summary {
        guard shardSize > 0 else { throw PairDxError.usage("--shard-size must be at least 1 (got \(shardSize))") }
        let figures = try figures(work)
        let indexDigits = max(4, String(shardSize - 1).count)
        var missing: [String] = []
        var bytes = 0, files = 0
        let all = try entries(splitDir: splitDir, work: work, classes: classes)
        for s in SplitName.allCases {
            var present: [Entry] = []
            for e in all where e.split == s {
                if FileSystem.exists(work.blobs.path(for: e.item.sha256)) {
                    present.append(e)
                } else {
                    missing.append(e.item.id)
                }
            }
            present.sort { ItemID.sortKey($0.item.id) < ItemID.sortKey($1.item.id) }
            for (shard, start) in stride(from: 0, to: present.count, by: shardSize).enumerated() {
                var tarEntries: [Tar.Entry] = []
                for (i, e) in present[start..<min(start + shardSize, present.count)].enumerated() {
                    let index = String(i)
                    let key =
                        String(format: "%05d", shard) + String(repeating: "0", count: indexDigits - index.count) + index
                    var m = ItemMetadata(e, figure: figures[e.item.id])
                    m.key = key; m.split = folderName(s)
                    let ext = e.format == "jpeg" ? "jpg" : e.format ?? "bin"
                    tarEntries.append(
                        Tar.Entry(name: "\(key).\(ext)", data: try FileSystem.read(work.blobs.path(for: e.item.sha256)))
                    )
                    tarEntries.append(Tar.Entry(name: "\(key).txt", data: Data(m.caption.utf8)))
                    tarEntries.append(Tar.Entry(name: "\(key).json", data: try CanonicalJSON.encode(m)))
                }
                let tar = try Tar.archive(tarEntries)
                try AtomicFile.write(tar, to: "\(out)/\(folderName(s))/\(String(format: "%05d", shard)).tar")
                bytes += tar.count; files += 1
            }
        }
        if !missing.isEmpty {
            Log.warning("webdataset \(out): \(missing.count) images missing from the blob store (first: \(missing[0]))")
        }
        return Summary(files: files, bytes: bytes, missingImages: missing)
    }
}
