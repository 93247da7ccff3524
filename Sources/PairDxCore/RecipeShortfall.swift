extension Recipe {
    /// The words every output of a set balanced down below the recipe's `target` carries (manifest, audit,
    /// validation page): what it holds and that it is not the recipe's size. nil when `perClass` meets the target
    /// or the policy asks for no fixed count.
    public func shortNotice(perClass: Int) -> String? {
        guard balance.policy == .target, let need = balance.perClass, perClass < need else { return nil }
        return "Short of the recipe: \(perClass) pairs per class (\(perClass * classes.count) in all) where recipe "
            + "\(name) asks for \(need) per class (\(need * classes.count)); the source could not fill every class "
            + "(balanced down with --allow-short), so this is not the published size."
    }
}
