import PairDxCore

/// Ends a paged listing or search that would not end by itself: at most `maxPages` pages, and a
/// continuation (token or offset) that repeats one already followed is refused. Without it a server
/// answering `IsTruncated=true` with the same token, or a fresh one, forever keeps the loop running.
struct PageGuard {
    /// What is being paged, for the error (e.g. `listing http://…`).
    let what: String
    let maxPages: Int
    private(set) var pages = 0
    private var followed: Set<String> = []

    init(_ what: String, maxPages: Int) { self.what = what; self.maxPages = maxPages }

    /// Call before asking for each page, with the continuation that names it (nil for the first page).
    mutating func next(_ continuation: String?) throws(PairDxError) {
        pages += 1
        if pages > maxPages {
            throw .badInput("\(what): still not finished after \(maxPages) pages (--max-pages)")
        }
        if let continuation, !followed.insert(continuation).inserted {
            throw .badInput(
                "\(what): page \(pages) repeats the continuation '\(continuation.prefix(80))' of an earlier page")
        }
    }
}
