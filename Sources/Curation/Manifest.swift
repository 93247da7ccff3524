import Foundation
import PairDxCore

/// `Manifests/<name>/`: the recipe, what became of every candidate (`sources.csv`), every split item with its
/// caption and provenance (`items.csv`), a Croissant 1.0 description (`croissant.json`), the suspect labels left out
/// before balancing when there were any (`excluded.csv`) and `SHA256SUMS`. All canonical: the same inputs give the same bytes.
public enum Manifest {
    public static let itemsHeader = [
        "id", "split", "class", "article", "figure", "label", "license", "sha256", "phash", "media", "caption"
    ]
    public static let sourcesHeader = ["pmcid", "version", "status", "license", "figures", "kept"]

    public struct Inputs {
        public var name: String
        public var recipe: Recipe
        public var assignment: Splitter.Assignment
        public var candidates: [Candidate]
        public var articles: [ArticleRecord]
        public var figures: [String: FigureRecord]
        /// Items `balance --exclude-suspects` left out; written as `excluded.csv` only when non-empty.
        public var excluded: [ExcludedItem] = []
        public init(
            name: String, recipe: Recipe, assignment: Splitter.Assignment, candidates: [Candidate],
            articles: [ArticleRecord], figures: [String: FigureRecord]
        ) {
            self.name = name; self.recipe = recipe; self.assignment = assignment; self.candidates = candidates
            self.articles = articles; self.figures = figures
        }
    }

    /// Writes the manifest directory; `splitDir` is the split directory (its CSVs are listed in croissant.json
    /// with their sha256, by a path relative to the manifest directory).
    public static func write(_ input: Inputs, to dir: String, splitFilesRelative: String) throws {
        // First: the split files are found through `dir` + a relative path, which resolves only once `dir` exists.
        try FileSystem.makeDirectory(dir)
        var files: [String: Data] = [:]
        files["recipe.json"] = try CanonicalJSON.encode(input.recipe, pretty: true)
        files["sources.csv"] = Data(sourcesCSV(input).utf8)
        files["items.csv"] = Data(itemsCSV(input).utf8)
        if !input.excluded.isEmpty {
            files[ExcludedItem.manifestFile] = Data(
                (CSV.line(ExcludedItem.csvHeader)
                    + input.excluded.sorted { $0.sortKey < $1.sortKey }
                    .map { CSV.line([$0.id, $0.class, $0.predicted, $0.suspectsSHA256]) }.joined()).utf8)
        } else if FileSystem.exists(dir + "/" + ExcludedItem.manifestFile) {
            try FileManager.default.removeItem(atPath: dir + "/" + ExcludedItem.manifestFile)
        }
        var splitDigests: [String: String] = [:]
        for s in SplitName.allCases {
            let p = (dir as NSString).appendingPathComponent("\(splitFilesRelative)/\(s.rawValue).csv")
            splitDigests[s.rawValue] = FileSystem.exists(p) ? try SHA256.hex(fileAt: p) : nil
        }
        let sums = (dir as NSString).appendingPathComponent("\(splitFilesRelative)/\(SplitFiles.sumsFile)")
        if FileSystem.exists(sums) {
            files[splitDigestFile] = Data(
                "\(SplitFiles.digest(ofSums: try FileSystem.read(sums)))  \(splitFilesRelative)/\(SplitFiles.sumsFile)\n"
                    .utf8)
        }
        files["croissant.json"] = try Croissant.document(
            name: input.name, recipe: input.recipe, notice: shortNotice(input),
            itemsSHA256: SHA256.hex(files["items.csv"]!),
            splitFiles: splitFilesRelative, splitDigests: splitDigests)
        for (f, d) in files { try AtomicFile.write(d, to: dir + "/" + f) }
        try AtomicFile.write(SplitFiles.sha256sums(files), to: dir + "/SHA256SUMS")
    }

    /// `split.sha256`: the split digest (sha256 of the split directory's `SHA256SUMS`) in `sha256sum -c` form, by a
    /// path relative to the manifest directory, so `(cd Manifests/<name> && sha256sum -c split.sha256)` checks it too.
    public static let splitDigestFile = "split.sha256"

    /// The split digest recorded in `dir` (a manifest directory, or its `split.sha256` itself).
    /// - Throws: `PairDxError.io` when the file is missing, `.badInput` when it is not one `<64 hex>  <path>` line.
    public static func recordedSplitDigest(_ dir: String) throws -> String {
        let path = dir.hasSuffix(".sha256") ? dir : (dir as NSString).appendingPathComponent(splitDigestFile)
        guard FileSystem.exists(path) else {
            throw PairDxError.io("\(path): no recorded split digest; run 'pairdx manifest' (or rebuild) to write it")
        }
        let text = try FileSystem.readString(path)
        let fields = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard fields.count == 2, fields[1].isEmpty, let line = fields.first, line.count > 66,
            SplitFiles.isHex(line.prefix(64), digits: 64), line.dropFirst(64).hasPrefix("  "),
            line.hasSuffix("/\(SplitFiles.sumsFile)")
        else {
            throw PairDxError.badInput(
                "\(path): expected one line '<64 lowercase hex digits>  <split dir>/\(SplitFiles.sumsFile)'")
        }
        return String(line.prefix(64))
    }

