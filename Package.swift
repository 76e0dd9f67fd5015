// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Shears",
    products: [
        .library(name: "Linalg", targets: ["Linalg"]),
        .library(name: "ShearsNet", targets: ["ShearsNet"]),
        .library(name: "ShearsPrune", targets: ["ShearsPrune"]),
        .library(name: "ShearsExperiments", targets: ["ShearsExperiments"]),
        .executable(name: "shears", targets: ["ShearsCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenBLAS",
            path: "Modules/COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev", "pkg-config"])]
        ),
        .systemLibrary(
            name: "CZlib",
            path: "Modules/CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(name: "Linalg", dependencies: ["COpenBLAS"]),
        // glibc's malloc tuning (mallopt), header only; the CLI's, never a library's.
        .systemLibrary(name: "CMalloc", path: "Modules/CMalloc"),
        // The direct 3x3 convolution kernels (AVX2 + FMA, chosen at run time), C: `Conv2D+Direct.swift`.
        // Optimised in debug builds too: the Winograd tiles are intrinsics, which at -O0 spill
        // every vector to memory and made the test suite's whole-test-set inference checks
        // several times slower (the direct kernels are inline assembly and did not care).
        .target(name: "CDirectConvolution", cSettings: [.unsafeFlags(["-O2"])]),
        .target(name: "ShearsNet", dependencies: ["Linalg", "CZlib", "CDirectConvolution"]),
        .target(name: "ShearsPrune", dependencies: ["ShearsNet", "Linalg"]),
        // The experiment harness (`shears curve`): configuration, grid, runner, store.
        .target(name: "ShearsExperiments", dependencies: ["ShearsPrune", "ShearsNet", "Linalg", "Yams"]),
        .executableTarget(
            name: "ShearsCLI",
            dependencies: [
                "Linalg",
                "ShearsNet",
                "ShearsPrune",
                "ShearsExperiments",
                "COpenBLAS",
                "CMalloc",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "LinalgTests", dependencies: ["Linalg"]),
        .testTarget(name: "ShearsNetTests", dependencies: ["ShearsNet"]),
        .testTarget(name: "ShearsPruneTests", dependencies: ["ShearsPrune"]),
        .testTarget(name: "ShearsExperimentsTests", dependencies: ["ShearsExperiments"]),
        .testTarget(name: "CLITests", dependencies: ["ShearsCLI", "ShearsNet"]),
    ]
)
