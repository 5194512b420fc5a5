// swift-tools-version:6.1
import PackageDescription

// Micro-benchmarks of the Runtime kernels (ordo-one/benchmark): `swift package benchmark` from
// this folder. A package of its own, so the main build and its tests never build the harness.
let package = Package(
    name: "StrataBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Strata", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "KernelBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "StrataRuntime", package: "Strata"),
            ],
            path: "Benchmarks/KernelBenchmarks",
            swiftSettings: [
                // The same vector extensions as the main package's release build.
                .unsafeFlags(["-Xcc", "-mavx2", "-Xcc", "-mfma", "-Xcc", "-mf16c"], .when(platforms: [.linux])),
            ],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
