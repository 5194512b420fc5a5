// swift-tools-version:6.1
import PackageDescription

/// One settings list for every Swift target.
/// Release builds target the x86-64 vector extensions the kernels are written for
/// (AVX2 + FMA + F16C): `SIMD8<Float>.addProduct` then lowers to `vfmadd…ps ymm`
/// instead of a call to `fmaf` per lane. Debug builds do so for StrataRuntime only.
let vectorFlags: [SwiftSetting] = [
    .unsafeFlags(["-Xcc", "-mavx2", "-Xcc", "-mfma", "-Xcc", "-mf16c"], .when(platforms: [.linux], configuration: .release)),
]
let swiftSettings: [SwiftSetting] = vectorFlags

let package = Package(
    name: "Strata",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "strata", targets: ["strata"]),
        // For Benchmarks/ (a package of its own that measures the kernels).
        .library(name: "StrataRuntime", targets: ["StrataRuntime", "Memory"]),
        // For Fuzz/ (a package of its own: libFuzzer targets for the file and request parsers).
        .library(name: "StrataFuzzing", targets: ["Engine", "Server"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.60.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.20.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.20.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.1.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CJemalloc",
            pkgConfig: "jemalloc",
            providers: [.apt(["libjemalloc-dev"])]
        ),
        .systemLibrary(
            name: "CLZ4",
            pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"])]
        ),
        // The integer block-dot inner loop of quantized matmul (see its header for why it is C).
        // Its x86 kernels carry their own target attributes and are chosen at run time; -O3 in
        // debug too, so the test suite does not crawl through unoptimized intrinsics.
        .target(name: "CQuantDot", cSettings: [.unsafeFlags(["-O3"])]),
        .target(name: "Memory", dependencies: ["CJemalloc", "CLZ4"], swiftSettings: swiftSettings),
        // Sources/Runtime; the module is StrataRuntime because Swift itself ships a module named
        // Runtime (backtracing) that packages probe with canImport(Runtime).
        // Optimized, with the release vector extensions, in debug builds too (as CQuantDot): the
        // tests run real models through these kernels, which unoptimized (and calling `fmaf` per
        // lane) run some 100x slower.
        .target(name: "StrataRuntime", dependencies: ["Memory", "CQuantDot"], path: "Sources/Runtime",
                swiftSettings: swiftSettings + [
                    .unsafeFlags(["-O", "-Xcc", "-mavx2", "-Xcc", "-mfma", "-Xcc", "-mf16c"], .when(platforms: [.linux], configuration: .debug)),
                ]),
        .target(name: "Engine", dependencies: ["StrataRuntime", "Memory"], swiftSettings: swiftSettings),
        .target(
            name: "Server",
            dependencies: [
                "Engine", "Memory",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "strata",
            dependencies: [
                "Server", "Engine", "StrataRuntime", "Memory",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "TestSupport", dependencies: ["Engine", "StrataRuntime", "Memory"], path: "Tests/TestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "MemoryTests", dependencies: ["Memory", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "RuntimeTests", dependencies: ["StrataRuntime", "TestSupport"],
            // llama.cpp's dot products and quantization fixtures, the scripts that made them, and the CUDA
            // host-emulation sources, read from the checkout by the tests.
            exclude: ["DotReference", "Fixtures", "CUDA/HostEmulation"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EngineTests", dependencies: ["Engine", "TestSupport"],
            // Reference outputs and the scripts that made them, read from the checkout by the tests.
            exclude: ["Embeddings/Reference", "Models/Reference", "Formats/QuantizationMixes", "Models/Architectures/README.md",
                      "Models/Architectures/architecture_reference.json", "Models/Architectures/make_architecture_reference.py"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "Server", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StrataTests",
            dependencies: [
                "strata", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            // Run by the tests from the checkout with python3, not a bundle resource.
            exclude: ["openai_client_check.py", "openai_embeddings_check.py", "openai_smollm2_check.py"],
            swiftSettings: swiftSettings
        ),
    ]
)
