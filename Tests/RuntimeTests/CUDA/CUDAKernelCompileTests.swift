import Testing
@testable import StrataRuntime

/// The kernel source compiles with NVRTC for the architectures Strata targets, and every
/// entry point is in the PTX. Skipped, saying so, where NVRTC is absent.
@Suite struct CUDAKernelCompileTests {
    @Test(arguments: [70, 80, 90])
    func everyKernelCompiles(_ architecture: Int) throws {
        guard let nvrtc = CUDALoadingTests.nvrtc() else { return }
        let ptx = try nvrtc.compile(CUDAKernelSource.source, name: "strata.cu", architecture: architecture)
        let text = String(decoding: ptx.prefix { $0 != 0 }, as: UTF8.self)
        for kernel in CUDAKernelSource.kernels {
            #expect(text.contains(".entry \(kernel)("), "\(kernel) for compute_\(architecture)")
        }
    }
}
