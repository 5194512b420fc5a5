/// What can go wrong finding, loading or calling CUDA: each case names the library, symbol or
/// call and the code's name, so a user can tell a missing driver from a failed kernel build.
public enum CUDAError: Error, Equatable, Sendable, CustomStringConvertible {
    /// None of `tried` could be opened; `reason` is the loader's last message.
    case libraryNotFound(library: String, tried: [String], reason: String)
    /// The library opened but lacks a function Strata calls (too old a version).
    case missingSymbol(library: String, symbol: String)
    /// A driver API call failed: `name` is CUDA's name for `code` (`CUDA_ERROR_OUT_OF_MEMORY`).
    case driver(call: String, code: Int32, name: String)
    /// An NVRTC call failed.
    case nvrtc(call: String, code: Int32, name: String)
    /// NVRTC rejected a kernel source; `log` is its compiler output.
    case compilation(program: String, architecture: String, log: String)
    /// A cuBLAS call failed.
    case cublas(call: String, status: Int32, name: String)
    /// The driver loaded but reports no CUDA device.
    case noDevice
    /// Offloaded weights of a type the device kernels do not read.
    case unsupportedWeights(part: String, type: String, supported: [String])

    public var description: String {
        switch self {
        case .libraryNotFound(let library, let tried, let reason):
            "\(library) not found (tried \(tried.joined(separator: ", "))): \(reason)"
        case .missingSymbol(let library, let symbol):
            "\(library) has no \(symbol) (too old a CUDA version?)"
        case .driver(let call, let code, let name):
            "\(call) failed: \(name) (\(code))"
        case .nvrtc(let call, let code, let name):
            "\(call) failed: \(name) (\(code))"
        case .compilation(let program, let architecture, let log):
            "NVRTC could not compile \(program) for \(architecture):\n\(log)"
        case .cublas(let call, let status, let name):
            "\(call) failed: \(name) (\(status))"
        case .noDevice:
            "the CUDA driver reports no device"
        case .unsupportedWeights(let part, let type, let supported):
            "\(part) has \(type) weights, which the CUDA kernels do not read (they read \(supported.joined(separator: ", ")))"
        }
    }
}
