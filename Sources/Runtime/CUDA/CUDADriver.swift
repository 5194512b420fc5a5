#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One CUDA device as the driver describes it.
public struct CUDADevice: Sendable, Equatable {
    /// The driver's ordinal (`cuda:0`).
    public var ordinal: Int
    public var name: String
    /// Compute capability as one number: 90 for 9.0 (H100/H200), 89 for 8.9.
    public var architecture: Int
    public var totalBytes: Int
    /// Free device memory when probed (other processes' allocations excluded).
    public var freeBytes: Int

    public init(ordinal: Int, name: String, architecture: Int, totalBytes: Int, freeBytes: Int) {
        self.ordinal = ordinal
        self.name = name
        self.architecture = architecture
        self.totalBytes = totalBytes
        self.freeBytes = freeBytes
    }
}

/// The CUDA driver API (`libcuda.so.1`, installed with the NVIDIA driver), loaded at run time.
/// Only the calls Strata makes are bound; each is checked and failures carry CUDA's error name.
public final class CUDADriver: @unchecked Sendable {
    public static let sonames = ["libcuda.so.1", "libcuda.so"]

    public let library: DynamicLibrary
    /// The driver's CUDA version as CUDA encodes it (12040 for 12.4).
    public let version: Int

    /// Every entry point Strata calls, bound when the driver loads.
    let calls: CUDADriverCalls

    /// `CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR` / `_MINOR`.
    private static let computeCapabilityMajor: Int32 = 75
    private static let computeCapabilityMinor: Int32 = 76

    /// Loads the driver and initializes it (`cuInit`).
    public init(directories: [String] = []) throws(CUDAError) {
        let library = try DynamicLibrary.open("the CUDA driver", names: CUDADriver.sonames, directories: directories)
        self.library = library
        calls = try CUDADriverCalls(library: library)
        let initialize: @convention(c) (UInt32) -> Int32 = try library.function("cuInit")
        let driverVersion: @convention(c) (UnsafeMutablePointer<Int32>) -> Int32 = try library.function("cuDriverGetVersion")
        var version: Int32 = 0
        let versionStatus = driverVersion(&version)
        self.version = Int(version)
        try check(versionStatus, "cuDriverGetVersion")
        try check(initialize(0), "cuInit")
    }

    /// Every device, with its free memory (measured in its primary context).
    public func devices() throws(CUDAError) -> [CUDADevice] {
        var count: Int32 = 0
        try check(calls.deviceGetCount(&count), "cuDeviceGetCount")
        var devices: [CUDADevice] = []
        for ordinal in 0..<count {
            var device: Int32 = 0
            try check(calls.deviceGet(&device, ordinal), "cuDeviceGet")
            var name = [CChar](repeating: 0, count: 256)
            try check(calls.deviceGetName(&name, Int32(name.count), device), "cuDeviceGetName")
            var total = 0
            try check(calls.deviceTotalMem(&total, device), "cuDeviceTotalMem")
            var major: Int32 = 0, minor: Int32 = 0
            try check(calls.deviceGetAttribute(&major, Self.computeCapabilityMajor, device), "cuDeviceGetAttribute")
            try check(calls.deviceGetAttribute(&minor, Self.computeCapabilityMinor, device), "cuDeviceGetAttribute")
            var context: OpaquePointer?
            try check(calls.primaryContextRetain(&context, device), "cuDevicePrimaryCtxRetain")
            // Released below: probing leaves no context behind.
            defer { _ = calls.primaryContextRelease(device) }
            try check(calls.contextSetCurrent(context), "cuCtxSetCurrent")
            var free = 0, totalInContext = 0
            try check(calls.memGetInfo(&free, &totalInContext), "cuMemGetInfo")
            devices.append(CUDADevice(
                ordinal: Int(ordinal), name: String(nulTerminated: name),
                architecture: Int(major * 10 + minor), totalBytes: total, freeBytes: free))
        }
        return devices
    }

    /// Throws the named error for a failed call.
    public func check(_ status: Int32, _ call: String) throws(CUDAError) {
        guard status != 0 else { return }
        var name: UnsafePointer<CChar>?
        let known = calls.getErrorName(status, &name) == 0 && name != nil
        throw .driver(call: call, code: status, name: known ? String(cString: name!) : "CUDA error")
    }
}
