import Foundation

/// How a caption relates to its image's class (recorded in the truth file).
enum CaptionKind: String, Sendable, CaseIterable, Codable {
    /// Exactly one class named, the true one.
    case clear
    /// Exactly one class named (the true one), only after the 24th word of a 30–80-word caption.
    case late
    /// No class term at all.
    case none
    /// Terms of two classes, one of them the true one.
    case two
    /// Only a wrong modality named (as history), or the true one next to "CT-guided" (vetoed by the exclude rule).
    case misleading
    /// An exclude-from-every-class term ("schematic diagram of …").
    case excluded

    /// Share of captions of each kind (the remainder after these is `clear`).
    static let shares: [(CaptionKind, Double)] = [
        (.clear, 0.52), (.late, 0.20), (.none, 0.10), (.two, 0.08), (.misleading, 0.05), (.excluded, 0.05)
    ]

    static func draw(_ rng: inout SynthRandom) -> CaptionKind { shares[rng.weighted(shares.map(\.1))].0 }
}

/// A caption as JATS needs it: an optional title sentence and a paragraph, both XML fragments.
struct Caption: Sendable, Equatable {
    var title: String?
    var paragraph: String
    /// Plain text as a parser joining title and paragraph would see it.
    var plain: String { Markup.plain([title, paragraph].compactMap { $0 }.joined(separator: " ")) }
}

/// Writes captions of a given kind for a given true class, and checks each against the class-term rules.
enum CaptionWriter {
    /// A caption of `kind` for an image of class `truth`, or after a few retries the closest valid one.
    /// The result always satisfies `check(_:kind:truth:)`: retried with fresh draws until it does
    /// (the pools are built so the first draw almost always passes).
    static func write(kind: CaptionKind, truth: SynthClass, rng: inout SynthRandom) -> Caption {
        for _ in 0..<50 {
            let c = attempt(kind: kind, truth: truth, rng: &rng)
            if check(c, kind: kind, truth: truth) { return c }
        }
        preconditionFailure("caption pools cannot produce a \(kind) caption for \(truth)")
    }

    /// Whether `caption` is of `kind` for class `truth` under the labeller's rules.
    static func check(_ caption: Caption, kind: CaptionKind, truth: SynthClass) -> Bool {
        let text = caption.plain
        let words = Markup.words(text)
        guard words.count >= 10, words.count <= 80 else { return false }
        let named = ClassTerms.classes(in: text)
        let excluded = ClassTerms.isExcluded(text)
        switch kind {
        case .clear: return !excluded && named == [truth]
        case .late:
            let head = words.prefix(24).joined(separator: " ")
            return !excluded && named == [truth] && words.count >= 30 && ClassTerms.classes(in: head).isEmpty
                && !containsAnyTerm(head)
        case .none: return !excluded && named.isEmpty && !containsAnyTerm(text)
        case .two: return !excluded && named.count == 2 && named.contains(truth)
        case .misleading:
            return !excluded
                && (named.count == 1 && !named.contains(truth) || named == [truth] && text.contains("CT-guided"))
        case .excluded: return excluded
        }
    }

    /// True when any include term of any class occurs, even one vetoed by an exclude term.
    private static func containsAnyTerm(_ text: String) -> Bool {
        ClassTerms.classes(in: text.replacingOccurrences(of: "CT-guided", with: "CT")).isEmpty == false
    }

