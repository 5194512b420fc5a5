import Foundation
import Testing
@testable import StrataRuntime
import TestSupport

/// Compiled modules are kept on disk by source, NVRTC version and architecture.
@Suite struct CUDAKernelCacheTests {
    @Test func compilesOnceThenReads() throws {
        guard let nvrtc = CUDALoadingTests.nvrtc() else { return }
        let directory = Fixtures.temporaryPath("kernel-cache-\(getpid())/nested")
        try? FileManager.default.removeItem(atPath: directory)
        let cache = CUDAKernelCache(directory: directory)
        let first = try cache.module(CUDAKernelSource.source, name: "strata.cu", architecture: 80, nvrtc: nvrtc)
        #expect(!first.cached)
        let second = try cache.module(CUDAKernelSource.source, name: "strata.cu", architecture: 80, nvrtc: nvrtc)
        #expect(second.cached && second.bytes == first.bytes)
        // Another architecture, another output kind or another source is another entry.
        #expect(try !cache.module(CUDAKernelSource.source, name: "strata.cu", architecture: 90, nvrtc: nvrtc).cached)
        #expect(try !cache.module(CUDAKernelSource.source, name: "strata.cu", architecture: 90, output: .cubin, nvrtc: nvrtc).cached)
        #expect(try !cache.module(CUDAKernelSource.source + "\n", name: "strata.cu", architecture: 80, nvrtc: nvrtc).cached)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".tmp") }.isEmpty)

        // A truncated entry is compiled again and replaced.
        let path = cache.path(CUDAKernelSource.source, architecture: 80, output: .ptx, nvrtcVersion: nvrtc.version)
        try Data(first.bytes.prefix(100)).write(to: URL(fileURLWithPath: path))
        let repaired = try cache.module(CUDAKernelSource.source, name: "strata.cu", architecture: 80, nvrtc: nvrtc)
        #expect(!repaired.cached && repaired.bytes == first.bytes)
        #expect(try cache.module(CUDAKernelSource.source, name: "strata.cu", architecture: 80, nvrtc: nvrtc).cached)
    }
}
