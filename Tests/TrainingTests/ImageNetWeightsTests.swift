import Foundation
import PairDxTestSupport
import PairDxCore
import Testing
import TrainingTestSupport
@testable import Training

/// A safetensors file named and shaped like torchvision's `resnet18().state_dict()` (with `num_batches_tracked` and
/// the 1000-way `fc`), every value from the counter formula of `CLIPSyntheticWeights` keyed by the tensor's name:
/// ImageNet weights stand-in, no download and nothing committed.
enum TorchvisionResNet18Synthetic {
    static func file() -> SafeTensors.File {
        var g = SeededGenerator(seed: 0)
        let names = ResNet18(ParameterStore(), classes: 1000, generator: &g).exportWeights()
        var file = SafeTensors.File(metadata: ["format": "pt"])
        for (name, t) in names {
            let (offset, bound): (Float, Float) =
                name.hasSuffix("running_var")
                ? (1, 0.5) : name.hasSuffix("bn1.weight") || name.hasSuffix("bn2.weight") ? (1, 0.1) : (0, 0.1)
            file.tensors[name] = .init(
                shape: t.shape, values: CLIPSyntheticWeights.values(name, count: t.count, offset: offset, bound: bound))
            if name.hasSuffix("running_mean") {
                file.tensors[name.replacingOccurrences(of: "running_mean", with: "num_batches_tracked")] = .init(
                    shape: [], values: [1000])
            }
        }
        return file
    }

    static func write(_ file: SafeTensors.File = file()) throws -> String {
        let path = try Scratch.directory("resnet18") + "/resnet18.safetensors"
        try SafeTensors.write(file, to: path)
        return path
    }
}

@Suite(.serialized, .scratch)
struct ImageNetWeightsTests {
    @Test func torchvisionNamedWeightsLoadIntoTheImageNetworkExceptItsClassifier() throws {
        let file = TorchvisionResNet18Synthetic.file()
        let path = try TorchvisionResNet18Synthetic.write(file)
        let weights = try ImageNetResNet18.load(path)
        #expect(weights.source.hasPrefix("imagenet:\((path as NSString).lastPathComponent) sha256:"))
        let model = ImageClassifier(
            ModelSpec(
                kind: .image, classes: ["a", "b", "c"], resolution: 32, widthMultiplier: 1, width: 16, heads: 1,
                embeddingDim: 8, vocabularySize: 0, maxTokens: 1, dropout: 0, frozenEmbeddings: false,
                embeddings: "learned"), seed: 3)
        let before = model.network.exportWeights()
        try model.network.loadWeights(source: path, includeClassifier: false) { weights.tensors[$0] }
        let after = model.network.exportWeights()
        #expect(after.count == file.tensors.keys.filter { !$0.hasSuffix("num_batches_tracked") }.count)
        for (name, t) in after {
            if name.hasPrefix("fc.") {
                #expect(t == before[name], "\(name) must keep its seeded initialisation")
            } else {
                #expect(t.storage == file.tensors[name]?.values, "\(name)")
            }
        }
    }

    @Test func trainingStartsFromTheWeightsAndSaysSo() throws {
        let corpus = try ToyCorpus(perClass: ["train": 4, "val": 2, "test": 2], side: 32)
        let path = try TorchvisionResNet18Synthetic.write()
        let weights = try ImageNetResNet18.load(path)
        var hyper = toyHyper(epochs: 1, optimizer: .sgd)
        hyper.widthMultiplier = 1
        hyper.resolution = 32
        hyper.learningRate = 1e-6
        var config = TrainConfig(kind: .image, hyper: hyper, seed: 1, threads: 2)
        config.imageTowerInit = weights.tensors
        config.imageTowerSource = weights.source
        let result = try ComputeLock.run {
            try Trainer.train(config, split: try SplitSet.load(corpus.splitDir), work: corpus.work)
        }
        #expect(result.imageInitialisation == weights.source)
        // One step at a tiny learning rate: the convolution weights are still the file's, within the update's size.
        let trained = (result.model as! ImageClassifier).network.exportWeights()
        let conv = trained["layer4.1.conv2.weight"]!.storage, loaded = weights.tensors["layer4.1.conv2.weight"]!.storage
        #expect(zip(conv, loaded).map { abs($0 - $1) }.max()! < 1e-4)
    }

    @Test func missingOrMisshapenTensorsAreNamed() throws {
        var missing = TorchvisionResNet18Synthetic.file()
        missing.tensors["layer3.1.bn2.running_var"] = nil
        let missingPath = try TorchvisionResNet18Synthetic.write(missing)
        let e1 = #expect(throws: PairDxError.self) { try ImageNetResNet18.load(missingPath) }
        #expect(
            e1?.kind == .badInput && e1!.message.contains(missingPath)
                && e1!.message.contains("'layer3.1.bn2.running_var' is missing"), "\(e1!.message)")

        var wrong = TorchvisionResNet18Synthetic.file()
        wrong.tensors["layer2.0.conv1.weight"] = .init(
            shape: [128, 64, 1, 1], values: [Float](repeating: 0, count: 128 * 64))
        let wrongPath = try TorchvisionResNet18Synthetic.write(wrong)
        let e2 = #expect(throws: PairDxError.self) { try ImageNetResNet18.load(wrongPath) }
        #expect(
            e2!.message.contains("'layer2.0.conv1.weight' has shape [128, 64, 1, 1], expected [128, 64, 3, 3]"),
            "\(e2!.message)")

        let good = try TorchvisionResNet18Synthetic.write()
        let e3 = #expect(throws: PairDxError.self) { try ImageNetResNet18.load(good, widthMultiplier: 0.5) }
        #expect(
            e3!.message.contains("'conv1.weight' has shape [64, 3, 7, 7]")
                && e3!.message.contains("width multiplier is 0.5"), "\(e3!.message)")

        let e4 = #expect(throws: PairDxError.self) { try ImageNetResNet18.load(good + ".absent") }
        #expect(e4?.kind == .io)
    }
}
