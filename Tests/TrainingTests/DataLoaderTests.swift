import Foundation
import PairDxTestSupport
import Testing
import PairDxCore
import Curation
import TrainingTestSupport
@testable import Training

@Suite("Data and training loop", .scratch) struct DataLoaderTests {
    @Test func splitFilesJoinCaptionsAndBlobsAndCountProblems() throws {
        let toy = try ToyCorpus()
        let split = try SplitSet.load(toy.splitDir)
        #expect(split.classes == ToyCorpus.classes && split.train.count == 36 && split.val.count == 12)
        // Remove one blob and one caption: both are skipped and reported, the rest loads.
        let gone = split.train[5]
        try FileManager.default.removeItem(atPath: toy.work.blobs.path(for: gone.sha256))
        var caps = try Dataset.loadCaptions(toy.work)
        caps.removeValue(forKey: split.train[7].id)
        let ds = try Dataset.load(split, part: .train, work: toy.work, captions: caps)
        #expect(ds.examples.count == 34)
        #expect(ds.problems[gone.id]?.contains("missing") == true)
        #expect(ds.problems[split.train[7].id] == "no caption in figures.jsonl")
        // A class outside splits.json is an error naming the item.
        let sha = String(repeating: "ab", count: 32)
        try AtomicFile.write(
            CSV.line(SplitFiles.header) + "PMC1/F1,pet,PMC1,F1,\(sha),,,PMC1\n", to: toy.splitDir + "/val.csv")
        do { _ = try SplitSet.load(toy.splitDir); Issue.record("an unknown class must be rejected") } catch let e
            as PairDxError
        { #expect(e.message.contains("PMC1/F1")) }
    }

    @Test func loaderOrderIsKeyedBySeedAndEpochAndBadImagesAreDropped() throws {
        let toy = try ToyCorpus(corruptOne: true)
        let split = try SplitSet.load(toy.splitDir)
        let ds = try Dataset.load(split, part: .train, work: toy.work)
        let a = BatchLoader(ds, blobs: toy.work.blobs, batchSize: 8, resolution: 16, needsImages: true, seed: 5)
        let b = BatchLoader(
            ds, blobs: toy.work.blobs, batchSize: 8, resolution: 16, needsImages: true, seed: 5, workers: 1)
        #expect(a.order(epoch: 1, shuffle: true) == b.order(epoch: 1, shuffle: true))
        #expect(a.order(epoch: 1, shuffle: true) != a.order(epoch: 2, shuffle: true))
        #expect(
            a.order(epoch: 1, shuffle: true)
                != BatchLoader(ds, blobs: toy.work.blobs, batchSize: 8, resolution: 16, needsImages: true, seed: 6)
                .order(epoch: 1, shuffle: true))
        #expect(Set(a.order(epoch: 3, shuffle: true)) == Set(ds.examples.indices))
        var seen: [String] = [], imagesA: [Float] = [], imagesB: [Float] = []
        let s = a.stream(epoch: 1, shuffle: true, augment: true), t = b.stream(epoch: 1, shuffle: true, augment: true)
        while let x = s.next(), let y = t.next() {
            #expect(x.images?.shape == [x.count, 3, 16, 16])
            seen += x.ids; imagesA += x.images!.storage; imagesB += y.images!.storage
        }
        #expect(imagesA == imagesB, "augmented batches depend only on seed, epoch and id, not on thread count")
        #expect(seen.count == 35 && a.failures.count == 1)
        #expect(a.failures.keys.first == split.train[0].id)
        // Normalisation: background pixels (30) map to (30/255 − mean)/std.
        let bg = (Float(30) / 255 - ImagePipeline.mean[0]) / ImagePipeline.std[0]
        #expect(imagesA.contains { abs($0 - bg) < 1e-5 })
    }

    @Test func decodedImagesAreCachedOnDiskOnceAndGiveTheSameBatches() throws {
        let toy = try ToyCorpus()
        let split = try SplitSet.load(toy.splitDir)
        let ds = try Dataset.load(split, part: .train, work: toy.work)
        let dir = toy.work.decodedImageCache
        func images(_ loader: BatchLoader) -> [Float] {
            var out: [Float] = []
            let s = loader.stream(epoch: 2, shuffle: true, augment: true)
            while let b = s.next() { out += b.images!.storage }
            return out
        }
        let plain = images(
            BatchLoader(ds, blobs: toy.work.blobs, batchSize: 8, resolution: 16, needsImages: true, seed: 5))
        #expect(!FileManager.default.fileExists(atPath: dir))
        let first = images(
            BatchLoader(
                ds, blobs: toy.work.blobs, batchSize: 8, resolution: 16, needsImages: true, seed: 5, decodedCache: dir))
        let cached = try FileManager.default.subpathsOfDirectory(atPath: dir).filter { $0.hasSuffix(".rgb") }
        #expect(cached.count == Set(ds.examples.map(\.sha256)).count && cached.allSatisfy { $0.hasPrefix("16/") })
        // With every blob gone, a new loader (another model of the same run) still builds the same batches: nothing is decoded again.
        try FileManager.default.removeItem(atPath: toy.work.blobs.root)
        let loader = BatchLoader(
            ds, blobs: toy.work.blobs, batchSize: 8, resolution: 16, needsImages: true, seed: 5, decodedCache: dir)
        let second = images(loader)
        #expect(first == plain && second == plain && loader.failures.isEmpty)
    }

