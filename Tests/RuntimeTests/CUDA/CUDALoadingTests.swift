import Testing
@testable import StrataRuntime
import TestSupport

/// Loading CUDA's libraries at run time: what is missing is named, never a crash.
@Suite struct CUDALoadingTests {
    /// NVRTC from PyPI, where `make test` put it (`scripts/fetch-nvrtc.sh`).
    static let nvrtcDirectory = Fixtures.repositoryRoot + "/.build-nvrtc/lib"

    /// NVRTC, or nil after printing why the calling test is skipped.
    static func nvrtc() -> NVRTC? {
        do {
            return try NVRTC(directories: [nvrtcDirectory])
        } catch {
            print("skipped: NVRTC not available (\(error)); `make test` fetches it into .build-nvrtc/lib")
            return nil
        }
    }

    @Test func aMissingLibraryNamesEveryPathTried() {
        #expect {
            try DynamicLibrary.open("libnothing", names: ["libstrata-nothing.so.1", "libstrata-nothing.so"], directories: ["/nonexistent"])
        } throws: { error in
            guard case CUDAError.libraryNotFound(let library, let tried, let reason) = error else { return false }
            return library == "libnothing" && tried == ["/nonexistent/libstrata-nothing.so.1", "/nonexistent/libstrata-nothing.so",
                                                        "libstrata-nothing.so.1", "libstrata-nothing.so"]
                && reason.contains("/nonexistent/libstrata-nothing.so.1")
                && (error as! CUDAError).description.hasPrefix("libnothing not found (tried /nonexistent/")
        }
    }

    @Test func aMissingSymbolIsNamed() throws {
        let libc = try DynamicLibrary.open("libc", names: ["libc.so.6"])
        let strlen: @convention(c) (UnsafePointer<CChar>) -> Int = try libc.function("strlen")
        #expect(strlen("four") == 4)
        #expect(throws: CUDAError.missingSymbol(library: "libc.so.6", symbol: "cuNothing")) {
            let _: @convention(c) () -> Int32 = try libc.function("cuNothing")
        }
    }

    /// Without the driver (this machine's case in CI) the probe says so; with one, it finds a device.
    @Test func theProbeNamesWhatIsMissing() {
        switch CUDAToolkit.probe(directories: []) {
        case .success(let toolkit):
            #expect(toolkit.device.totalBytes > 0)
            #expect(toolkit.device.architecture >= 50)
        case .failure(let error):
            let description = error.description
            #expect(!description.isEmpty)
            if case .libraryNotFound(let library, _, _) = error {
                #expect(["the CUDA driver", "NVRTC", "cuBLAS"].contains(library))
            }
        }
    }

    @Test func nvrtcCompilesAKernelAndReportsErrors() throws {
        guard let nvrtc = Self.nvrtc() else { return }
        #expect(nvrtc.version.major >= 12)
        let source = #"extern "C" __global__ void twice(float* x, int n) { int i = blockIdx.x * blockDim.x + threadIdx.x; if (i < n) x[i] *= 2.0f; }"#
        let ptx = try nvrtc.compile(source, name: "twice.cu", architecture: 90)
        let text = String(decoding: ptx.prefix { $0 != 0 }, as: UTF8.self)
        #expect(text.contains(".entry twice"))
        #expect(text.contains(".target sm_90"))
        let cubin = try nvrtc.compile(source, name: "twice.cu", architecture: 90, output: .cubin)
        #expect(cubin.starts(with: [0x7F, 0x45, 0x4C, 0x46]))  // an ELF image

        #expect {
            try nvrtc.compile("__global__ void broken() { undeclared = 1; }", name: "broken.cu", architecture: 90)
        } throws: { error in
            guard case CUDAError.compilation(let program, let architecture, let log) = error else { return false }
            return program == "broken.cu" && architecture == "compute_90" && log.contains("undeclared")
        }
    }
}

/// Kernel arguments as the driver reads them: one 8-byte slot each, read through its pointer.
@Suite struct KernelArgumentsTests {
    @Test func slotsHoldEachValueLittleEndian() {
        let arguments = KernelArguments()
        arguments.append(Int32(-2))
        arguments.append(1.5 as Float)
        arguments.append(address: 0xDEAD_BEEF_0000)
        arguments.append(Int(1) << 40)
        #expect(arguments.count == 4)
        #expect(UInt32(truncatingIfNeeded: arguments.bits(0)) == UInt32(bitPattern: -2))
        #expect(Float(bitPattern: UInt32(truncatingIfNeeded: arguments.bits(1))) == 1.5)
        #expect(arguments.bits(2) == 0xDEAD_BEEF_0000)
        #expect(arguments.bits(3) == 1 << 40)
        arguments.removeAll()
        arguments.append(Int32(7))
        #expect(arguments.count == 1 && arguments.bits(0) == 7)
    }
}
