#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Everything GPU offload needs, found and loaded: the driver with a device, NVRTC to build
/// the kernels for it, cuBLAS for the GEMMs. `probe` answers whether this machine has it and,
/// when not, the first thing missing.
public struct CUDAToolkit: Sendable {
    public let driver: CUDADriver
    public let nvrtc: NVRTC
    public let cublas: CUBLAS
    /// The device offload uses (the first).
    public let device: CUDADevice

    /// Directories searched before the loader's path: `STRATA_CUDA_PATH`, colon-separated
    /// (for a CUDA installed outside the loader's path, or PyPI's NVIDIA wheels).
    public static var searchDirectories: [String] {
        guard let value = getenv("STRATA_CUDA_PATH") else { return [] }
        return String(cString: value).split(separator: ":").map(String.init)
    }

    /// Loads the driver, finds a device, then loads NVRTC and cuBLAS; the first failure is
    /// the reason offload cannot run here.
    public static func probe(directories: [String] = searchDirectories) -> Result<CUDAToolkit, CUDAError> {
        Result { () throws(CUDAError) in
            let driver = try CUDADriver(directories: directories)
            guard let device = try driver.devices().first else { throw .noDevice }
            return CUDAToolkit(driver: driver, nvrtc: try NVRTC(directories: directories),
                               cublas: try CUBLAS(directories: directories), device: device)
        }
    }
}
