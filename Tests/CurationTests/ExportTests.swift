import Foundation
import PairDxCore
import PairDxTestSupport
import Testing
@testable import Curation

/// The Python-ecosystem exports, read back by the libraries their users load them with: Hugging Face `datasets`
/// (image folder + dataset card), `mlcroissant` (the export's Croissant file) and `tarfile` (WebDataset shards).
@Suite(.scratch) struct ExportTests {
    static let datasetsPython = Prerequisite.python(["datasets", "PIL"])
    static let croissantPython = Prerequisite.python(["mlcroissant", "PIL"])
    static let anyPython = Prerequisite.python(["json", "tarfile"])

    /// A split of real PNGs and the per split, per class counts its CSVs give.
    struct Built {
        var work: WorkDirectory
        var root: String
        var split: String
        var recipe: Recipe
        var items: [String: (split: SplitName, item: Splitter.Item)]
        var counts: [String: [String: Int]] {  // export folder name → class → count
            var c: [String: [String: Int]] = [:]
            for (_, v) in items { c[Export.folderName(v.split), default: [:]][v.item.class, default: 0] += 1 }
            return c
        }
    }

    func build(articles: Int = 45) throws -> Built {
        let work = try Fixture.makeWork(articles: articles, realImages: true)
        let root = try Scratch.directory("export")
        let r = try Fixture.recipe("pairdx-synth-v1")
        let split = root + "/Splits/\(r.name)"
        _ = try LabelStage.run(work: work, recipe: r)
        try CurationStages.balance(work: work, recipe: r)
        try CurationStages.split(work: work, recipe: r, name: r.name, splitDir: split)
        var items: [String: (SplitName, Splitter.Item)] = [:]
        for s in SplitName.allCases {
            for it in try SplitFiles.readCSV(split + "/\(s.rawValue).csv") { items[it.id] = (s, it) }
        }
        #expect(Set(items.values.map(\.0)).count == 3, "the fixture fills all three splits")
        return Built(work: work, root: root, split: split, recipe: r, items: items)
    }

    func json(_ output: String) throws -> Any {
        let line = output.split(separator: "\n").last.map(String.init) ?? ""
        return try JSONSerialization.jsonObject(with: Data(line.utf8))
    }

    @Test func imageFolderCardDeclaresLabelAsTheRecipeClasses() throws {
        let b = try build(articles: 20)
        let out = b.root + "/hf"
        let s = try Export.imageFolder(splitDir: b.split, recipe: b.recipe, work: b.work, to: out)
        #expect(s.files == b.items.count && s.missingImages.isEmpty)
        #expect(FileSystem.exists(out + "/validation/metadata.jsonl") && !FileSystem.exists(out + "/val"))
        let card = try FileSystem.readString(out + "/README.md")
        #expect(card.hasPrefix("---\n"))
        let names = b.recipe.classes.enumerated().map { "          '\($0.offset)': \"\($0.element.name)\"\n" }.joined()
        #expect(card.contains("class_label:\n        names:\n" + names), "\(card)")
        #expect(card.contains("  - split: validation\n    path: validation/**\n"))
        let line = try FileSystem.readString(out + "/train/metadata.jsonl").split(separator: "\n")[0]
        let meta = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
        let it = b.items[meta["id"] as! String]!.item
        #expect(meta["label"] as? String == it.class)
        #expect(meta["figure_label"] as? String == "Figure \(it.figure.dropFirst())")
        #expect(meta["class"] == nil)
        // Same inputs, same bytes.
        _ = try Export.imageFolder(splitDir: b.split, recipe: b.recipe, work: b.work, to: b.root + "/hf2")
        for f in FileSystem.listFiles(under: out) {
            #expect(try FileSystem.read(out + "/" + f) == FileSystem.read(b.root + "/hf2/" + f), "\(f)")
        }
    }

