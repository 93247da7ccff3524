import ArgumentParser
import Foundation
import Ingest
import PairDxCore

struct ParseJATSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse-jats",
        abstract: "Print the figures (id, label, caption, graphics) of JATS article files.",
        discussion: """
            Reads each FILE with libxml2 in safe mode (no network, no DTD, no external entities, entity expansion bounded) and prints its article ids and every figure: id, label, caption (title and paragraphs, nested markup text kept) and graphic hrefs. Graphics inside tables and formulas are not figures. A file that fails to parse is reported on stderr and the others still print; the exit code is then 65. With --json: one object per file per line,
              {"file","pmcid","pmid","doi","license","figures":[{"id","label","caption","graphics","context"}]}.
            """
    )
    @OptionGroup var global: GlobalOptions

    @Argument(help: "JATS/NXML files.")
    var files: [String]

    @OptionGroup var output: JSONOutput

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
        let files = self.files
        let total = files.count * repeatCount
        let workers = max(1, min(global.threadCount, total))
        // Round 0's results (by file index) are printed; later rounds only count, for benchmarking.
        let results = ResultBox(count: files.count)
        let start = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            var k = w
            while k < total {
                let i = k % files.count
                let r: Result<JATSArticle, PairDxError>
                do throws(PairDxError) { r = .success(try JATSParser.parse(file: files[i])) } catch {
                    r = .failure(error)
                }
                results.add(r, at: i, first: k < files.count)
                k += workers
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        var out = ""
        var failures = 0, unreadable = 0
        for (i, r) in results.first.enumerated() {
            switch r {
            case .success(let a)?: out += try render(file: files[i], a)
            case .failure(let e)?: Log.error("\(e)"); failures += 1; if e.kind == .io { unreadable += 1 }
            case nil: break
            }
        }
        FileHandle.standardOutput.write(Data(out.utf8))
        if repeatCount > 1 {
            Log.write(
                String(
                    format: "pairdx parse-jats: %.1f articles/s, %.0f figures/s (%d files x %d, %d threads)",
                    Double(results.parsed) / seconds, Double(results.figures) / seconds, files.count, repeatCount,
                    workers))
        }
        if failures > 0 {
            // Malformed XML is bad input (65); when every failure is a file that could not be read, an I/O error (74).
            let message = "\(failures) of \(files.count) files could not be parsed (see above)"
            throw unreadable == failures ? PairDxError.io(message) : PairDxError.badInput(message)
        }
    }

    /// Results shared by the parsing threads.
    final class ResultBox: @unchecked Sendable {
        private let lock = NSLock()
        var first: [Result<JATSArticle, PairDxError>?]
        var parsed = 0, figures = 0
        init(count: Int) { first = Array(repeating: nil, count: count) }
        func add(_ r: Result<JATSArticle, PairDxError>, at i: Int, first isFirst: Bool) {
            lock.lock(); defer { lock.unlock() }
            if isFirst { first[i] = r }
            if case .success(let a) = r { parsed += 1; figures += a.figures.count }
        }
    }

    func render(file: String, _ a: JATSArticle) throws -> String {
        if json {
            let line = Line(
                file: file, pmcid: a.pmcid, pmid: a.pmid, doi: a.doi, license: a.license, figures: a.figures)
            return try CanonicalJSON.string(line) + "\n"
        }
        var s =
            "\(file): \(a.pmcid ?? "no pmcid") pmid \(a.pmid ?? "-") doi \(a.doi ?? "-"), \(a.figures.count) figures\n"
        for f in a.figures {
            s += "  \(f.id) [\(f.context)] \(f.label ?? "(no label)") graphics: \(f.graphics.joined(separator: ", "))\n"
            s += "    \(f.caption)\n"
        }
        return s
    }
}

extension ParseJATSCommand: ReportsJSON {}
