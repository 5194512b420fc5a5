import Memory
import StrataRuntime

/// A model offloaded for an `OffloadPlan`: the CUDA backend with the plan's weights uploaded,
/// the host backend for the rest, and the split that runs them together.
public struct ModelOffload {
    public let backend: SplitBackend
    public let device: CUDABackend
    /// Bytes of the mapped file given back to the kernel after the upload (RAM does not hold
    /// what the device does; the token embedding stays, the host looks tokens up in it).
    public let releasedBytes: Int

    /// Uploads `model`'s offloaded weights to `toolkit`'s device; `progress` hears bytes done
    /// of the total. Weights of a type the kernels do not read are refused before anything is
    /// allocated.
    public init(model: any DecoderModel, plan: OffloadPlan, toolkit: CUDAToolkit, host: any ComputeBackend,
                kernelCache: CUDAKernelCache = CUDAKernelCache(), progress: ((Int, Int) -> Void)? = nil) throws(CUDAError) {
        let weights = model.weights
        if let error = weights.unsupportedOnDevice(plan: plan, supported: CUDABackend.weightTypes) { throw error }
        device = try CUDABackend(toolkit: toolkit, plan: plan, host: host, kernelCache: kernelCache)
        let ranges = weights.deviceRanges(plan: plan, headDim: model.shape.headDim)
        try device.uploadWeights(ranges, progress: progress)
        var released = 0
        if let file = (model.source as? GGUFFile)?.file {
            let embedding = weights.tokenEmbedding.data
            for range in ranges where range.baseAddress! != embedding && file.contains(range.baseAddress!) {
                released += (try? file.release(range.baseAddress!, bytes: range.count)) ?? 0
            }
        }
        releasedBytes = released
        backend = SplitBackend(host: host, device: device, plan: plan)
    }
}
