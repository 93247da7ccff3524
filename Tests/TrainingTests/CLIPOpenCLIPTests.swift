import Foundation
import Testing
@testable import Training

/// Full-size CLIP ViT-B/32 against open_clip itself (fixture `clip/openclip-vitb32.safetensors`, written by
/// scripts/fixtures/gen_openclip_fixtures.py from `open_clip.create_model('ViT-B-32', pretrained=None)` run in
/// float64). Both sides fill every parameter with `CLIPSyntheticWeights`, so no weights are committed.
///
/// Tolerances (ours in Float32 against the float64 reference; `worst` = max |ours − ref| / (1 + |ref|)):
/// - synthetic streams, token ids: bit for bit; parameter names and shapes: exactly open_clip's;
/// - image and text embeddings, logits, class logits: worst ≤ 1e-4, and ‖ours − ref‖ ≤ 1e-4·‖ref‖;
/// - loss: relative 1e-5;
/// - gradients: the norm of every one of the 302 parameter gradients within relative 2e-4, and selected rows
///   (conv1, positional and class embeddings, first and last blocks of both towers, ln_pre/ln_post/ln_final,
///   both projections, logit_scale, every token-embedding row used) ‖ours − ref‖ ≤ 2e-4·‖ref‖
///   (float32 PyTorch itself is 1.3e-5 from the reference, metadata `torch_f32_error.gradients`);
/// - the nn.GELU variant (plain `ViT-B-32`): embeddings worst ≤ 1e-4.
/// Serialized: each full model holds 151 M parameters and their gradients (1.2 GB).
@Suite(.serialized)
struct CLIPOpenCLIPTests {
    static let name = "openclip-vitb32.safetensors"

    static func fixture() throws -> SafeTensors.File { try CLIPLayerTests.fixture(name) }
    static func tensor(_ f: SafeTensors.File, _ key: String) throws -> Tensor { try CLIPLayerTests.tensor(f, key) }

    static func model(_ activation: GELU.Kind) throws -> CLIPModel {
        var configuration = CLIPConfiguration.vitB32
        configuration.activation = activation
        let model = CLIPModel(configuration: configuration)
        try CLIPSyntheticWeights.apply(to: model)
        return model
    }

    static func images(_ f: SafeTensors.File) -> Tensor {
        let s = CLIPConfiguration.vitB32.imageSize
        return Tensor(
            shape: [2, 3, s, s], storage: CLIPSyntheticWeights.values("pixels", count: 2 * 3 * s * s, bound: 1.8))
    }

