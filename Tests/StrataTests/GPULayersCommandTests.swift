import Foundation
import StrataRuntime
import Testing
import TestSupport

/// `--gpu-layers` where CUDA cannot run (CI): auto falls back to the CPU with the reason and
/// exit 0, an explicit count is an error naming what is missing. Skipped on a CUDA machine.
@Suite struct GPULayersCommandTests {
    static let cudaRuns: Bool = (try? CUDAToolkit.probe().get()) != nil

    @Test("--gpu-layers auto runs on the CPU and says why, in one line")
    func autoFallsBack() throws {
        guard !Self.cudaRuns else { print("skipped: CUDA is available here"); return }
        let r = try StrataProcess.run(["run", "--model", "models/stories260K.gguf", "--temp", "0", "-n", "200", "--gpu-layers", "auto"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == (try References.stories260KGreedy()) + "\n")
        let lines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("gpu:") }
        #expect(lines.count == 1)
        #expect(lines.first?.contains("no GPU offload") == true && lines.first?.contains("running on the CPU") == true, "\(r.stderr)")
    }

    @Test("--gpu-layers 1 and all without CUDA exit non-zero naming the missing library")
    func explicitCountFails() throws {
        guard !Self.cudaRuns else { print("skipped: CUDA is available here"); return }
        for value in ["1", "all"] {
            let r = try StrataProcess.run(["run", "--model", "models/stories260K.gguf", "-n", "4", "--gpu-layers", value])
            #expect(r.status != 0)
            #expect(r.stdout.isEmpty)
            #expect(r.stderr.contains("--gpu-layers \(value) needs CUDA"), "\(r.stderr)")
            #expect(r.stderr.contains("libcuda.so.1") || r.stderr.contains("NVRTC") || r.stderr.contains("cuBLAS"), "\(r.stderr)")
        }
    }

    @Test("--gpu-layers 0 says nothing about the GPU; a bad value is a usage error")
    func zeroAndBadValues() throws {
        let r = try StrataProcess.run(["run", "--model", "models/stories260K.gguf", "--temp", "0", "-n", "4", "--gpu-layers", "0"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stderr.contains("gpu:"))
        let bad = try StrataProcess.run(["bench", "-m", "models/stories260K.gguf", "--gpu-layers", "many"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("--gpu-layers must be a count, all or auto"))
    }

    @Test("gpu-check without CUDA exits non-zero with the reason")
    func gpuCheckNamesWhatIsMissing() throws {
        guard !Self.cudaRuns else { print("skipped: CUDA is available here"); return }
        let r = try StrataProcess.run(["gpu-check"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("CUDA cannot run here") && r.stderr.contains("libcuda.so.1"), "\(r.stderr)")
    }
}
