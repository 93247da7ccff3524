import ArgumentParser
import Foundation
import PairDxCore
import Synth

/// `pairdx synth`: writes the embedded demo corpus, a mirror in the PMC Cloud layout, plus its truth file.
struct SynthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract:
            "Generate the embedded demo corpus: a PMC Cloud-layout mirror with six-class figures, captions and planted hazards.",
        discussion: """
            Writes <out>/PMC<n>.<v>/PMC<n>.<v>.json (metadata), PMC<n>.<v>.xml (JATS) and the media files: the layout `pairdx fetch` reads from the real bucket, so the whole pipeline runs offline. Images are drawn procedurally (CT, MRI, x-ray, ultrasound, histopathology, endoscopy); captions name one class, none, two, a misleading one, or are excluded; duplicates and broken records are planted on purpose.

            The ground truth goes to a sidecar file the pipeline never reads (default <out>.truth.json). The same seed gives a byte-identical mirror whatever --threads is; another seed gives another corpus. The default 600 figures take seconds; --figures 22665 makes a paper-sized corpus.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "Corpus seed (any unsigned 64-bit integer).")
    var seed: UInt64 = 1

    @Option(help: "Mirror directory to create (must be empty or absent unless --force).")
    var out: String = "demo-mirror"

    @Option(help: "Figure items to generate (at least 30).")
    var figures: Int = 600

    @Option(help: "Truth file path (default: <out>.truth.json beside the mirror).")
    var truth: String?

    @Option(
        help:
            "Figure mix: demo (every figure one of the six classes; the committed demo split's corpus) or pmc (PubMed Central-like: most figures are charts, diagrams, blots, photographs and microscopy, the six classes 22%, endoscopy 1%; the truth file records each figure's kind)."
    )
    var profile: SynthProfile = .demo

    @Flag(help: "Replace PMC* folders already present in --out.")
    var force = false

    @OptionGroup var output: JSONOutput

    func run() async throws {
        global.apply()
        let options = SynthOptions(
            seed: seed, out: out, figures: figures, truth: truth, threads: global.threadCount, force: force,
            profile: profile)
        let s = try SynthGenerator.run(options)
        if json {
            FileHandle.standardOutput.write(try CanonicalJSON.encode(s, pretty: true))
        } else {
            print(
                String(
                    format: "synth: %d articles (%d version folders), %d figures, %d media files, %.1f MB in %.1f s",
                    s.articles, s.versions, s.figures, s.mediaFiles, Double(s.bytes) / 1e6, s.seconds))
            print("mirror: \(s.out)")
            print("truth:  \(s.truth)")
        }
    }
}

extension SynthCommand: ReportsJSON {}
extension SynthProfile: ExpressibleByArgument {}