    static func relativeNorm(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "\(a.count) vs \(b.count) values")
        var d: Double = 0, n: Double = 0
        for (x, y) in zip(a, b) { d += Double(x - y) * Double(x - y); n += Double(y) * Double(y) }
        return Float((d / max(n, 1e-300)).squareRoot())
    }

    @Test func syntheticStreamsAndNamesMatchTheGenerator() throws {
        let f = try Self.fixture()
        let pixels = Self.images(f).storage
        #expect(Array(pixels.prefix(4) + pixels.suffix(4)) == (try Self.tensor(f, "sample.pixels")).storage)
        #expect(CLIPSyntheticWeights.key("a") == 0xAF63_DC4C_8601_EC8C)  // FNV-1a-64 reference value
        let config = CLIPConfiguration.vitB32
        let listed = try #require(f.metadata["parameters"]?.data(using: .utf8))
        let expected = try #require(try JSONSerialization.jsonObject(with: listed) as? [[Any]])
        let openCLIP = Dictionary(
            uniqueKeysWithValues: expected.map { ($0[0] as! String, ($0[1] as! [Any]).map { $0 as! Int }) })
        #expect(openCLIP.count == 302)
        for key in f.tensors.keys.sorted() where key.hasPrefix("sample.") && key != "sample.pixels" {
            let name = String(key.dropFirst("sample.".count))
            let shape = try #require(openCLIP[name], "\(name) is not an open_clip parameter")
            let count = shape.reduce(1, *)
            var values = [Float](repeating: .nan, count: count)
            values.withUnsafeMutableBufferPointer { out in
                if let (offset, bound) = try! CLIPSyntheticWeights.rule(name: name, shape: shape) {
                    CLIPSyntheticWeights.fill(
                        out.baseAddress!, count: count, key: CLIPSyntheticWeights.key(name), offset: offset,
                        bound: bound)
                } else {
                    out[0] = Float(log(1 / 0.07))
                }
            }
            // The generator stores the first and the last four values (a scalar twice).
            let ours = Array(values.prefix(4) + values.suffix(4))
            let theirs = try Self.tensor(f, key).storage
            #expect(ours == theirs, "\(name): \(ours) vs \(theirs)")
        }
        // The Swift model has exactly open_clip's parameters (names and shapes), so CLIPWeights.load takes its files.
        let model = CLIPModel(configuration: config)
        let ours = Dictionary(uniqueKeysWithValues: model.store.parameters.map { ($0.name, $0.shape) })
        #expect(ours == openCLIP)
        #expect(f.metadata["open_clip"] != nil && f.metadata["torch"] != nil)
    }

    @Test func fullViTB32MatchesOpenCLIPForwardAndBackward() throws {
        let f = try Self.fixture()
        let model = try Self.model(.quick)
        let l = model.configuration.contextLength
        let ids = try Self.tensor(f, "texts").storage.map { Int32($0) }
        #expect(ids.count == 5 * l)
        let captions = Array(ids[..<(2 * l)]), classes = Array(ids[(2 * l)...])
        let labels = try Self.tensor(f, "labels").storage.map { Int($0) }
        let images = Self.images(f)

        // Forward (inference path, its batch split over 2 threads as the commands run it).
        defer { Compute.threads = 1 }
        Compute.threads = 2
        let imageEmbeddings = model.encodeImages(images)
        let textEmbeddings = model.encodeTexts(ids)
        let logits = model.logits(imageEmbeddings: imageEmbeddings, textEmbeddings: textEmbeddings)
        let captionLogits = Tensor(
            shape: [2, 2], storage: (0..<2).flatMap { r in logits.storage[(r * 5)..<(r * 5 + 2)] })
        let classLogits = Tensor(
            shape: [2, 3], storage: (0..<2).flatMap { r in logits.storage[(r * 5 + 2)..<(r * 5 + 5)] })
        for (key, ours) in [
            ("image_embeddings", imageEmbeddings), ("text_embeddings", textEmbeddings),
            ("logits", captionLogits), ("class_logits", classLogits)
        ] {
            let ref = try Self.tensor(f, key).storage
            let worst = CLIPLayerTests.worst(ours.storage, ref), norm = Self.relativeNorm(ours.storage, ref)
            #expect(worst <= 1e-4 && norm <= 1e-4, "\(key): worst \(worst), relative norm \(norm)")
            print("openclip \(key): worst \(worst), relative norm \(norm)")
        }

        // Loss and gradients (training path).
        model.store.zeroGrad()
        let loss = model.lossAndGradients(
            images: images, captions: captions, classPrompts: classes, labels: labels, trainText: true)
        let reference = try Self.tensor(f, "loss").storage[0]
        #expect(abs(loss - reference) <= 1e-5 * abs(reference), "loss \(loss) vs \(reference)")
        print("openclip loss: \(loss) vs \(reference), relative \(abs(loss - reference) / abs(reference))")
        var worstNorm: (Float, String) = (0, "")
        for entry in model.store.parameters {
            let grad = UnsafeBufferPointer(rebasing: model.store.allGrads[entry.offset..<(entry.offset + entry.count)])
            let ours = Float(grad.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot())
            let theirs = try Self.tensor(f, "gradnorm.\(entry.name)").storage[0]
            let error = abs(ours - theirs) / theirs
            #expect(error <= 2e-4, "‖∂L/∂\(entry.name)‖ \(ours) vs \(theirs)")
            if error > worstNorm.0 { worstNorm = (error, entry.name) }
        }
        print("openclip gradient norms: worst relative \(worstNorm.0) (\(worstNorm.1))")
        var worstRows: (Float, String) = (0, "")
        var checked = 0
        for key in f.tensors.keys.sorted() where key.hasPrefix("grad.") {
            let name = String(key.dropFirst("grad.".count))
            let entry = try #require(model.store.parameterEntry(named: name), "\(name) missing")
            let grad = Array(model.store.allGrads[entry.offset..<(entry.offset + entry.count)])
            let ours: [Float]
            if let rows = f.tensors["rows.\(name)"]?.values.map({ Int($0) }) {
                let width = entry.count / entry.shape[0]
                ours = rows.flatMap { grad[($0 * width)..<(($0 + 1) * width)] }
            } else {
                ours = grad
            }
            let error = Self.relativeNorm(ours, try Self.tensor(f, key).storage)
            #expect(error <= 2e-4, "gradient rows of \(name): relative error \(error)")
            if error > worstRows.0 { worstRows = (error, name) }
            checked += 1
        }
        #expect(checked >= 20)
        print("openclip gradient rows (\(checked) tensors): worst relative \(worstRows.0) (\(worstRows.1))")
    }

    @Test func exactGELUVariantMatchesPlainViTB32() throws {
        let f = try Self.fixture()
        let model = try Self.model(.erf)
        let ids = try Self.tensor(f, "texts").storage.map { Int32($0) }
        for (key, ours) in [
            ("gelu.image_embeddings", model.encodeImages(Self.images(f))),
            ("gelu.text_embeddings", model.encodeTexts(ids))
        ] {
            let ref = try Self.tensor(f, key).storage
            let worst = CLIPLayerTests.worst(ours.storage, ref)
            #expect(worst <= 1e-4, "\(key): worst \(worst)")
            print("openclip \(key): worst \(worst)")
        }
    }
}
