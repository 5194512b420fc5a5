import ArgumentParser
import Engine
import StrataRuntime

/// `--gpu-layers N|all|auto`, shared by run, serve and bench.
struct GPUOptions: ParsableArguments {
    @Option(name: .customLong("gpu-layers"),
            help: "Layers to run on a CUDA GPU, counted from the last (one more than the model's blocks adds the output head): N, all, or auto (as many as fit; none, with the reason, where CUDA cannot run). Libraries are searched in STRATA_CUDA_PATH, then the loader's path.")
    var gpuLayers: String = "auto"

    func validate() throws {
        guard GPULayers(argument: gpuLayers) != nil else {
            throw ValidationError("--gpu-layers must be a count, all or auto, not '\(gpuLayers)'")
        }
    }

    /// Resolves the flag for `model` on this machine and prints the one-line outcome to
    /// stderr; exits non-zero when an explicit request cannot be met. Every outcome runs on the
    /// CPU until the CUDA backend exists: a plan that fits is reported, not run.
    func resolve(model: any DecoderModel, kvType: DType, tokens: Int, sequences: Int) throws {
        let request = GPULayers(argument: gpuLayers)!
        if case .count(0) = request { return }
        let sizes = OffloadSizes(model: model, kvType: kvType, tokens: tokens, sequences: sequences)
        let decision: OffloadDecision
        do {
            decision = try OffloadDecision.resolve(request, sizes: sizes, probe: CUDAToolkit.probe().map(\.device))
        } catch {
            throw Console.fail(error)
        }
        switch decision {
        case .cpu(let reason):
            if let reason { Console.err("gpu: \(reason); running on the CPU\n") }
        case .device(_, let summary):
            let missing = "the CUDA backend is not built into this version of Strata"
            guard request == .auto else {
                throw Console.fail(ValidationError("--gpu-layers \(request): \(summary), but \(missing)"))
            }
            Console.err("gpu: \(summary) would fit, but \(missing); running on the CPU\n")
        }
    }
}
