import Foundation
import Testing
@testable import Engine
import StrataRuntime
import TestSupport

/// The CUDA backend end to end, on the host: `HostKernels`' fake driver, NVRTC and cuBLAS run
/// the real kernels over tagged "device" memory (a host pointer passed where a device address
/// belongs fails the launch), so the split's logits are checked against the CPU's for whole
/// models, prompts through cuBLAS and decode steps through the GEMV kernels.
@Suite(.serialized) struct CUDAOffloadTests {
    static func toolkit() throws -> (HostKernels, CUDAToolkit) {
        let kernels = try HostKernels.shared.get()
        return (kernels, try kernels.toolkit())
    }

    static let kernelCache = CUDAKernelCache(directory: Fixtures.temporaryPath("cuda-cache-\(getpid())"))

    /// A split over `loaded` offloading the last `blocks` blocks (and the head when `output`).
    static func split(_ loaded: LoadedModel, blocks: Int, output: Bool, pool: ThreadPool) throws -> ModelOffload {
        let (_, toolkit) = try toolkit()
        let plan = OffloadPlan(blocks: loaded.model.shape.layers, offloadedBlocks: blocks, outputOnDevice: output, deviceBytes: 0)
        return try ModelOffload(model: loaded.model, plan: plan, toolkit: toolkit, host: CPUBackend(pool: pool), kernelCache: kernelCache)
    }

    /// Evaluates a prompt (in chunks of 8: cuBLAS) then single tokens (GEMV) on the CPU and on
    /// the split, comparing the logits at every step; returns the worst relative error.
    /// `reference`: the model the CPU runs (by default `loaded`).
    static func compare(_ loaded: LoadedModel, reference: LoadedModel? = nil, blocks: Int, output: Bool, kvType: DType = .f16,
                        steps: Int = 5, between: ((EvaluationContext, ModelOffload) throws -> Void)? = nil) throws -> Float {
        let pool = ThreadPool(threads: 2)
        let offload = try split(loaded, blocks: blocks, output: output, pool: pool)
        let cpu = try EvaluationContext(model: reference ?? loaded, pool: pool, capacity: 64, maxBatch: 8, kvType: kvType)
        let gpu = try EvaluationContext(model: loaded, backend: offload.backend, capacity: 64, maxBatch: 8, kvType: kvType)
        var worst: Float = 0
        let prompt = TestModels.prompt(13, seed: 3)
        var expected = Array(try cpu.evaluate(prompt))
        var got = Array(try gpu.evaluate(prompt))
        worst = max(worst, LogitComparison.relativeError(got, expected))
        try between?(gpu, offload)
        for step in 0..<steps {
            let token = TokenID(5 + step * 31)
            expected = Array(try cpu.evaluate([token]))
            got = Array(try gpu.evaluate([token]))
            worst = max(worst, LogitComparison.relativeError(got, expected))
        }
        #expect(offload.backend.uploads > 0 && offload.backend.downloads > 0)
        return worst
    }

    @Test func stories260KOnTheDeviceMatchesTheCPU() throws {
        let loaded = try TestModels.stories260K()
        let (kernels, _) = try Self.toolkit()
        let before = kernels.counters()
        let layers = loaded.model.shape.layers
        #expect(try Self.compare(loaded, blocks: layers, output: true) < 1e-3)
        #expect(try Self.compare(loaded, blocks: 2, output: false, steps: 2) < 1e-3)
        let after = kernels.counters()
        #expect(after.gemms > before.gemms, "an 8-token chunk goes through cuBLAS")
        #expect(after.rejected == before.rejected)
    }

    /// Every block-quantized type the device reads, against the CPU on the F32 twin holding the
    /// values the blocks decode to (the CPU would quantize activations to 8 bits for the
    /// blocks; the device multiplies floats, or F16 through cuBLAS for prompts, hence 5e-3).
    /// (One type end to end: every type's GEMV and F16 decoding is checked kernel by kernel in
    /// `CUDAKernelHostTests`.)
    @Test func blockWeightsOnTheDeviceMatchTheirFloatTwin() throws {
        let (blocks, floats) = try TestModels.blockTwins(.q4_K)
        #expect(try Self.compare(blocks, reference: floats, blocks: 2, output: true, steps: 2) < 5e-3)
    }

    /// F16 weights: the CPU multiplies float activations too.
    @Test func halfWeightsOnTheDeviceMatchTheCPU() throws {
        #expect(try Self.compare(TestModels.random(.f16), blocks: 2, output: true, steps: 2) < 5e-3)
    }

