import Testing
@testable import Ingest

@Suite struct MediaResolverTests {
    static let key = "PMC7.1"
    static func urls(_ names: [String]) -> [String] { names.map { "s3://pmc-oa-opendata/PMC7.1/\($0)" } }

    @Test func hrefWithAnotherExtensionResolvesByStem() {
        let r = MediaResolver.resolve(
            href: "elife-00666-fig1.tif",
            mediaURLs: Self.urls(["elife-00666-fig1.png", "elife-00666-fig1.jpg"]), articleKey: Self.key)
        #expect(r == .media(name: "elife-00666-fig1.jpg", location: "s3://pmc-oa-opendata/PMC7.1/elife-00666-fig1.jpg"))
        let png = MediaResolver.resolve(
            href: "elife-00666-fig2.TIF", mediaURLs: Self.urls(["elife-00666-fig2.png"]), articleKey: Self.key)
        #expect(
            png == .media(name: "elife-00666-fig2.png", location: "s3://pmc-oa-opendata/PMC7.1/elife-00666-fig2.png"))
    }

    @Test func stemMatchKeepsPreferenceAndUnsupportedFormats() {
        // Only a TIFF under the stem: still unsupported, named.
        #expect(
            MediaResolver.resolve(href: "fig3.tif", mediaURLs: Self.urls(["fig3.tiff"]), articleKey: Self.key)
                == .unsupported("tif", name: "fig3.tiff"))
        // The href's exact file is not preferred over a decodable one with the same stem.
        #expect(
            MediaResolver.resolve(
                href: "fig4.gif", mediaURLs: Self.urls(["fig4.gif", "fig4.png"]), articleKey: Self.key)
                == .media(name: "fig4.png", location: "s3://pmc-oa-opendata/PMC7.1/fig4.png"))
    }

    @Test func extensionlessHrefsKeepTheirDots() {
        // `g001` is not a media extension: it stays part of the stem.
        #expect(
            MediaResolver.resolve(
                href: "pone.0046493.g001", mediaURLs: Self.urls(["pone.0046493.g001.jpg"]), articleKey: Self.key)
                == .media(name: "pone.0046493.g001.jpg", location: "s3://pmc-oa-opendata/PMC7.1/pone.0046493.g001.jpg"))
        #expect(
            MediaResolver.resolve(
                href: "pone.0046493.g001", mediaURLs: Self.urls(["pone.0046493.jpg"]), articleKey: Self.key) == .missing
        )
        #expect(
            MediaResolver.resolve(href: "fig5.tif", mediaURLs: Self.urls(["fig6.jpg"]), articleKey: Self.key)
                == .missing)
    }

    @Test func safetyRulesStillApplyToStemMatches() {
        #expect(
            MediaResolver.resolve(href: "../fig1.tif", mediaURLs: Self.urls(["fig1.jpg"]), articleKey: Self.key)
                == .unsafe("../fig1.tif"))
        #expect(
            MediaResolver.resolve(
                href: "fig1.tif", mediaURLs: ["s3://pmc-oa-opendata/PMC1.1/fig1.jpg"], articleKey: Self.key)
                == .unsafe("fig1.jpg"))
    }
}
