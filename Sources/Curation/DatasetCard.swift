import Foundation
import PairDxCore

/// The `README.md` dataset card of an image-folder export, in the form the Hugging Face Hub and `datasets` read:
/// a YAML header (licence, task, size category, the `configs` mapping each split to its folder with the features,
/// `label` a ClassLabel whose names are the recipe's classes in recipe order, and the same features as
/// `dataset_info`), then a short
/// description with the counts per split and class. Deterministic: no dates, no paths outside the export.
enum DatasetCard {
    /// The Hub's size bucket for `n` examples.
    static func sizeCategory(_ n: Int) -> String {
        switch n {
        case ..<1_000: return "n<1K"
        case ..<10_000: return "1K<n<10K"
        case ..<100_000: return "10K<n<100K"
        case ..<1_000_000: return "100K<n<1M"
        default: return "1M<n<10M"
        }
    }

    /// A YAML double-quoted scalar.
    static func quoted(_ s: String) -> String {
        "\""
            + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n") + "\""
    }

    /// The string columns of `metadata.jsonl` after `file_name` (which the loader turns into `image`) and `label`.
    static let textColumns = ["id", "figure_label", "article", "caption", "license", "sha256"]

    /// `counts[split][class]` = images exported.
    static func markdown(recipe: Recipe, name: String, counts: [SplitName: [String: Int]]) -> String {
        let classes = recipe.classes.map(\.name)
        let total = counts.values.flatMap(\.values).reduce(0, +)
        let splits = SplitName.allCases.filter { counts[$0] != nil }
        var y = "---\n"
        y += "pretty_name: \(quoted(name))\n"
        y += "license: other\nlicense_name: pmc-open-access-per-item\n"
        y += "task_categories:\n- image-classification\n"
        y += "size_categories:\n- \(sizeCategory(total))\n"
        y += "tags:\n- medical\n- figure-captions\n- pubmed-central\n"
        // The features twice: under the config, where `datasets` reads them when loading the folder (so `label`
        // becomes a ClassLabel), and as `dataset_info`, where the Hub shows them.
        var features =
            "  features:\n  - name: image\n    dtype: image\n  - name: label\n    dtype:\n      class_label:\n        names:\n"
        for (i, c) in classes.enumerated() { features += "          '\(i)': \(quoted(c))\n" }
        for c in textColumns { features += "  - name: \(c)\n    dtype: string\n" }
        y += "configs:\n- config_name: default\n  data_files:\n"
        for s in splits { y += "  - split: \(Export.folderName(s))\n    path: \(Export.folderName(s))/**\n" }
        y += features
        y += "dataset_info:\n  config_name: default\n" + features
        y += "---\n\n"

        var m = "# \(name)\n\n\(recipe.description)\n\n"
        m += "Figure–caption pairs from open-access articles, one image per row with its caption. `label` is the class "
        m +=
            "(\(classes.map { "`\($0)`" }.joined(separator: ", ")), in this order); `figure_label` is the figure's label in "
        m += "the article (\"Figure 2\"); `license` is the article's licence, item by item.\n\n"
        m += "Splits are grouped: no article and no duplicate cluster spans two splits.\n\n"
        m +=
            "| class | " + splits.map { Export.folderName($0) }.joined(separator: " | ") + " |\n|---|"
            + splits.map { _ in "---:|" }.joined() + "\n"
        for c in classes {
            m += "| \(c) | " + splits.map { String(counts[$0]?[c] ?? 0) }.joined(separator: " | ") + " |\n"
        }
        m += "\n```python\nfrom datasets import load_dataset\nds = load_dataset(\"path/to/this/folder\")\n"
        m += "ds[\"train\"].features[\"label\"].names\n```\n\n"
        m += "`croissant.json` describes the same files in Croissant 1.0 (`mlcroissant`: record set `images`).\n\n"
        m +=
            "Source: the recipe of PairDx (Sensors 2025, 25(24):7596, doi:10.3390/s25247596), rebuilt by pairdx \(PairDxVersion.string).\n"
        return y + m
    }
}
