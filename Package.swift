// swift-tools-version: 6.1
// pairdx — rebuild the PairDx figure–caption dataset from public sources, reproducibly, and prove it.
import PackageDescription

let strict: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
/// Pixel and tensor loops: optimised in debug builds too, so tests that decode, draw or train stay fast.
let optimisedInDebug: [SwiftSetting] = strict + [.unsafeFlags(["-O"], .when(configuration: .debug))]

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
        .systemLibrary(name: "CJPEG", providers: [.apt(["libturbojpeg0-dev", "libjpeg-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // libpng reports errors by longjmp: the setjmp lives in C so nothing unwinds through Swift.
        .target(name: "CPNG", linkerSettings: [.linkedLibrary("png16")]),
        // The deterministic matrix product (one fused multiply-add chain per element; see its header).
        .target(name: "CGEMM", cSettings: [.unsafeFlags(["-O3", "-ffp-contract=off"])]),

        .target(name: "PairDxCore", dependencies: ["CCrypto"]),
        .target(name: "Ingest", dependencies: ["PairDxCore", "CCurl", "CXML2"],
                swiftSettings: [.unsafeFlags(["-Ounchecked", "-enforce-exclusivity=unchecked"], .when(configuration: .release))]),
        .target(name: "Imaging", dependencies: ["PairDxCore", "CPNG", "CJPEG"], swiftSettings: optimisedInDebug),
        .target(name: "Curation", dependencies: ["PairDxCore", "Imaging"]),
        .target(name: "Training", dependencies: ["PairDxCore", "Imaging", "COpenBLAS", "CGEMM"], exclude: ["Core/README.md"], swiftSettings: optimisedInDebug),
        .target(name: "Synth", dependencies: ["PairDxCore", "Imaging"], swiftSettings: optimisedInDebug),
        .target(name: "MirrorServer", dependencies: ["PairDxCore", .product(name: "FlyingFox", package: "FlyingFox"),
                                               .product(name: "FlyingSocks", package: "FlyingFox")]),
        .target(name: "Pipeline", dependencies: ["PairDxCore", "Ingest", "Imaging", "Curation", "Synth"]),
        .executableTarget(name: "pairdx", dependencies: [
            "PairDxCore", "Ingest", "Imaging", "Curation", "Training", "Synth", "MirrorServer", "Pipeline",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "PairDxCoreTests", dependencies: ["PairDxCore"]),
        .testTarget(name: "IngestTests", dependencies: ["Ingest", "MirrorServer", "PairDxCore"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "PairDxCore"]),
        .testTarget(name: "CurationTests", dependencies: ["Curation", "PairDxCore"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "PairDxCore"], resources: [.copy("Fixtures")]),
        .testTarget(name: "SynthTests", dependencies: ["Synth", "Imaging", "PairDxCore"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "PairDxCore"]),
    ],
    swiftLanguageModes: [.v6]
)
