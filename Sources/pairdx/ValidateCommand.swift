import ArgumentParser
import Curation
import Foundation
import PairDxCore
import Training
import Validation

struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract:
            "Train image, text and fusion models (and CLIP and BiomedCLIP, given weights) on a split and set their test results beside the published PairDx figures.",
        discussion: """
            Uses the recipe's training hyper-parameters, evaluates each model on the test split and writes
            <out>/validation.json, .md and .html: every figure of Manifests/published-results.json (DOI 10.3390/s25247596)
            beside ours with a verdict — reproduced (within the recipe's validation.tolerancePoints), below, above,
            not comparable (e.g. the embedded corpus is not the published dataset; timings on other hardware), or
            not run (the CLIP rows without --clip-weights, the BiomedCLIP rows without --biomedclip-weights). With
            --clip-weights (an open_clip state dict saved as safetensors, e.g. ViT-B-32; see the README) the rows
            "zero-shot CLIP" (the recipe's class prompts inside every validation.promptTemplates entry, averaged) and
            "fine-tuned CLIP" (training.clip: AdamW with warm-up, both towers or the image tower) are run too. With
            --biomedclip-weights and --biomedclip-vocab (BiomedCLIP-PubMedBERT_256-vit_base_patch16_224 converted as the
            README shows, and PubMedBERT's vocab.txt) zero-shot BiomedCLIP is run with the same prompts: its test
            accuracy, seconds per test image on this hardware, and whether fusion is faster per image. Exit code 1 when
            the gate fails: the fusion model must beat both single-modality baselines in test accuracy.
            """)
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "Split directory (default: Splits/<recipe name>).") var split: String?
    @Option(name: .long, help: "Work directory with figures.jsonl and blobs/ (default: --work).") var data: String?
    @Option(
        name: .long,
        help: "Recipe name or recipe.json path (default: the recipe named in splits.json, else pairdx-synth-v1).")
    var recipe: String?
    @Option(name: .long, help: "Report directory.") var out: String = "report"
    @Option(
        name: .long, help: "GloVe vectors (text format) to initialise word embeddings; without it they are learned.")
    var glove: String?
    @Option(name: .long, help: "Published figures (JSON).") var published: String = "Manifests/published-results.json"
    @Option(name: .long, help: "Also save the checkpoints (three, five with CLIP) into this folder.") var checkpoints:
        String?
    @OptionGroup var clip: CLIPOptions
    @OptionGroup var biomedclip: BiomedCLIPOptions
    @OptionGroup var compute: ComputeOptions
    @Option(
        name: .customLong("real-captions"),
        help: """
            Instead: train and test only the text baseline on real captions (ROCO layout: */*/captions.txt with \
            ROCO_id<TAB>caption), labelled by the recipe's caption rules (e.g. --recipe pairdx-v1).
            """) var realCaptions: String?
    @OptionGroup var output: JSONOutput

    func run() async throws {
        global.apply()
        if let realCaptions {
            let r = try TrainingSetup.recipe(recipe ?? "pairdx-v1", split: SplitSet.placeholder)
            let report = try RealCaptions.run(
                directory: realCaptions, recipe: r, threads: global.threadCount, glove: glove, out: out)
            Log.info(RealCaptions.summary(report) + "\nreport: \(out)/real-captions.{json,md}")
            if json { try printJSON(report) }
            return
        }
        let r: Recipe
        let splitDir: String
        if let split {
            splitDir = split
            r = try TrainingSetup.recipe(recipe, split: try SplitSet.load(split))
        } else {
            r = try TrainingSetup.recipe(recipe ?? "pairdx-synth-v1", split: SplitSet.placeholder)
            splitDir = "Splits/\(r.name)"
        }
        let report = try Validation.run(
            split: splitDir, data: data ?? global.work, out: out, recipe: r,
            threads: global.threadCount, glove: glove, published: published, checkpoints: checkpoints,
            clip: clip.input, biomedclip: biomedclip.input, mode: compute.mode,
            imageWeights: compute.imageWeights)
        Log.info(ReportWriter.summary(report) + "\nreport: \(out)/validation.{json,md,html}")
        if json { try printJSON(report) }
        guard report.gate.passed else {
            throw PairDxError.checkFailed("validate: gate failed — \(report.gate.claim): \(report.gate.detail)")
        }
    }
}

extension ValidateCommand: ReportsJSON {}
