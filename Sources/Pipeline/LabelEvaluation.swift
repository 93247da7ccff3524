import Curation
import Foundation
import Ingest
import PairDxCore

/// `pairdx label-eval`: reads a gold set, finds each item's caption in the data directory (ROCO caption files,
/// JATS articles), and measures the recipe's caption rules against the hand labels (`LabelQuality`).
///
/// An item whose caption cannot be found (missing file, unknown id, unreadable article) is counted in
/// `unresolved` with the reason and left out of the scores; the others are still evaluated.
public enum LabelEvaluation {
    public static func run(gold path: String, data: String, recipe: Recipe) throws -> LabelQuality.Report {
        let items = try LabelQuality.readGold(path, classes: recipe.classes.map(\.name))
        let (resolved, unresolved) = captions(for: items, data: data)
        return LabelQuality.evaluate(
            resolved, recipe: recipe, goldName: (path as NSString).lastPathComponent, unresolved: unresolved)
    }

    /// The caption of every item, read once per source file.
    public static func captions(for items: [GoldItem], data: String) -> ([GoldCaption], [LabelQuality.Unresolved]) {
        var bySource: [String: Result<[String: String], PairDxError>] = [:]
        var out: [GoldCaption] = [], missing: [LabelQuality.Unresolved] = []
        for item in items {
            if bySource[item.source] == nil { bySource[item.source] = load(source: item.source, data: data) }
            switch bySource[item.source]! {
            case .failure(let e): missing.append(.init(id: item.id, source: item.source, reason: e.message))
            case .success(let map):
                if let c = map[item.id] {
                    out.append(GoldCaption(item: item, caption: c))
                } else {
                    missing.append(
                        .init(id: item.id, source: item.source, reason: "no item with this id in the source"))
                }
            }
        }
        return (out, missing)
    }

    /// id → caption for one source: `roco-captions/…` (its captions.txt, `id<TAB>caption`) or `jats/<file>.nxml`
    /// (ids `<file stem>#<fig id>`).
    static func load(source: String, data: String) -> Result<[String: String], PairDxError> {
        let base = (data as NSString).appendingPathComponent(source)
        if source.hasPrefix("roco-captions/") {
            let file = base + "/captions.txt"
            guard let text = try? FileSystem.readString(file) else {
                return .failure(.io("\(file): cannot read the caption file"))
            }
            var map: [String: String] = [:]
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: "\t", maxSplits: 1)
                guard parts.count == 2 else { continue }
                map[parts[0].trimmingCharacters(in: .whitespaces)] = parts[1].trimmingCharacters(in: .whitespaces)
            }
            return .success(map)
        }
        if source.hasPrefix("jats/"), source.hasSuffix(".nxml") || source.hasSuffix(".xml") {
            do {
                let article = try JATSParser.parse(file: base)
                let stem = ((source as NSString).lastPathComponent as NSString).deletingPathExtension
                return .success(
                    Dictionary(
                        article.figures.map { ("\(stem)#\($0.id)", $0.caption) }, uniquingKeysWith: { a, _ in a }))
            } catch { return .failure(error) }
        }
        return .failure(.badInput("source '\(source)' is neither roco-captions/… nor jats/….nxml"))
    }
}
