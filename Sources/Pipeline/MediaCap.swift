import Curation
import Foundation
import PairDxCore

/// The per-class media cap of the caption-first scan: between the caption phase and the media phase, which
/// caption-labelled figures get their media asked for.
///
/// The figures of a prefix whose caption the recipe's rules give class c, and whose media can be asked for, form c's
/// queue in scan order (the article's place in the seeded order, then the figure's id). Only the first `allowance[c]`
/// of each queue are selected. The first allowance is ⌈need · (1 + `floor`)⌉; after the selection is fetched, hashed,
/// deduplicated and labelled, a class still short of `need` grows by its shortfall divided by the share of its selected
/// figures that survived (its losses so far: media missing, undecodable, too small, duplicates; never less than
/// `floor`), and the rounds repeat until every class is full or its queue is used up (top-up). Each step depends only
/// on the prefix's records, so the selection of a prefix is the same whether it was reached in one batch or many, in a
/// resumed run or from merged shards. Without a per-class target every labelled figure is selected.
struct MediaCap {
    /// The least margin over the need: the first allowance, and the least loss share a top-up assumes.
    static let floor = 0.05
    /// The largest loss share a top-up assumes (a class that lost nearly everything still grows in steps).
    static let ceiling = 0.9

    let need: Int?
    /// Per class, the ids of its caption-labelled figures whose media can be asked for, in scan order.
    let queues: [String: [String]]
    private(set) var allowance: [String: Int]

    /// `figures`: the caption-phase records of the prefix; `position`: each article's place in the seeded order.
    init(figures: [FigureRecord], position: [String: Int], recipe: Recipe) {
        let labeler = Labeler(recipe: recipe)
        need = recipe.balance.policy == .target ? recipe.balance.perClass : nil
        var queues: [String: [(Int, String, String)]] = [:]
        for f in figures where f.status == FetchStatus.captionUnlabelled && f.url != nil {
            guard let c = labeler.label(caption: f.caption).class else { continue }
            queues[c, default: []].append((position[f.pmcid] ?? Int.max, f.sortKey, f.id))
        }
        self.queues = queues.mapValues { $0.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map(\.2) }
        let first = need.map { Int((Double($0) * (1 + MediaCap.floor)).rounded(.up)) }
        allowance = self.queues.mapValues { q in min(q.count, first ?? q.count) }
    }

    /// The figures whose media are asked for.
    var selected: Set<String> {
        Set(queues.flatMap { c, q in q.prefix(allowance[c] ?? 0) })
    }

    /// The figures left out by the cap (labelled, media not asked for).
    var heldBack: Set<String> {
        Set(queues.flatMap { c, q in q.dropFirst(allowance[c] ?? 0) })
    }

    /// Grows the allowance of every class short of the need whose queue has more; false when none can grow.
    mutating func topUp(usable: [String: Int]) -> Bool {
        guard let need else { return false }
        var grew = false
        for (c, q) in queues.sorted(by: { $0.key < $1.key }) {
            let have = usable[c] ?? 0, asked = allowance[c] ?? 0
            guard have < need, asked < q.count else { continue }
            let loss = asked > 0 ? 1 - Double(have) / Double(asked) : 0
            let kept = 1 - min(MediaCap.ceiling, max(MediaCap.floor, loss))
            let more = Int((Double(need - have) / kept).rounded(.up))
            allowance[c] = min(q.count, asked + max(1, more))
            grew = true
        }
        return grew
    }
}
