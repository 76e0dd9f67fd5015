// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Shears",
    products: [
        .library(name: "Linalg", targets: ["Linalg"]),
        .executable(name: "shears", targets: ["ShearsCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenBLAS",
            path: "Modules/COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev", "pkg-config"])]
        ),
        .target(name: "Linalg", dependencies: ["COpenBLAS"]),
        .executableTarget(
            name: "ShearsCLI",
            dependencies: [
                "Linalg",
                "COpenBLAS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "LinalgTests", dependencies: ["Linalg"]),
    ]
)