    @Test func q8KVOnTheDeviceMatchesTheCPU() throws {
        #expect(try Self.compare(TestModels.stories260K(), blocks: 3, output: true, kvType: .q8_0, steps: 2) < 1e-2)
    }

    /// Gemma 3's window pages (a local layer, a global one), Qwen2's biases, Qwen3's Q/K norms.
    @Test(arguments: ["gemma3", "qwen2", "qwen3"])
    func architecturesOnTheDeviceMatchTheCPU(_ name: String) throws {
        let architecture = try #require(ModelRegistry.architecture(named: name))
        let preset = try #require(LlamaPreset.named("tiny"))
        var shape = SynthShape(preset.config, tiedOutput: false)
        if name == "gemma3" { shape.slidingWindow = 8 }
        if name == "qwen3" { shape.headDim = 32 }
        let path = Fixtures.temporaryPath("offload-\(name).gguf")
        try ModelSynth.write(architecture.synthSpec(shape), vocabularySize: preset.config.vocabularySize, type: .f32,
                             vocabulary: GGUFFile(path: Fixtures.model("stories260K.gguf")), name: "tiny \(name)", seed: 5,
                             variedNorms: true, to: path)
        defer { unlink(path) }
        let loaded = try ModelLoader.load(path: path)
        // Past the window of 8 (Gemma 3's local layer releases pages); one block alone too.
        #expect(try Self.compare(loaded, blocks: 2, output: true, steps: name == "gemma3" ? 8 : 2) < 2e-3)
        if name == "gemma3" { #expect(try Self.compare(loaded, blocks: 1, output: false, steps: 2) < 2e-3) }
    }

    /// A sequence compressed to the cold store and made hot again carries its device KV along:
    /// the device's part is written back before compression and loaded again after.
    @Test func compressedSequencesKeepTheirDeviceKV() throws {
        let loaded = try TestModels.stories260K()
        let error = try Self.compare(loaded, blocks: 5, output: true, steps: 2) { context, offload in
            let cache = context.engine.cache
            #expect(cache.compress(context.sequenceID) > 0)
            #expect(offload.device.pageTraffic.writeBacks > 0, "the device's KV went into the cold copy")
            try cache.makeHot(context.sequenceID)
            #expect(offload.device.pageTraffic.loads == 0)
        }
        #expect(error < 1e-3)
    }

    /// The decompressed pages' device part is loaded from the host at their next use.
    @Test func decompressedPagesAreLoadedToTheDevice() throws {
        let loaded = try TestModels.stories260K()
        var loads = 0
        _ = try Self.compare(loaded, blocks: 5, output: true, steps: 1) { context, offload in
            #expect(context.engine.cache.compress(context.sequenceID) > 0)
            try context.engine.cache.makeHot(context.sequenceID)
            _ = try context.evaluate([7])
            loads = offload.device.pageTraffic.loads
        }
        #expect(loads > 0)
    }

    /// Device memory is charged to the budget's `gpu` tier and given back with the engine.
    @Test func deviceMemoryIsChargedAsTierGPU() throws {
        let loaded = try TestModels.stories260K()
        let pool = ThreadPool(threads: 1)
        let offload = try Self.split(loaded, blocks: 5, output: true, pool: pool)
        var options = EngineOptions()
        options.maxSequences = 2
        options.contextLength = 64
        let engine = try InferenceEngine(model: loaded, backend: offload.backend, options: options)
        #expect(engine.budget.used(.gpu) == offload.device.deviceBytes)
        #expect(offload.device.uploadedWeightBytes > 0)
        #expect(engine.budget.used < engine.budget.limitBytes)
        #expect(engine.cache.mirror != nil)
    }

    /// The probe finds the emulated device, and an unsupported weight type is refused by name.
    @Test func unsupportedWeightsAreRefusedBeforeUploading() throws {
        let loaded = try TestModels.random(.q5_0)
        let (_, toolkit) = try Self.toolkit()
        let plan = OffloadPlan(blocks: 2, offloadedBlocks: 1, outputOnDevice: false, deviceBytes: 0)
        #expect {
            try ModelOffload(model: loaded.model, plan: plan, toolkit: toolkit, host: CPUBackend(pool: ThreadPool(threads: 1)))
        } throws: { error in
            guard case CUDAError.unsupportedWeights(let part, let type, _) = error else { return false }
            return part == "block 1" && type == "q5_0"
        }
    }
}
