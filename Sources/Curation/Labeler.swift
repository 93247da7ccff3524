import PairDxCore

/// Caption rules → one class, or the reason there is none.
///
/// Matching works on tokens, not substrings, so word boundaries hold by construction ("CT" never matches
/// inside "octet"). A caption is split into tokens = maximal runs of letters/digits, with `&` a token of its own
/// ("H&E" → H, &, E). A term is split the same way and matches a run of consecutive caption tokens when every
/// token is equal (exactly, for terms the recipe lists as case-sensitive; ignoring case otherwise) and the caption
/// text between them is only spaces or hyphens — so "x-ray", "X ray" and "X-ray" are one term — or when the term's
/// tokens written together equal one caption token ("xray"). Exclude terms mask the include matches they overlap:
/// "CT-guided biopsy" does not count as CT, but a later "CT shows…" in the same caption does. Context rules
/// (`Recipe.ContextRule`) mask the include matches they sit near: with "X-ray" and the context "structure" after
/// it, "X-ray structure of the enzyme" does not count as xray, while "chest X-ray shows…" does.
public struct Labeler: Sendable {
    struct Term: Sendable {
        let text: String
        let tokens: [String]
        let joined: String
        let caseSensitive: Bool
    }

    struct Context: Sendable {
        let name: String
        let terms: [Term]
        let before: Int
        let after: Int
    }

    struct ClassRules: Sendable {
        let name: String
        let include: [Term]
        let exclude: [Term]
        let contexts: [Context]
    }

    let classes: [ClassRules]
    let excludeAll: [Term]
    let minCaptionWords: Int

    public init(recipe: Recipe) {
        func term(_ t: String, _ cs: Set<String>) -> Term {
            let toks = Labeler.tokenize(t).map(\.text)
            let sensitive = cs.contains(t)
            return Term(
                text: t, tokens: sensitive ? toks : toks.map { $0.lowercased() },
                joined: sensitive ? toks.joined() : toks.joined().lowercased(), caseSensitive: sensitive)
        }
        classes = recipe.classes.map { c in
            let cs = Set(c.caseSensitive)
            return ClassRules(
                name: c.name, include: c.include.map { term($0, cs) }, exclude: c.exclude.map { term($0, cs) },
                contexts: (c.contexts ?? []).map { (x: Recipe.ContextRule) -> Context in
                    Context(name: x.name, terms: x.terms.map { term($0, cs) }, before: x.before, after: x.after)
                })
        }
        excludeAll = recipe.excludeAll.map { term($0, []) }
        minCaptionWords = recipe.minCaptionWords
    }

    /// The verdict of the caption rules alone. `matched` also names the contexts that cancelled a match
    /// (`class:context:name`), so a reader sees why a modality word did not count.
    public struct Verdict: Sendable, Equatable {
        public var `class`: String?
        public var reason: String?
        /// `class:term` for every include match that counted, `exclude:term` for exclusions; sorted, unique.
        public var matched: [String]
        public var classes: [String]?
    }

