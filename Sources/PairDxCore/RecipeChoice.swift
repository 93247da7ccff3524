/// A recipe field that takes one of a fixed set of words (`split.mode`, `balance.policy`, `training.*.optimizer`…).
/// Decoding a word outside the set fails with the words it may take, and the field's path in the recipe.
public protocol RecipeChoice: RawRepresentable, CaseIterable, Codable, Sendable, Hashable where RawValue == String {}

extension RecipeChoice {
    public init(from decoder: Decoder) throws {
        let word = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(rawValue: word) else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "'\(word)' is not one of \(Self.choices)"))
        }
        self = value
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }

    /// The words, quoted and joined for messages: `'a', 'b' or 'c'`.
    public static var choices: String {
        let words = allCases.map { "'\($0.rawValue)'" }
        return words.count < 2 ? words.joined() : words.dropLast().joined(separator: ", ") + " or " + words.last!
    }
}

extension Recipe {
    /// `split.mode`: `balanced` (per-class targets met as closely as groups allow) or `stable` (keyed-hash
    /// thresholds: adding items never moves an existing one).
    public enum SplitMode: String, RecipeChoice { case balanced, stable }

    /// `balance.policy`: `equalize` (every class cut to the smallest), `target` (at most `perClass` each), or `none`.
    public enum BalancePolicy: String, RecipeChoice { case equalize, target, none }

    /// `split.grouping`: what joins items into groups that never straddle splits.
    public enum Grouping: String, RecipeChoice { case article, cluster }
}

extension ModelHyperparameters {
    /// `optimizer`.
    public enum Optimizer: String, RecipeChoice { case sgd, adamw }

    /// `schedule`: `cosine` (to 0 at the last step), `step` (×0.1 every third of the run) or `constant`.
    public enum Schedule: String, RecipeChoice { case cosine, step, constant }

    /// `towers` of CLIP fine-tuning: `both` (image, text and temperature learn) or `image` (text tower and
    /// temperature frozen).
    public enum Towers: String, RecipeChoice { case both, image }
}