    /// The words a set balanced down below the recipe's target carries (see `Recipe.shortNotice`); nil otherwise.
    static func shortNotice(_ input: Inputs) -> String? {
        var per: [String: Int] = [:]
        for (_, items) in input.assignment.items { for it in items { per[it.class, default: 0] += 1 } }
        let counts = input.recipe.classes.map { per[$0.name] ?? 0 }
        return input.recipe.shortNotice(perClass: counts.min() ?? 0)
    }

    static func sourcesCSV(_ input: Inputs) -> String {
        var kept: [String: Int] = [:]
        for (_, items) in input.assignment.items { for it in items { kept[it.article, default: 0] += 1 } }
        let byID = Dictionary(input.articles.map { ($0.pmcid, $0) }, uniquingKeysWith: { a, _ in a })
        var s = CSV.line(sourcesHeader)
        var ids = Set(input.candidates.map(\.pmcid))
        ids.formUnion(byID.keys)
        for id in ids.sorted(by: { PMCID.sortKey($0) < PMCID.sortKey($1) }) {
            let a = byID[id]
            s += CSV.line([
                id, a?.version.map(String.init) ?? "", (a?.status ?? FetchStatus(.notFetched)).rawValue,
                a?.license ?? "",
                String(a?.figures ?? 0), String(kept[id] ?? 0)
            ])
        }
        return s
    }

    static func itemsCSV(_ input: Inputs) -> String {
        var rows: [(String, [String])] = []
        for s in SplitName.allCases {
            for it in input.assignment.items[s] ?? [] {
                let f = input.figures[it.id]
                rows.append(
                    (
                        ItemID.sortKey(it.id),
                        [
                            it.id, s.rawValue, it.class, it.article, it.figure, f?.label ?? "",
                            f?.license ?? "", it.sha256, it.phash, f?.media ?? "", f?.caption ?? ""
                        ]
                    ))
            }
        }
        rows.sort { $0.0 < $1.0 }
        return CSV.line(itemsHeader) + rows.map { CSV.line($0.1) }.joined()
    }
}

/// MLCommons Croissant 1.0 JSON-LD: for a split's manifest (file objects with sha256 and one record set whose
/// fields include the split) and for an image-folder export (file sets of the images and their metadata).
enum Croissant {
    static func document(
        name: String, recipe: Recipe, notice: String? = nil, itemsSHA256: String, splitFiles: String,
        splitDigests: [String: String]
    ) throws -> Data {
        var distribution: [[String: Any]] = [
            [
                "@type": "cr:FileObject", "@id": "items.csv", "name": "items.csv", "contentUrl": "items.csv",
                "encodingFormat": "text/csv", "sha256": itemsSHA256
            ]
        ]
        for s in SplitName.allCases {
            guard let d = splitDigests[s.rawValue] else { continue }
            distribution.append([
                "@type": "cr:FileObject", "@id": "\(s.rawValue).csv", "name": "\(s.rawValue).csv",
                "contentUrl": "\(splitFiles)/\(s.rawValue).csv", "encodingFormat": "text/csv", "sha256": d
            ])
        }
        let fields: [[String: Any]] = Manifest.itemsHeader.map { c in
            [
                "@type": "cr:Field", "@id": "items/\(c)", "name": c, "dataType": "sc:Text",
                "source": ["fileObject": ["@id": "items.csv"], "extract": ["column": c]]
            ]
        }
        var doc = header(name: name, recipe: recipe, notice: notice)
        doc["distribution"] = distribution
        doc["recordSet"] = [
            [
                "@type": "cr:RecordSet", "@id": "items", "name": "items",
                "description": "One row per split item: split, class, provenance and caption.", "field": fields
            ]
        ]
        return try encode(doc)
    }

