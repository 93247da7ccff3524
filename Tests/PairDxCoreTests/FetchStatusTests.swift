import Foundation
import Testing
@testable import PairDxCore

/// Fetch statuses are typed, and every string read from a file is written back byte for byte.
@Suite struct FetchStatusTests {
    @Test func everyStringReadsBackAsItWasWritten() throws {
        let strings = [
            "ok", "retracted", "not-open-access", "no-figures", "not found", "media-missing", "too-large",
            "metadata-error: PMC1.1.json: unusable xml_url", "xml-error: PMC2.1.xml not found", "http-error: ",
            "http-error: md5-mismatch", "unsupported-format: tif", "not-an-image: html", "unsafe-name: ../x.png",
            "not-fetched", "not-fetched: caption has no class", "a-reason-from-later: with: colons", "weird", ""
        ]
        for s in strings {
            let status = FetchStatus(rawValue: s)
            #expect(status.rawValue == s)
            let json = try CanonicalJSON.string(ArticleRecord(pmcid: "PMC1", version: 1, status: status))
            #expect(json.contains("\"status\":\(try CanonicalJSON.string(s))"), "\(json)")
            #expect(try JSONDecoder().decode(ArticleRecord.self, from: Data(json.utf8)).status == status)
        }
    }

    @Test func knownReasonsAreTypedAndUnknownOnesKept() {
        #expect(FetchStatus(rawValue: "ok") == .ok && FetchStatus(rawValue: "ok").isOK)
        #expect(FetchStatus(rawValue: "not found").reason == .notFound)
        #expect(
            FetchStatus(rawValue: "metadata-error: PMC1.json names PMC2")
                == FetchStatus(.metadataError, "PMC1.json names PMC2"))
        #expect(FetchStatus(rawValue: "not-fetched: caption has no class") == .captionUnlabelled)
        #expect(FetchStatus(rawValue: "quarantined: virus").reason == .other("quarantined"))
        #expect(!FetchStatus(rawValue: "ok ").isOK, "no trimming: the bytes are the status")
        for reason in FetchStatus.Reason.known { #expect(FetchStatus.Reason(rawValue: reason.rawValue) == reason) }
    }
}
