import ArgumentParser
import Foundation
import Imaging
import PairDxCore

struct PhashCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "phash",
        abstract: "Print perceptual hashes (pHash, dHash, aHash) of image files or folders.",
        discussion: """
            Prints one line per image, sorted by path: path<TAB>phash<TAB>dhash<TAB>ahash, each hash 16 hex
            digits. A folder is searched recursively for .png, .jpg and .jpeg files and its paths are printed
            relative to it; a file is printed as given. PNG and JPEG are decoded; anything else, and any
            damaged, truncated or oversized image, is reported on stderr with the reason while the others go
            on; the exit code is then 65.
            Hashes follow the written spec pairdx-phash-v1 (docs/pairdx-phash-v1.md); with --compat imagehash
            they follow imagehash 4.3.2 on Pillow (full-size decode), so they can be compared with hashes
            made by that library. Throughput goes to stderr.
            """
    )
    @OptionGroup var global: GlobalOptions

    @Argument(help: "Image files and folders.")
    var paths: [String]

    @Option(help: "Hash rules: 'imagehash' (imagehash 4.3.2 compatible) instead of pairdx-phash-v1.")
    var compat: String?

    @OptionGroup var decoding: DecodeOptions

    @OptionGroup var output: JSONOutput

    func validate() throws {
        if let compat, compat != "imagehash" { throw ValidationError("--compat takes 'imagehash' (got '\(compat)')") }
    }

    struct Line: Encodable {
        var path: String
        var phash: String?
        var dhash: String?
        var ahash: String?
        var width: Int?
        var height: Int?
        var format: String?
        var error: String?
    }

    func run() async throws {
        global.apply()
        var entries = [(shown: String, file: String)]()
        for p in paths {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: p, isDirectory: &isDir) else {
                throw PairDxError.io("\(p): no such file or folder")
            }
            if isDir.boolValue {
                for f in FileSystem.listFiles(under: p, followingFileLinks: true) {
                    let ext = (f as NSString).pathExtension.lowercased()
                    guard ["png", "jpg", "jpeg"].contains(ext) else { continue }
                    entries.append((f, (p as NSString).appendingPathComponent(f)))
                }
            } else {
                entries.append((p, p))
            }
        }
        entries.sort { $0.shown.utf8.lexicographicallyPrecedes($1.shown.utf8) }
        let mode: HashMode = compat == "imagehash" ? .imagehash : .v1
        let threads = global.threadCount
        let budget = decoding.budget()
        let files = entries.map(\.file)
        let start = DispatchTime.now().uptimeNanoseconds
        let results = Parallel.map(count: files.count, threads: threads, batch: 2) {
            i -> Result<HashedImage, ImagingError> in
            guard let data = FileManager.default.contents(atPath: files[i]) else {
                return .failure(ImagingError(.unreadable, "cannot read the file"))
            }
            do throws(ImagingError) {
                return .success(try ImageHasher.hash(data, mode: mode, budget: budget))
            } catch { return .failure(error) }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        var out = ""
        var failures = 0
        for (entry, result) in zip(entries, results) {
            switch result {
            case .success(let h):
                if json {
                    out +=
                        try CanonicalJSON.string(
                            Line(
                                path: entry.shown, phash: h.hashes.phashHex, dhash: h.hashes.dhashHex,
                                ahash: h.hashes.ahashHex, width: h.width, height: h.height,
                                format: h.format.rawValue)) + "\n"
                } else {
                    out += "\(entry.shown)\t\(h.hashes.phashHex)\t\(h.hashes.dhashHex)\t\(h.hashes.ahashHex)\n"
                }
            case .failure(let e):
                failures += 1
                Log.error("\(entry.shown): \(e.reason)")
                if json { out += try CanonicalJSON.string(Line(path: entry.shown, error: e.reason)) + "\n" }
            }
        }
        FileHandle.standardOutput.write(Data(out.utf8))
        Log.write(
            String(
                format: "pairdx phash (%@): %d images in %.2f s = %.1f images/s (%d threads)", mode.rawValue,
                files.count, seconds, Double(files.count) / max(seconds, 1e-9), threads))
        if failures > 0 {
            throw PairDxError.badInput("\(failures) of \(files.count) images could not be hashed (reasons above)")
        }
    }
}

extension PhashCommand: ReportsJSON {}