    @Test func textModelLearnsTheCorpusAndRunsAreReproducible() throws {
        let toy = try ToyCorpus()
        let split = try SplitSet.load(toy.splitDir)
        var h = toyHyper(epochs: 6, lr: 1e-2); h.resolution = 24
        let cfg = TrainConfig(kind: .text, hyper: h, seed: 3, threads: 1)
        let r1 = try ComputeLock.run { try Trainer.train(cfg, split: split, work: toy.work) }
        let r2 = try ComputeLock.run { try Trainer.train(cfg, split: split, work: toy.work) }
        #expect(r1.stepLosses == r2.stepLosses, "same seed and threads ⇒ identical loss curve")
        #expect(r1.stepLosses.count == 6 * 5)
        #expect(r1.epochs.last!.valAccuracy! >= 0.9, "\(r1.epochs)")
        #expect(r1.tokenStats["train"]!.oovShare == 0)
        // Checkpoint round trip: same predictions on test after reload.
        let path = toy.root + "/text.safetensors"
        try Checkpoint.save(r1.model, vocabulary: r1.vocabulary, to: path)
        let (model, vocab, _) = try Checkpoint.load(path)
        #expect(vocab == r1.vocabulary)
        let before = try Evaluation.run(
            r1.model, vocabulary: r1.vocabulary, split: split, part: .test, work: toy.work, threads: 1)
        let after = try Evaluation.run(model, vocabulary: vocab, split: split, part: .test, work: toy.work, threads: 1)
        #expect(before.metrics == after.metrics)
        #expect(after.metrics.accuracy >= 0.9 && after.metrics.count == 12)
    }

    @Test func imageAndFusionModelsTrainAndCheckpoint() throws {
        let toy = try ToyCorpus(perClass: ["train": 8, "val": 3, "test": 3])
        let split = try SplitSet.load(toy.splitDir)
        for kind in [ModelKind.image, .fusion] {
            let r = try ComputeLock.run {
                try Trainer.train(
                    TrainConfig(kind: kind, hyper: toyHyper(epochs: 2), seed: 1, threads: 1), split: split,
                    work: toy.work)
            }
            #expect(r.stepLosses.allSatisfy { $0.isFinite })
            #expect(r.epochs.count == 2 && r.epochs[0].valAccuracy != nil)
            let path = toy.root + "/\(kind).safetensors"
            try Checkpoint.save(r.model, vocabulary: r.vocabulary, to: path)
            let (m, v, _) = try Checkpoint.load(path)
            #expect(m.spec == r.model.spec)
            let a = try Evaluation.run(
                r.model, vocabulary: r.vocabulary, split: split, part: .test, work: toy.work, threads: 1)
            let b = try Evaluation.run(m, vocabulary: v, split: split, part: .test, work: toy.work, threads: 1)
            #expect(a.metrics == b.metrics, "\(kind): reloaded checkpoint predicts the same")
            // BatchNorm running statistics are saved too.
            let names = try SafeTensors.read(path).tensors.keys
            #expect(names.contains { $0.hasSuffix("running_var") })
        }
    }

    @Test func metricsMatchHandComputedValues() {
        let m = Metrics(predictions: [0, 0, 1, 1, 2, 0], labels: [0, 1, 1, 1, 2, 2], classes: ["a", "b", "c"])
        #expect(m.accuracy == 4.0 / 6.0)
        #expect(m.confusion == [[1, 0, 0], [1, 2, 0], [1, 0, 1]])
        #expect(m.perClass[0].precision == 1.0 / 3.0 && m.perClass[0].recall == 1)
        #expect(abs(m.perClass[1].f1 - 0.8) < 1e-12 && abs(m.perClass[2].f1 - 2.0 / 3.0) < 1e-12)
        #expect(abs(m.macroF1 - (0.5 + 0.8 + 2.0 / 3.0) / 3) < 1e-12)
        #expect(m.table().contains("confusion"))
    }
}
