// swift-tools-version:5.4
// 5.4, not the main package's 6.1: from 5.5 on SwiftPM renames an executable's entry point to
// `<Target>_main` and links `main` to it, which leaves a libFuzzer target (no `main` of its own:
// libFuzzer's is linked by `-sanitize=fuzzer`) with an undefined symbol.
import PackageDescription

// libFuzzer targets for the parsers of untrusted input: `make fuzz` from the repository root
// (Fuzz/README.md). A package of its own, so the main build and its tests never build them.
// Built with `-Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library` (fuzz.sh): every
// target defines only `LLVMFuzzerTestOneInput`.
let strata: Target.Dependency = .product(name: "StrataFuzzing", package: "Strata")

let package = Package(
    name: "StrataFuzz",
    platforms: [.macOS("15.0")],
    dependencies: [
        .package(name: "Strata", path: ".."),
    ],
    targets: [
        // The input as a file in RAM, for the parsers that open a path.
        .target(name: "FuzzSupport"),
        .executableTarget(name: "FuzzGGUF", dependencies: [strata, "FuzzSupport"]),
        .executableTarget(name: "FuzzSafetensors", dependencies: [strata, "FuzzSupport"]),
        .executableTarget(name: "FuzzLlama2C", dependencies: [strata, "FuzzSupport"]),
        .executableTarget(name: "FuzzLlama2CTokenizer", dependencies: [strata, "FuzzSupport"]),
        .executableTarget(name: "FuzzTokenizerJSON", dependencies: [strata, "FuzzSupport"]),
        .executableTarget(name: "FuzzChatTemplate", dependencies: [strata, "FuzzSupport"]),
        .executableTarget(name: "FuzzRequest", dependencies: [strata, "FuzzSupport"]),
        .executableTarget(name: "FuzzStructuredOutput", dependencies: [strata, "FuzzSupport"]),
    ]
)
