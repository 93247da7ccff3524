import ArgumentParser
import Foundation
import Ingest
import PairDxCore

struct ParseJATSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse-jats",
        abstract: "Print the figures (id, label, caption, graphics) of JATS article files.",
        discussion: """
        Reads each FILE with libxml2 in safe mode (no network, no DTD, no external entities, entity
        expansion bounded) and prints its article ids and every figure: id, label, caption (title and
        paragraphs, nested markup text kept) and graphic hrefs. Graphics inside tables and formulas are
        not figures. A file that fails to parse is reported on stderr and the others still print;
        the exit code is then 65.
        With --json: one object per file per line,
          {"file","pmcid","pmid","doi","license","figures":[{"id","label","caption","graphics","context"}]}.
        """
    )
    @OptionGroup var global: GlobalOptions

    @Argument(help: "JATS/NXML files.")
    var files: [String]

    @Flag(help: "One JSON object per file per line on stdout.")
    var json = false

    @Option(help: "Parse every file this many times and print articles/s on stderr (benchmarking).")
    var repeatCount: Int = 1

    struct Line: Encodable {
        var file: String
        var pmcid: String?
        var pmid: String?
        var doi: String?
        var license: String?
        var figures: [JATSFigure]
    }

    func run() async throws {
        global.apply()
        guard repeatCount >= 1 else { throw PairDxError.usage("--repeat-count must be at least 1") }
        var failures = 0
        var out = ""
        let start = DispatchTime.now().uptimeNanoseconds
        var parsed = 0, figures = 0
        for round in 0..<repeatCount {
            for file in files {
                do {
                    let a = try JATSParser.parse(file: file)
                    parsed += 1; figures += a.figures.count
                    if round == 0 { out += try render(file: file, a) }
                } catch {
                    if round == 0 { Log.error("\(error)"); failures += 1 }
                }
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        FileHandle.standardOutput.write(Data(out.utf8))
        if repeatCount > 1 {
            Log.write(String(format: "pairdx parse-jats: %.1f articles/s, %.0f figures/s (%d files x %d)",
                             Double(parsed) / seconds, Double(figures) / seconds, files.count, repeatCount))
        }
        if failures > 0 {
            throw PairDxError.badInput("\(failures) of \(files.count) files could not be parsed (see above)")
        }
    }

    func render(file: String, _ a: JATSArticle) throws -> String {
        if json {
            let line = Line(file: file, pmcid: a.pmcid, pmid: a.pmid, doi: a.doi, license: a.license, figures: a.figures)
            return try CanonicalJSON.string(line) + "\n"
        }
        var s = "\(file): \(a.pmcid ?? "no pmcid") pmid \(a.pmid ?? "-") doi \(a.doi ?? "-"), \(a.figures.count) figures\n"
        for f in a.figures {
            s += "  \(f.id) [\(f.context)] \(f.label ?? "(no label)") graphics: \(f.graphics.joined(separator: ", "))\n"
            s += "    \(f.caption)\n"
        }
        return s
    }
}
