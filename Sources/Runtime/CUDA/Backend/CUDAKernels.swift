/// Strata's kernels loaded on one device: `CUDAKernelSource` built by NVRTC for the device's
/// architecture (through the on-disk cache), and every entry point looked up once.
final class CUDAKernels {
    let module: CUDAModule
    /// Whether the module came from the cache (reports).
    let cached: Bool
    private let functions: [String: CUDAFunction]
    private let variants: [Variant: CUDAFunction]

    init(context: CUDAContext, nvrtc: NVRTC, cache: CUDAKernelCache) throws(CUDAError) {
        let (image, cached) = try cache.module(CUDAKernelSource.source, name: "strata_kernels.cu",
                                               architecture: context.device.architecture, nvrtc: nvrtc)
        module = try CUDAModule(context: context, image: image)
        self.cached = cached
        var functions: [String: CUDAFunction] = [:]
        for name in CUDAKernelSource.kernels { functions[name] = try module.function(name) }
        self.functions = functions
        var variants: [Variant: CUDAFunction] = [:]
        for family in Family.allCases {
            for dtype in DType.allCases {
                if let f = functions[family.rawValue + "_" + dtype.description] { variants[Variant(family: family, dtype: dtype)] = f }
            }
        }
        self.variants = variants
    }

    subscript(_ name: String) -> CUDAFunction {
        guard let f = functions[name] else { preconditionFailure("CUDAKernels: no kernel \(name)") }
        return f
    }

    /// Kernels made once per row format, named `family_type` (GGML's type names).
    enum Family: String, CaseIterable {
        case gemv
        case dequantizeF16 = "dequantize_f16"
        case storeKV = "store_kv"
        case pagedAttention = "paged_attention"
    }

    private struct Variant: Hashable {
        let family: Family
        let dtype: DType
    }

    /// The kernel of `family` for `dtype` (`gemv_q4_K`), or nil when the device has none;
    /// looked up without building its name (a step allocates nothing).
    func variant(_ family: Family, _ dtype: DType) -> CUDAFunction? { variants[Variant(family: family, dtype: dtype)] }
}
