import Foundation
#if canImport(FoundationXML)
    import FoundationXML
#endif
import PairDxCore
import PairDxTestSupport
@testable import Synth

/// Small corpora generated once per test process and shared by the tests (each ~60 figures), removed at exit.
struct GeneratedCorpus: Sendable {
    let dir: String
    let truthPath: String
    let truth: SynthTruth
    let summary: SynthSummary
    /// sha256 of every file under `dir`, by relative path.
    let checksums: [String: String]

    /// The newest version folder of an article.
    func folder(_ pmcid: String) -> String {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        let versions = names.filter { $0.hasPrefix(pmcid + ".") }.compactMap { Int($0.dropFirst(pmcid.count + 1)) }
        return "\(dir)/\(pmcid).\(versions.max() ?? 1)"
    }

    func folders() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
    }

    static func make(seed: UInt64, figures: Int = 60, threads: Int) throws -> GeneratedCorpus {
        let dir = try Scratch.shared("synth-seed\(seed)-t\(threads)-n\(figures)") + "/corpus"
        let summary = try SynthGenerator.run(SynthOptions(seed: seed, out: dir, figures: figures, threads: threads))
        let truthData = try FileSystem.read(summary.truth)
        let truth = try JSONDecoder().decode(SynthTruth.self, from: truthData)
        var sums: [String: String] = [:]
        for rel in FileSystem.listFiles(under: dir) { sums[rel] = try SHA256.hex(fileAt: dir + "/" + rel) }
        sums["<truth>"] = SHA256.hex(truthData)
        return GeneratedCorpus(dir: dir, truthPath: summary.truth, truth: truth, summary: summary, checksums: sums)
    }
}

enum Corpora {
    static let seed11 = Result { try GeneratedCorpus.make(seed: 11, threads: 2) }
    static let seed11Serial = Result { try GeneratedCorpus.make(seed: 11, threads: 1) }
    static let seed12 = Result { try GeneratedCorpus.make(seed: 12, threads: 2) }
}

/// Captions per figure element id, read from JATS with Foundation's XMLParser.
final class CaptionCollector: NSObject, XMLParserDelegate {
    struct Fig {
        var title = ""; var paragraph = ""; var label: String?; var graphics: [String] = []; var inGroup = false
    }
    private(set) var figs: [String: Fig] = [:]
    private var stack: [String] = []
    private var figIDs: [String] = []
    private var part: String?
    private(set) var tableGraphics: [String] = []
    private(set) var formulaGraphics: [String] = []

    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        let parent = stack.last
        stack.append(name)
        switch name {
        case "fig":
            let id = attributes["id"] ?? "?"
            figIDs.append(id)
            figs[id] = Fig(inGroup: parent == "fig-group")
        case "graphic":
            let href = attributes["xlink:href"] ?? ""
            if stack.contains("table-wrap") {
                tableGraphics.append(href)
            } else if stack.contains("inline-formula") {
                formulaGraphics.append(href)
            } else if let id = figIDs.last, stack.contains("fig") {
                figs[id]?.graphics.append(href)
            }
        case "title", "p", "label":
            if stack.dropLast().last == "caption", stack.dropLast(2).last == "fig" {
                part = name
            } else if name == "label", parent == "fig" {
                part = "label"; figs[figIDs.last!]?.label = ""
            }
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard let part, let id = figIDs.last else { return }
        switch part {
        case "title": figs[id]?.title += string
        case "p": figs[id]?.paragraph += string
        case "label": let old = figs[id]?.label ?? ""; figs[id]?.label = old + string
        default: break
        }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        stack.removeLast()
        if name == "title" || name == "p" || name == "label", part == name { part = nil }
        if name == "fig" { figIDs.removeLast() }
    }

    /// Parses `data`; returns nil and the parser error when it is not well formed.
    static func parse(_ data: Data) -> (CaptionCollector?, Error?) {
        let c = CaptionCollector()
        let p = XMLParser(data: data)
        p.shouldResolveExternalEntities = false
        p.delegate = c
        return p.parse() ? (c, nil) : (nil, p.parserError)
    }
}