    private static func attempt(kind: CaptionKind, truth: SynthClass, rng: inout SynthRandom) -> Caption {
        var sentences: [String] = []
        let anat = anatomy(for: truth, rng: &rng)
        func lead(_ opener: String) -> String {
            var s = fill(opener, anat: anat, rng: &rng)
            if rng.chance(0.8) { s += " " + finding(for: truth, rng: &rng) }
            if rng.chance(0.6) {
                s += " " + fill(rng.pick(Vocabulary.context), anat: anat, capitalize: false, rng: &rng)
            }
            return s + "."
        }
        let minWords: Int, maxWords: Int
        switch kind {
        case .clear:
            sentences.append(lead(rng.pick(Vocabulary.modalityLeads[truth]!)))
            (minWords, maxWords) = (10, rng.int(14...60))
        case .late:
            sentences.append(lead(rng.pick(Vocabulary.neutralOpeners)))
            (minWords, maxWords) = (30, rng.int(34...80))
        case .none:
            sentences.append(lead(rng.pick(Vocabulary.neutralOpeners)))
            (minWords, maxWords) = (10, rng.int(12...50))
        case .two:
            var other = rng.pick(SynthClass.allCases)
            while other == truth { other = rng.pick(SynthClass.allCases) }
            if rng.chance(0.5) {
                sentences.append(lead(rng.pick(Vocabulary.modalityLeads[truth]!)))
                sentences.append(
                    fill(rng.pick(Vocabulary.mentionSentences), anat: anat, mention: mention(other, &rng), rng: &rng))
            } else {
                sentences.append(lead(rng.pick(Vocabulary.modalityLeads[other]!)))
                sentences.append(
                    fill(rng.pick(Vocabulary.mentionSentences), anat: anat, mention: mention(truth, &rng), rng: &rng))
            }
            (minWords, maxWords) = (12, rng.int(16...60))
        case .misleading:
            if truth == .histopathology || rng.chance(0.15) {
                sentences.append(lead(rng.pick(Vocabulary.modalityLeads[truth]!)))
                sentences.append(
                    rng.pick([
                        "Tissue was obtained by CT-guided biopsy.", "Sampling followed CT-guided needle localisation.",
                        "The specimen came from a CT-guided core biopsy."
                    ]))
            } else {
                var other = rng.pick(SynthClass.allCases)
                while other == truth { other = rng.pick(SynthClass.allCases) }
                sentences.append(lead(rng.pick(Vocabulary.neutralOpeners)))
                sentences.append(
                    fill(rng.pick(Vocabulary.priorSentences), anat: anat, mention: mention(other, &rng), rng: &rng))
            }
            (minWords, maxWords) = (12, rng.int(16...60))
        case .excluded:
            var s = rng.pick(Vocabulary.excludedLeads)
            if rng.chance(0.5) { s += " for patients who underwent " + mention(rng.pick(SynthClass.allCases), &rng) }
            sentences.append(s + ".")
            (minWords, maxWords) = (10, rng.int(12...40))
        }
        // Pad with neutral sentences; a late caption gets its class mention only once 24 words have passed.
        var count = wordCount(sentences)
        var extras = Vocabulary.extras
        rng.shuffle(&extras)
        var next = 0
        func pad(until target: Int) {
            while count < target && next < extras.count {
                let s = fill(extras[next], anat: anat, rng: &rng)
                next += 1
                if count + wordCount([s]) > maxWords && count >= minWords { break }
                sentences.append(s); count += wordCount([s])
            }
        }
        if kind == .late {
            pad(until: 26)
            let m = fill(rng.pick(Vocabulary.mentionSentences), anat: anat, mention: mention(truth, &rng), rng: &rng)
            sentences.append(m); count += wordCount([m])
            pad(until: max(minWords, min(maxWords, count + rng.int(0...12))))
        } else {
            pad(until: max(minWords, min(maxWords, count + rng.int(0...25))))
        }
        // The first sentence becomes the title most of the time.
        if sentences.count > 1 && rng.chance(0.7) {
            return Caption(title: sentences[0], paragraph: sentences.dropFirst().joined(separator: " "))
        }
        return Caption(title: nil, paragraph: sentences.joined(separator: " "))
    }

    private static func wordCount(_ sentences: [String]) -> Int { sentences.reduce(0) { $0 + Markup.words($1).count } }

    private static func anatomy(for truth: SynthClass, rng: inout SynthRandom) -> String {
        if rng.chance(0.6) {
            let typical = Vocabulary.anatomy.filter { $0.1.contains(truth) }
            return rng.pick(typical).0
        }
        return rng.pick(Vocabulary.anatomy).0
    }

    private static func finding(for truth: SynthClass, rng: inout SynthRandom) -> String {
        rng.chance(0.35) ? rng.pick(Vocabulary.classFindings[truth]!) : rng.pick(Vocabulary.sharedFindings)
    }

    private static func mention(_ c: SynthClass, _ rng: inout SynthRandom) -> String {
        let m = rng.pick(Vocabulary.mentions[c]!)
        return rng.chance(0.1) ? "<italic>\(m)</italic>" : m
    }

    /// Replaces `{a}` (anatomy), `{m}` (mention), `{n}` (a number), `{c}` (complaint); capitalises the start of sentences.
    static func fill(
        _ template: String, anat: String, mention: String = "", capitalize: Bool = true, rng: inout SynthRandom
    ) -> String {
        var s = template.replacingOccurrences(of: "{a}", with: anat).replacingOccurrences(of: "{m}", with: mention)
            .replacingOccurrences(of: "{c}", with: rng.pick(Vocabulary.complaints))
        while let r = s.range(of: "{n}") { s.replaceSubrange(r, with: String(rng.int(2...79))) }
        if capitalize, let f = s.first, f.isLowercase { s = f.uppercased() + s.dropFirst() }
        return s
    }
}
