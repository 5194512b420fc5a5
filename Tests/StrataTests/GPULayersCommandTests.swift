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

    /// The host emulation's CUDA (`HostKernels`: a fake driver, NVRTC and cuBLAS running the
    /// real kernels on the host), found through STRATA_CUDA_PATH like an installed one.
    static func emulatedCUDA(deviceMiB: Int = 4096) throws -> [String: String] {
        let kernels = try HostKernels.shared.get()
        return ["STRATA_CUDA_PATH": kernels.fakeCUDADirectory, "STRATA_FAKE_CUDA_MIB": String(deviceMiB),
                "STRATA_CACHE_DIR": Fixtures.temporaryPath("gpu-layers-cache-\(getpid())")]
    }

    @Test("--gpu-layers all on the emulated device: stories260K's greedy text, the plan, the upload, the gpu tier")
    func offloadRunsTheSameText() throws {
        let greedy = try References.stories260KGreedy()
        for value in ["all", "3", "auto"] {
            let r = try StrataProcess.run(["run", "--model", "models/stories260K.gguf", "--temp", "0", "-n", "30", "--gpu-layers", value],
                                          environment: try Self.emulatedCUDA())
            #expect(r.status == 0, "\(r.stderr)")
            #expect(!r.stdout.isEmpty && greedy.hasPrefix(r.stdout.dropLast()), "\(value): \(r.stdout)")
            let layers = value == "3" ? "3 of 6 layers" : "6 of 6 layers"
            #expect(r.stderr.contains("gpu: \(layers) on cuda:0 (Strata host emulation)"), "\(r.stderr)")
            #expect(r.stderr.contains("gpu: cuda:0 ready:") && r.stderr.contains("of weights uploaded"), "\(r.stderr)")
            #expect(r.stderr.contains(" | gpu "), "the memory line shows the gpu tier: \(r.stderr)")
            #expect(r.stderr.contains("heap/step 0.0 B"), "a decode step on the device allocates nothing: \(r.stderr)")
        }
    }

    @Test("a device too small: auto runs on the CPU saying so, an explicit count exits non-zero with the sizes")
    func tooSmallADevice() throws {
        let environment = try Self.emulatedCUDA(deviceMiB: 256)
        let auto = try StrataProcess.run(["run", "--model", "models/stories260K.gguf", "--temp", "0", "-n", "4", "--gpu-layers", "auto"],
                                         environment: environment)
        #expect(auto.status == 0, "\(auto.stderr)")
        #expect(auto.stderr.contains("not one layer fits") && auto.stderr.contains("running on the CPU"), "\(auto.stderr)")
        let all = try StrataProcess.run(["run", "--model", "models/stories260K.gguf", "-n", "4", "--gpu-layers", "all"],
                                        environment: environment)
        #expect(all.status != 0)
        #expect(all.stderr.contains("--gpu-layers all needs") && all.stderr.contains("MiB are usable"), "\(all.stderr)")
    }

    @Test("gpu-check on the emulated device: kernels, bandwidth lines and stories260K's logits against the CPU")
    func gpuCheckOnTheEmulatedDevice() throws {
        let r = try StrataProcess.run(["gpu-check", "--copy-mib", "8", "--prompt", "12", "--model", "models/stories260K.gguf"],
                                      environment: try Self.emulatedCUDA())
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("device: cuda:0 Strata host emulation, sm_80"))
        #expect(r.stdout.contains("device copy:"))
        #expect(r.stdout.contains("model stories260K.gguf (f32, 5 blocks + head on cuda:0") && r.stdout.contains("greedy identical (ok"),
                "\(r.stdout)")
    }

    @Test("serve --gpu-layers all on the emulated device: concurrent greedy completions equal the CPU's, the gpu tier in /metrics",
          .enabled(if: Sanitizer.name != "address",
                   "under ASan every fiber switch of the host emulation (_longjmp) goes through ASan's no-return handler: four served completions outlast the client's 90 s read timeout"))
    func serveOnTheEmulatedDevice() async throws {
        let prompts = ["Once upon a time", "The little dog", "Lily and Ben went to", "A big red ball"]
        func complete(_ server: ServerProcess) async throws -> [String] {
            try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for (i, p) in prompts.enumerated() {
                    group.addTask {
                        let (status, body) = try await HTTP.post(server.baseURL + "/v1/completions", json: ServeTests.completionJSON(p, maxTokens: 24))
                        #expect(status == 200, "\(body)")
                        return (i, try ServeTests.text(ofCompletion: body))
                    }
                }
                var out = [String](repeating: "", count: prompts.count)
                for try await (i, text) in group { out[i] = text }
                return out
            }
        }
        let cpu = try await ServerProcess.start(["--parallel", "4", "--gpu-layers", "0"])
        let expected = try await complete(cpu)
        cpu.stop()
        let gpu = try await ServerProcess.start(["--parallel", "4", "--gpu-layers", "all"], environment: try Self.emulatedCUDA())
        defer { gpu.stop() }
        #expect(try await complete(gpu) == expected)
        #expect(gpu.log.contains("gpu: 6 of 6 layers on cuda:0"), "\(gpu.log)")
        let (_, metrics) = try await HTTP.get(gpu.baseURL + "/metrics")
        let line = metrics.split(separator: "\n").first { $0.hasPrefix("strata_memory_bytes{tier=\"gpu\"}") }
        #expect(line.flatMap { Double($0.split(separator: " ").last!) }.map { $0 > 0 } == true, "\(metrics)")
    }

    @Test("bench --gpu-layers all on the emulated device: every thread count shares one upload")
    func benchUploadsOnce() throws {
        let r = try StrataProcess.run(["bench", "-m", "models/stories260K.gguf", "-p", "16", "-n", "4", "-t", "1,2", "-r", "1",
                                       "--gpu-layers", "all"], environment: try Self.emulatedCUDA())
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.components(separatedBy: "gpu: cuda:0 ready:").count == 2, "\(r.stderr)")
        #expect(r.stdout.contains("| pp16 |") && r.stdout.contains("| tg4 |"), "\(r.stdout)")
        #expect(r.stderr.contains(" | gpu "), "\(r.stderr)")
    }
}
