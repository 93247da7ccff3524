import Foundation
import PairDxCore

/// `Manifests/<name>/`: the recipe, what became of every candidate (`sources.csv`), every split item with its
/// caption and provenance (`items.csv`), a Croissant 1.0 description (`croissant.json`) and `SHA256SUMS`.
/// All canonical: the same inputs give the same bytes.
public enum Manifest {
    public static let itemsHeader = ["id", "split", "class", "article", "figure", "label", "license", "sha256", "phash", "media", "caption"]
    public static let sourcesHeader = ["pmcid", "version", "status", "license", "figures", "kept"]

    public struct Inputs {
        public var name: String
        public var recipe: Recipe
        public var assignment: Splitter.Assignment
        public var candidates: [Candidate]
        public var articles: [ArticleRecord]
        public var figures: [String: FigureRecord]
        public init(name: String, recipe: Recipe, assignment: Splitter.Assignment, candidates: [Candidate],
                    articles: [ArticleRecord], figures: [String: FigureRecord]) {
            self.name = name; self.recipe = recipe; self.assignment = assignment; self.candidates = candidates
            self.articles = articles; self.figures = figures
        }
    }

    /// Writes the manifest directory; `splitDir` is the split directory (its CSVs are listed in croissant.json
    /// with their sha256, by a path relative to the manifest directory).
    public static func write(_ input: Inputs, to dir: String, splitFilesRelative: String) throws {
        var files: [String: Data] = [:]
        files["recipe.json"] = try CanonicalJSON.encode(input.recipe, pretty: true)
        files["sources.csv"] = Data(sourcesCSV(input).utf8)
        files["items.csv"] = Data(itemsCSV(input).utf8)
        var splitDigests: [String: String] = [:]
        for s in SplitName.allCases {
            let p = (dir as NSString).appendingPathComponent("\(splitFilesRelative)/\(s.rawValue).csv")
            splitDigests[s.rawValue] = FileSystem.exists(p) ? try SHA256.hex(fileAt: p) : nil
        }
        files["croissant.json"] = try Croissant.document(name: input.name, recipe: input.recipe, notice: shortNotice(input),
                                                         itemsSHA256: SHA256.hex(files["items.csv"]!),
                                                         splitFiles: splitFilesRelative, splitDigests: splitDigests)
        try FileSystem.makeDirectory(dir)
        for (f, d) in files { try AtomicFile.write(d, to: dir + "/" + f) }
        try AtomicFile.write(SplitFiles.sha256sums(files), to: dir + "/SHA256SUMS")
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
            s += CSV.line([id, a?.version.map(String.init) ?? "", a?.status ?? "not-fetched", a?.license ?? "",
                           String(a?.figures ?? 0), String(kept[id] ?? 0)])
        }
        return s
    }

    static func itemsCSV(_ input: Inputs) -> String {
        var rows: [(String, [String])] = []
        for s in SplitName.allCases {
            for it in input.assignment.items[s] ?? [] {
                let f = input.figures[it.id]
                rows.append((ItemID.sortKey(it.id), [it.id, s.rawValue, it.class, it.article, it.figure, f?.label ?? "",
                                                     f?.license ?? "", it.sha256, it.phash, f?.media ?? "", f?.caption ?? ""]))
            }
        }
        rows.sort { $0.0 < $1.0 }
        return CSV.line(itemsHeader) + rows.map { CSV.line($0.1) }.joined()
    }
}

/// MLCommons Croissant 1.0 JSON-LD for a split: file objects with sha256 and one record set whose fields
/// include the split.
enum Croissant {
    static func document(name: String, recipe: Recipe, notice: String? = nil, itemsSHA256: String, splitFiles: String,
                         splitDigests: [String: String]) throws -> Data {
        var distribution: [[String: Any]] = [[
            "@type": "cr:FileObject", "@id": "items.csv", "name": "items.csv", "contentUrl": "items.csv",
            "encodingFormat": "text/csv", "sha256": itemsSHA256,
        ]]
        for s in SplitName.allCases {
            guard let d = splitDigests[s.rawValue] else { continue }
            distribution.append([
                "@type": "cr:FileObject", "@id": "\(s.rawValue).csv", "name": "\(s.rawValue).csv",
                "contentUrl": "\(splitFiles)/\(s.rawValue).csv", "encodingFormat": "text/csv", "sha256": d,
            ])
        }
        let fields: [[String: Any]] = Manifest.itemsHeader.map { c in
            [
                "@type": "cr:Field", "@id": "items/\(c)", "name": c, "dataType": "sc:Text",
                "source": ["fileObject": ["@id": "items.csv"], "extract": ["column": c]],
            ]
        }
        let doc: [String: Any] = [
            "@context": context,
            "@type": "sc:Dataset",
            "name": name,
            "description": notice.map { recipe.description + " " + $0 } ?? recipe.description,
            "conformsTo": "http://mlcommons.org/croissant/1.0",
            "citeAs": "Enhancing Document Classification Through Multimodal Image-Text Classification. Sensors 2025, 25(24):7596. doi:10.3390/s25247596",
            "license": "https://creativecommons.org/licenses/",
            "url": "https://doi.org/10.3390/s25247596",
            "version": "1.0.0",
            "keywords": ["medical imaging", "figure captions", "multimodal classification"] + recipe.classes.map(\.name),
            "distribution": distribution,
            "recordSet": [["@type": "cr:RecordSet", "@id": "items", "name": "items",
                           "description": "One row per split item: split, class, provenance and caption.", "field": fields]],
        ]
        var d = try JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        d.append(0x0A)
        return d
    }

    static var context: [String: Any] { [
        "@language": "en", "@vocab": "https://schema.org/", "citeAs": "cr:citeAs", "column": "cr:column",
        "conformsTo": "dct:conformsTo", "cr": "http://mlcommons.org/croissant/",
        "data": ["@id": "cr:data", "@type": "@json"], "dataType": ["@id": "cr:dataType", "@type": "@vocab"],
        "dct": "http://purl.org/dc/terms/", "examples": ["@id": "cr:examples", "@type": "@json"],
        "extract": "cr:extract", "field": "cr:field", "fileObject": "cr:fileObject", "fileProperty": "cr:fileProperty",
        "fileSet": "cr:fileSet", "format": "cr:format", "includes": "cr:includes", "isLiveDataset": "cr:isLiveDataset",
        "jsonPath": "cr:jsonPath", "key": "cr:key", "md5": "cr:md5", "parentField": "cr:parentField", "path": "cr:path",
        "rai": "http://mlcommons.org/croissant/RAI/", "recordSet": "cr:recordSet", "references": "cr:references",
        "regex": "cr:regex", "repeated": "cr:repeated", "replace": "cr:replace", "sc": "https://schema.org/",
        "separator": "cr:separator", "source": "cr:source", "subField": "cr:subField", "transform": "cr:transform",
    ] }
}