    /// The Croissant file of an image-folder export (``Export/imageFolder(splitDir:recipe:work:to:)``), at its root:
    /// a FileSet of the images and one of the per-split `metadata.jsonl` files, both relative to the export, and
    /// the record set `images` that joins them on the file's path below its split folder, so each record holds
    /// the image, its split, id, class (`label`), caption and provenance.
    static func imageFolder(name: String, recipe: Recipe) throws -> Data {
        let imageFiles = "image-files", metadataFiles = "metadata-files"
        func field(_ name: String, _ type: String, _ source: [String: Any], description: String? = nil) -> [String: Any]
        {
            var f: [String: Any] = [
                "@type": "cr:Field", "@id": "images/\(name)", "name": name, "dataType": type, "source": source
            ]
            if let description { f["description"] = description }
            return f
        }
        func metadata(_ column: String) -> [String: Any] {
            ["fileSet": ["@id": metadataFiles], "extract": ["column": column]]
        }
        // The file's path below its split folder (`<class>/<file>`). The pattern also accepts that path itself:
        // the loader applies it to the join key and again when it reads the field.
        let classAndFile = "^(?:[^/]+/)?([^/]+/[^/]+)$"
        var joinKey = field(
            "file_name", "sc:Text",
            [
                "fileSet": ["@id": imageFiles], "extract": ["fileProperty": "fullpath"],
                "transform": ["regex": classAndFile]
            ],
            description: "The image's path below its split folder, as in metadata.jsonl.")
        joinKey["references"] = metadata("file_name")
        var fields: [[String: Any]] = [
            field("image", "sc:ImageObject", ["fileSet": ["@id": imageFiles], "extract": ["fileProperty": "content"]]),
            field(
                "split", "sc:Text",
                [
                    "fileSet": ["@id": imageFiles], "extract": ["fileProperty": "filepath"],
                    "transform": ["regex": "^.*/([^/]+)/[^/]+/[^/]+$"]
                ],
                description: "train, validation or test: the image's top folder."),
            joinKey
        ]
        let columns: [(String, String)] = [
            ("id", "The item id: PMCID / figure id."), ("label", "The class (one of the recipe's classes)."),
            ("figure_label", "The figure's label in the article's JATS, e.g. 'Figure 2'."),
            ("article", "The article's PMCID."),
            ("caption", "The figure caption."), ("license", "The article's licence."),
            ("sha256", "sha256 of the image file.")
        ]
        for (c, d) in columns { fields.append(field(c, "sc:Text", metadata(c), description: d)) }
        var doc = header(name: name, recipe: recipe)
        doc["distribution"] =
            [
                [
                    "@type": "cr:FileSet", "@id": imageFiles, "name": imageFiles,
                    "description": "The images: <split>/<class>/<file>.",
                    "encodingFormat": ["image/jpeg", "image/png"], "includes": ["*.jpg", "*.png"]
                ],
                [
                    "@type": "cr:FileSet", "@id": metadataFiles, "name": metadataFiles,
                    "description": "One metadata.jsonl per split folder.",
                    "encodingFormat": "application/jsonlines", "includes": "*/metadata.jsonl"
                ]
            ] as [[String: Any]]
        doc["recordSet"] = [
            [
                "@type": "cr:RecordSet", "@id": "images", "name": "images",
                "description":
                    "One record per exported image: the image with its split, class, caption and provenance.",
                "field": fields
            ]
        ]
        return try encode(doc)
    }

    /// The dataset-level fields; `notice` (a shortfall, see `Recipe.shortNotice`) is appended to the description.
    static func header(name: String, recipe: Recipe, notice: String? = nil) -> [String: Any] {
        [
            "@context": context,
            "@type": "sc:Dataset",
            "name": name,
            "description": notice.map { recipe.description + " " + $0 } ?? recipe.description,
            "conformsTo": "http://mlcommons.org/croissant/1.0",
            "citeAs":
                "Enhancing Document Classification Through Multimodal Image-Text Classification. Sensors 2025, 25(24):7596. doi:10.3390/s25247596",
            "license": "https://creativecommons.org/licenses/",
            "url": "https://doi.org/10.3390/s25247596",
            "version": "1.0.0",
            "keywords": ["medical imaging", "figure captions", "multimodal classification"] + recipe.classes.map(\.name)
        ]
    }

    static func encode(_ doc: [String: Any]) throws -> Data {
        var d = try JSONSerialization.data(
            withJSONObject: doc, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        d.append(0x0A)
        return d
    }

    static var context: [String: Any] {
        [
            "@language": "en", "@vocab": "https://schema.org/", "citeAs": "cr:citeAs", "column": "cr:column",
            "conformsTo": "dct:conformsTo", "cr": "http://mlcommons.org/croissant/",
            "data": ["@id": "cr:data", "@type": "@json"], "dataType": ["@id": "cr:dataType", "@type": "@vocab"],
            "dct": "http://purl.org/dc/terms/", "examples": ["@id": "cr:examples", "@type": "@json"],
            "extract": "cr:extract", "field": "cr:field", "fileObject": "cr:fileObject",
            "fileProperty": "cr:fileProperty",
            "fileSet": "cr:fileSet", "format": "cr:format", "includes": "cr:includes",
            "isLiveDataset": "cr:isLiveDataset",
            "jsonPath": "cr:jsonPath", "key": "cr:key", "md5": "cr:md5", "parentField": "cr:parentField",
            "path": "cr:path",
            "rai": "http://mlcommons.org/croissant/RAI/", "recordSet": "cr:recordSet", "references": "cr:references",
            "regex": "cr:regex", "repeated": "cr:repeated", "replace": "cr:replace", "sc": "https://schema.org/",
            "separator": "cr:separator", "source": "cr:source", "subField": "cr:subField", "transform": "cr:transform"
        ]
    }
}