    public func label(caption: String) -> Verdict {
        let tokens = Labeler.tokenize(caption)
        let words = caption.split(whereSeparator: { $0.isWhitespace }).count
        var matched = Set<String>()
        let globalHits = excludeAll.filter { !spans(of: $0, in: tokens).isEmpty }
        if !globalHits.isEmpty {
            for t in globalHits { matched.insert("exclude:\(t.text)") }
            return Verdict(class: nil, reason: "excluded", matched: matched.sorted(), classes: nil)
        }
        var hitClasses: [String] = []
        for c in classes {
            let masks = c.exclude.flatMap { spans(of: $0, in: tokens) }
            let contexts = c.contexts.map { x in (x, x.terms.flatMap { spans(of: $0, in: tokens) }) }
            var counted = false
            for t in c.include {
                for s in spans(of: t, in: tokens) where !masks.contains(where: { $0.overlaps(s) }) {
                    if let hit = contexts.first(where: { x, hits in
                        hits.contains { Labeler.near($0, s, before: x.before, after: x.after) }
                    }) {
                        matched.insert("\(c.name):context:\(hit.0.name)")
                        continue
                    }
                    matched.insert("\(c.name):\(t.text)")
                    counted = true
                }
            }
            if !counted, !masks.isEmpty {
                for t in c.exclude where !spans(of: t, in: tokens).isEmpty {
                    matched.insert("\(c.name):exclude:\(t.text)")
                }
            }
            if counted { hitClasses.append(c.name) }
        }
        if words < minCaptionWords {
            return Verdict(class: nil, reason: "caption-too-short", matched: matched.sorted(), classes: nil)
        }
        switch hitClasses.count {
        case 0: return Verdict(class: nil, reason: "no-rule-matched", matched: matched.sorted(), classes: nil)
        case 1: return Verdict(class: hitClasses[0], reason: nil, matched: matched.sorted(), classes: nil)
        default:
            return Verdict(class: nil, reason: "ambiguous", matched: matched.sorted(), classes: hitClasses.sorted())
        }
    }

    // MARK: tokens

    struct Token: Sendable {
        let text: String
        let lower: String
        /// Range in the caption's unicode scalars, half-open.
        let start: Int
        let end: Int
        /// True when only spaces/hyphens (or nothing) separate this token from the previous one.
        let joinsPrevious: Bool
    }

    static func tokenize(_ s: String) -> [Token] {
        var out: [Token] = []
        var current = String.UnicodeScalarView()
        var start = 0
        var gapIsSoft = true
        var i = 0
        func flush(end: Int) {
            if !current.isEmpty {
                let t = String(current)
                out.append(Token(text: t, lower: t.lowercased(), start: start, end: end, joinsPrevious: gapIsSoft))
                current = String.UnicodeScalarView()
                gapIsSoft = true
            }
        }
        for u in s.unicodeScalars {
            if u.properties.isAlphabetic || u.properties.numericType != nil {
                if current.isEmpty { start = i }
                current.append(u)
            } else if u == "&" {
                flush(end: i)
                out.append(Token(text: "&", lower: "&", start: i, end: i + 1, joinsPrevious: gapIsSoft))
                gapIsSoft = true
            } else {
                flush(end: i)
                let soft =
                    u == " " || u == "-" || u == "\u{2010}" || u == "\u{2011}" || u == "\u{2013}" || u == "\u{00A0}"
                if !soft { gapIsSoft = false }
            }
            i += 1
        }
        flush(end: i)
        return out
    }

    /// True when context span `c` starts at most `before` tokens before include span `s`, ends at most `after`
    /// tokens after it, or overlaps it without being inside it.
    static func near(_ c: Range<Int>, _ s: Range<Int>, before: Int, after: Int) -> Bool {
        if c.upperBound <= s.lowerBound { return s.lowerBound - c.upperBound <= before }
        if c.lowerBound >= s.upperBound { return c.lowerBound - s.upperBound <= after }
        return !(c.lowerBound >= s.lowerBound && c.upperBound <= s.upperBound)
    }

    /// Token index ranges where `term` matches. O(tokens × term length).
    func spans(of term: Term, in tokens: [Token]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        let n = term.tokens.count
        guard n > 0 else { return out }
        for i in tokens.indices {
            let single = term.caseSensitive ? tokens[i].text : tokens[i].lower
            if n > 1, single == term.joined { out.append(i..<(i + 1)); continue }
            guard i + n <= tokens.count else { continue }
            var ok = true
            for k in 0..<n {
                let tok = tokens[i + k]
                let v = term.caseSensitive ? tok.text : tok.lower
                if v != term.tokens[k] || (k > 0 && !tok.joinsPrevious) { ok = false; break }
            }
            if ok { out.append(i..<(i + n)) }
        }
        return out
    }
}
