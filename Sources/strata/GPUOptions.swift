import ArgumentParser
import Engine
import Foundation
import StrataRuntime

/// `--gpu-layers N|all|auto`, shared by run, serve and bench.
struct GPUOptions: ParsableArguments {
    @Option(name: .customLong("gpu-layers"),
            help: "Layers to run on a CUDA GPU, counted from the last (one more than the model's blocks adds the output head): N, all, or auto (as many as fit; none, with the reason, where CUDA cannot run). Libraries are searched in STRATA_CUDA_PATH, then the loader's path.")
    var gpuLayers: String = "auto"

    // Here because it chooses the backend too: the GPU kernels are not batch-invariant.
    @Flag(name: .customLong("deterministic"),
          help: "Batch-invariant CPU kernels: a request's output never depends on what it is batched with, or on whether its KV was reused, compressed or recomputed under memory pressure (prompts on quantized weights run slower; no GPU offload).")
    var deterministic = false

    func validate() throws {
        guard GPULayers(argument: gpuLayers) != nil else {
            throw ValidationError("--gpu-layers must be a count, all or auto, not '\(gpuLayers)'")
        }
    }

    /// The backend `model` runs on here: the CPU, or the CPU and the GPU split per the flag.
    /// Prints the outcome to stderr (`gpu: ...` lines: the plan, the upload, or why the CPU);
    /// exits non-zero when an explicit request cannot be met. `auto` never fails: whatever
    /// stops the GPU is printed and the CPU runs.
    func backend(model: any DecoderModel, pool: ThreadPool, kvType: DType, tokens: Int, sequences: Int) throws -> any ComputeBackend {
        try backends(model: model, pools: [pool], kvType: kvType, tokens: tokens, sequences: sequences)[0]
    }

    /// `backend` for each of `pools` (bench's thread counts): one device, its weights uploaded
    /// once, shared by a split per pool.
    func backends(model: any DecoderModel, pools: [ThreadPool], kvType: DType, tokens: Int, sequences: Int) throws -> [any ComputeBackend] {
        let hosts = pools.map { CPUBackend(pool: $0, batchInvariant: deterministic) }
        let request = GPULayers(argument: gpuLayers)!
        if case .count(0) = request { return hosts }
        if deterministic {
            guard request == .auto else {
                throw Console.fail(ValidationError("--gpu-layers \(gpuLayers) cannot be combined with --deterministic (the GPU kernels are not batch-invariant)"))
            }
            Console.err("gpu: none with --deterministic (the GPU kernels are not batch-invariant); running on the CPU\n")
            return hosts
        }
        let sizes = OffloadSizes(model: model, kvType: kvType, tokens: tokens, sequences: sequences)
        let probe = CUDAToolkit.probe()
        let decision: OffloadDecision
        do {
            decision = try OffloadDecision.resolve(request, sizes: sizes, probe: probe.map(\.device))
        } catch {
            throw Console.fail(error)
        }
        switch decision {
        case .cpu(let reason):
            if let reason { Console.err("gpu: \(reason); running on the CPU\n") }
            return hosts
        case .device(let plan, let summary):
            guard case .success(let toolkit) = probe else { return hosts }
            Console.err("gpu: \(summary)\n")
            let start = Date()
            do {
                let bar = ProgressBar(label: "gpu: uploading weights") { "\(formatBytes($0)) of \(formatBytes($1))" }
                let offload = try ModelOffload(model: model, plan: plan, toolkit: toolkit, host: hosts[0], progress: bar.update)
                bar.finish()
                let seconds = Date().timeIntervalSince(start)
                Console.err("gpu: \(offload.device.name) ready: \(formatBytes(offload.device.uploadedWeightBytes)) of weights uploaded in "
                            + "\(String(format1: seconds)) s, \(formatBytes(offload.releasedBytes)) of the mapping released, kernels "
                            + (offload.device.kernelsWereCached ? "from the cache" : "compiled") + "\n")
                return [offload.backend] + hosts.dropFirst().map { SplitBackend(host: $0, device: offload.device, plan: plan) }
            } catch {
                guard request == .auto else {
                    throw Console.fail(ValidationError("--gpu-layers \(request): \(summary), but offload could not start: \(error)"))
                }
                Console.err("gpu: offload could not start: \(error); running on the CPU\n")
                return hosts
            }
        }
    }
}