    @Test(datasetsPython.trait)
    func imageFolderLoadsInHuggingFaceDatasetsOffline() throws {
        let b = try build()
        let out = b.root + "/hf"
        _ = try Export.imageFolder(splitDir: b.split, recipe: b.recipe, work: b.work, to: out)
        let script = """
            import collections, json, os, sys
            os.environ["HF_DATASETS_OFFLINE"] = "1"
            os.environ["HF_HOME"] = sys.argv[2]
            import datasets
            datasets.disable_progress_bars()
            d = datasets.load_dataset(sys.argv[1], cache_dir=sys.argv[2] + "/cache")
            out = {"names": d["train"].features["label"].names, "type": type(d["train"].features["label"]).__name__,
                   "columns": sorted(d["train"].column_names), "counts": {}}
            for s in d:
                f = d[s].features["label"]
                out["counts"][s] = dict(collections.Counter(f.int2str(x) for x in d[s]["label"]))
            out["size"] = list(d["test"][0]["image"].size)
            print(json.dumps(out))
            """
        let r = try Fixture.run(Self.datasetsPython.require(), ["-c", script, out, b.root + "/hf-home"])
        #expect(r.status == 0, "\(r.output)")
        guard r.status == 0 else { return }
        let o = try json(r.output) as! [String: Any]
        #expect(o["names"] as? [String] == b.recipe.classes.map(\.name))
        #expect(o["type"] as? String == "ClassLabel")
        #expect(
            o["columns"] as? [String] == [
                "article", "caption", "figure_label", "id", "image", "label", "license", "sha256"
            ])
        #expect(o["counts"] as? [String: [String: Int]] == b.counts, "\(r.output)")
        #expect(o["size"] as? [Int] == [8, 6])
    }

    @Test(croissantPython.trait)
    func croissantOfTheExportYieldsImagesWithCaptionAndClass() throws {
        let b = try build(articles: 25)
        let out = b.root + "/hf"
        _ = try Export.imageFolder(splitDir: b.split, recipe: b.recipe, work: b.work, to: out)
        let py = try Self.croissantPython.require()
        var v = try Fixture.run(py, ["-m", "mlcroissant", "validate", "--jsonld", out + "/croissant.json"])
        if v.status != 0 {
            v = try Fixture.run(
                (py as NSString).deletingLastPathComponent + "/mlcroissant",
                ["validate", "--jsonld", out + "/croissant.json"])
        }
        #expect(v.status == 0 && !v.output.contains("error"), "\(v.output)")
        let script = """
            import hashlib, json, os, sys
            import mlcroissant as mlc
            from PIL import Image
            root = sys.argv[1]
            rows = []
            for r in mlc.Dataset(os.path.join(root, "croissant.json")).records("images"):
                t = lambda k: r["images/" + k].decode() if isinstance(r["images/" + k], bytes) else r["images/" + k]
                on_disk = Image.open(os.path.join(root, t("split"), t("file_name"))).convert("RGB")
                rows.append({"id": t("id"), "split": t("split"), "label": t("label"), "caption": t("caption"),
                             "same_pixels": r["images/image"].convert("RGB").tobytes() == on_disk.tobytes()})
            print(json.dumps(rows))
            """
        let r = try Fixture.run(py, ["-c", script, out])
        #expect(r.status == 0, "\(r.output)")
        guard r.status == 0 else { return }
        let rows = try json(r.output) as! [[String: Any]]
        #expect(rows.count == b.items.count)
        let figures = try Export.figures(b.work)
        #expect(Set(rows.compactMap { $0["id"] as? String }) == Set(b.items.keys))
        for row in rows {
            let id = row["id"] as! String
            guard let (split, item) = b.items[id] else { Issue.record("unknown id \(id)"); continue }
            #expect(row["split"] as? String == Export.folderName(split), "\(id)")
            #expect(row["label"] as? String == item.class, "\(id)")
            #expect(row["caption"] as? String == figures[id]?.caption, "\(id)")
            #expect(row["same_pixels"] as? Bool == true, "\(id)")
        }
    }

    @Test(anyPython.trait)
    func webDatasetShardsReadBackByTheNamingRule() throws {
        let b = try build(articles: 30)
        let out = b.root + "/wds"
        let shardSize = 7
        let s = try Export.webDataset(splitDir: b.split, work: b.work, to: out, shardSize: shardSize)
        #expect(s.missingImages.isEmpty)
        let perSplit = Dictionary(grouping: b.items.values, by: { Export.folderName($0.split) }).mapValues(\.count)
        #expect(s.files == perSplit.values.map { ($0 + shardSize - 1) / shardSize }.reduce(0, +))
        // WebDataset's rule: a sample is the files sharing a key, the key being the name up to the first dot.
        let script = """
            import hashlib, json, os, sys, tarfile
            root = sys.argv[1]
            out = []
            for split in sorted(os.listdir(root)):
                for shard in sorted(os.listdir(os.path.join(root, split))):
                    with tarfile.open(os.path.join(root, split, shard)) as tf:
                        samples = {}
                        for m in tf.getmembers():
                            assert m.isfile() and m.mtime == 0 and m.uid == 0 and m.gid == 0 and m.mode == 0o644, m.name
                            key, ext = m.name.split(".", 1)
                            samples.setdefault(key, {})[ext] = tf.extractfile(m).read()
                        assert tf.fileobj is not None
                    for key, files in samples.items():
                        meta = json.loads(files["json"])
                        image = [e for e in files if e in ("png", "jpg")]
                        out.append({"split": split, "shard": shard, "key": key, "exts": sorted(files), "id": meta["id"],
                                    "label": meta["label"], "caption": files["txt"].decode(), "meta_caption": meta["caption"],
                                    "meta_key": meta["key"],
                                    "sha_ok": len(image) == 1 and hashlib.sha256(files[image[0]]).hexdigest() == meta["sha256"]})
            print(json.dumps(out))
            """
        let r = try Fixture.run(Self.anyPython.require(), ["-c", script, out])
        #expect(r.status == 0, "\(r.output)")
        guard r.status == 0 else { return }
        let rows = try json(r.output) as! [[String: Any]]
        #expect(rows.count == b.items.count)
        let figures = try Export.figures(b.work)
        for row in rows {
            let id = row["id"] as! String
            guard let (split, item) = b.items[id] else { Issue.record("unknown id \(id)"); continue }
            #expect(row["split"] as? String == Export.folderName(split))
            #expect(row["exts"] as? [String] == ["json", "png", "txt"])
            #expect(row["label"] as? String == item.class)
            #expect(row["caption"] as? String == figures[id]?.caption)
            #expect(row["meta_caption"] as? String == figures[id]?.caption)
            #expect(row["meta_key"] as? String == row["key"] as? String)
            #expect(row["sha_ok"] as? Bool == true, "\(id)")
            #expect(
                (row["key"] as? String)?.count == 9
                    && (row["key"] as? String)?.hasPrefix(String((row["shard"] as! String).prefix(5))) == true)
        }
        // Byte-reproducible shards.
        _ = try Export.webDataset(splitDir: b.split, work: b.work, to: b.root + "/wds2", shardSize: shardSize)
        for f in FileSystem.listFiles(under: out) {
            #expect(try FileSystem.read(out + "/" + f) == FileSystem.read(b.root + "/wds2/" + f), "\(f)")
        }
    }

    @Test func tarHeadersAreUstarWithFixedMetadata() throws {
        let tar = try Tar.archive([Tar.Entry(name: "000000000.txt", data: Data("hello".utf8))])
        #expect(tar.count == Tar.recordSize)
        #expect(String(decoding: tar[257..<263], as: UTF8.self) == "ustar\0")
        #expect(String(decoding: tar[124..<135], as: UTF8.self) == "00000000005")
        #expect(String(decoding: tar[512..<517], as: UTF8.self) == "hello")
        // The checksum is the byte sum with its own field read as spaces.
        var h = [UInt8](tar[0..<512])
        let stored = Int(String(decoding: h[148..<154], as: UTF8.self), radix: 8)
        for i in 148..<156 { h[i] = 0x20 }
        #expect(stored == h.reduce(0) { $0 + Int($1) })
        #expect(throws: PairDxError.self) {
            try Tar.archive([Tar.Entry(name: String(repeating: "a", count: 101), data: Data())])
        }
    }
}
