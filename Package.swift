// swift-tools-version: 6.1
// pairdx — rebuild the PairDx figure–caption dataset from public sources, reproducibly, and prove it.
import PackageDescription

/// Pixel and tensor loops: optimised in debug builds too, so tests that decode, draw or train stay fast. Every
/// module keeps Swift's overflow, bounds and exclusivity checks in every configuration (README "Reliability").
let optimisedInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "pairdx",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "pairdx", targets: ["pairdx"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swhitty/FlyingFox", exact: "0.27.1"),
    ],
    targets: [
        // System libraries: a module map and a thin shim header each.
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // libpng reports errors by longjmp: the setjmp lives in C so nothing unwinds through Swift.
        .target(name: "CPNG", linkerSettings: [.linkedLibrary("png16")]),
        // libjpeg's decoder reports errors by longjmp too (TurboJPEG, used to encode, does not).
        .target(name: "CJPEG", linkerSettings: [.linkedLibrary("turbojpeg"), .linkedLibrary("jpeg")]),
        // The deterministic matrix product (one fused multiply-add chain per element; see its header).
        .target(name: "CGEMM", cSettings: [.unsafeFlags(["-O3", "-ffp-contract=off"])]),

        .target(name: "PairDxCore", dependencies: ["CCrypto"]),
        .target(name: "Ingest", dependencies: ["PairDxCore", "CCurl", "CXML2"]),
        .target(name: "Imaging", dependencies: ["PairDxCore", "CPNG", "CJPEG"], swiftSettings: optimisedInDebug),
        .target(name: "Curation", dependencies: ["PairDxCore", "Imaging"]),
        .target(name: "Training", dependencies: ["PairDxCore", "Imaging", "Curation", "COpenBLAS", "CGEMM", "CZlib"], exclude: ["Core/README.md"], swiftSettings: optimisedInDebug),
        .target(name: "Synth", dependencies: ["PairDxCore", "Imaging"], swiftSettings: optimisedInDebug),
        .target(name: "MirrorServer", dependencies: ["PairDxCore", .product(name: "FlyingFox", package: "FlyingFox"),
                                               .product(name: "FlyingSocks", package: "FlyingFox")]),
        .target(name: "Pipeline", dependencies: ["PairDxCore", "Ingest", "Imaging", "Curation", "Synth"]),
        .executableTarget(name: "pairdx", dependencies: [
            "PairDxCore", "Ingest", "Imaging", "Curation", "Training", "Synth", "MirrorServer", "Pipeline",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Prerequisites of tests (Python tools, data folders, the built executable): skipped with a reason, a failure under CI=true.
        .target(name: "PairDxTestSupport", path: "Tests/PairDxTestSupport"),
        .testTarget(name: "PairDxCoreTests", dependencies: ["PairDxCore"]),
        .testTarget(name: "IngestTests", dependencies: ["PairDxTestSupport", "Ingest", "MirrorServer", "PairDxCore"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "PairDxCore"]),
        .testTarget(name: "CurationTests", dependencies: ["PairDxTestSupport", "Curation", "PairDxCore"], exclude: ["Fixtures"]),
        .testTarget(name: "TrainingTests", dependencies: ["PairDxTestSupport", "Training", "Curation", "PairDxCore"], resources: [.copy("Fixtures")]),
        .testTarget(name: "SynthTests", dependencies: ["Synth", "Imaging", "PairDxCore"]),
        .testTarget(name: "PipelineTests", dependencies: ["PairDxTestSupport", "Pipeline", "Curation", "PairDxCore"], exclude: ["Fixtures"]),
        .testTarget(name: "MirrorServerTests", dependencies: ["PairDxTestSupport", "MirrorServer", "PairDxCore"]),
    ],
    swiftLanguageModes: [.v6]
)
