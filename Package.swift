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
        .executable(name: "pairdx", targets: ["pairdx"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swhitty/FlyingFox", exact: "0.27.1")
    ],
    targets: [
        // System libraries: a module map and a thin shim header each.
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // PNG: our decoder on libdeflate (whole-stream inflate) and zlib (row by row), optimised in debug builds too;
        // libpng encodes and is the decoder tests compare against (its longjmp errors are caught in C).
        .target(
            name: "CPNG", cSettings: [.unsafeFlags(["-O2"])],
            linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("deflate"), .linkedLibrary("z")]),
        // libjpeg's decoder reports errors by longjmp too (TurboJPEG, used to encode, does not); messages go through
        // CPNG's pdx_copy_message.
        .target(
            name: "CJPEG", dependencies: ["CPNG"],
            linkerSettings: [.linkedLibrary("turbojpeg"), .linkedLibrary("jpeg")]),
        // The deterministic matrix product (one fused multiply-add chain per element; see its header).
        .target(name: "CGEMM", cSettings: [.unsafeFlags(["-O3", "-ffp-contract=off"])]),

        .target(name: "PairDxCore", dependencies: ["CCrypto"]),
        .target(name: "Ingest", dependencies: ["PairDxCore", "CCurl", "CXML2"]),
        .target(name: "Imaging", dependencies: ["PairDxCore", "CPNG", "CJPEG"], swiftSettings: optimisedInDebug),
        .target(name: "Curation", dependencies: ["PairDxCore", "Imaging"]),
        .target(
            name: "Training", dependencies: ["PairDxCore", "Imaging", "Curation", "COpenBLAS", "CGEMM", "CZlib"],
            exclude: ["Core/README.md"], swiftSettings: optimisedInDebug),
        // The published table, the comparison rows and their verdicts, the validation report, the validate estimate.
        .target(name: "Validation", dependencies: ["PairDxCore", "Imaging", "Curation", "Training"]),
        .target(name: "Synth", dependencies: ["PairDxCore", "Imaging"], swiftSettings: optimisedInDebug),
        .target(
            name: "MirrorServer",
            dependencies: [
                "PairDxCore", .product(name: "FlyingFox", package: "FlyingFox"),
                .product(name: "FlyingSocks", package: "FlyingFox")
            ]),
        .target(
            name: "Pipeline",
            dependencies: ["PairDxCore", "Ingest", "Imaging", "Curation", "Synth", "Training", "Validation"]),
        .executableTarget(
            name: "pairdx",
            dependencies: [
                "PairDxCore", "Ingest", "Imaging", "Curation", "Training", "Validation", "Synth", "MirrorServer",
                "Pipeline",
                .product(name: "ArgumentParser", package: "swift-argument-parser")
            ]),

        // Prerequisites of tests (Python tools, data folders, the built executable): skipped with a reason, a failure under CI=true.
        .target(name: "PairDxTestSupport", path: "Tests/PairDxTestSupport"),
        .testTarget(name: "PairDxCoreTests", dependencies: ["PairDxTestSupport", "PairDxCore"]),
        .testTarget(name: "IngestTests", dependencies: ["PairDxTestSupport", "Ingest", "MirrorServer", "PairDxCore"]),
        .testTarget(name: "ImagingTests", dependencies: ["PairDxTestSupport", "Imaging", "PairDxCore"]),
        .testTarget(
            name: "CurationTests", dependencies: ["PairDxTestSupport", "Curation", "PairDxCore"], exclude: ["Fixtures"]),
        // Corpora, recipes and model files that the Training and Validation tests both build.
        .target(
            name: "TrainingTestSupport",
            dependencies: ["PairDxTestSupport", "Training", "Curation", "Imaging", "PairDxCore"],
            path: "Tests/TrainingTestSupport"),
        .testTarget(
            name: "TrainingTests",
            dependencies: ["PairDxTestSupport", "TrainingTestSupport", "Training", "Curation", "PairDxCore"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "ValidationTests",
            dependencies: [
                "PairDxTestSupport", "TrainingTestSupport", "Validation", "Training", "Curation", "PairDxCore"
            ]),
        .testTarget(name: "SynthTests", dependencies: ["PairDxTestSupport", "Synth", "Imaging", "PairDxCore"]),
        .testTarget(
            name: "PipelineTests",
            dependencies: [
                "PairDxTestSupport", "Pipeline", "Curation", "Imaging", "Ingest", "MirrorServer", "PairDxCore"
            ],
            exclude: ["Fixtures"]),
        .testTarget(name: "MirrorServerTests", dependencies: ["PairDxTestSupport", "MirrorServer", "PairDxCore"])
    ],
    swiftLanguageModes: [.v6]
)
