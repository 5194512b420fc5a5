/// The driver API entry points Strata calls (the probe's and the device objects'), bound once
/// when the driver loads, so a driver too old for any of them is refused at the probe, by name.
struct CUDADriverCalls: @unchecked Sendable {
    typealias Result = Int32
    typealias DevicePointer = UInt64
    typealias Handle = OpaquePointer

    let getErrorName: @convention(c) (Result, UnsafeMutablePointer<UnsafePointer<CChar>?>) -> Result
    let deviceGetCount: @convention(c) (UnsafeMutablePointer<Int32>) -> Result
    let deviceGet: @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Result
    let deviceGetName: @convention(c) (UnsafeMutablePointer<CChar>, Int32, Int32) -> Result
    let deviceTotalMem: @convention(c) (UnsafeMutablePointer<Int>, Int32) -> Result
    let deviceGetAttribute: @convention(c) (UnsafeMutablePointer<Int32>, Int32, Int32) -> Result
    let memGetInfo: @convention(c) (UnsafeMutablePointer<Int>, UnsafeMutablePointer<Int>) -> Result
    let primaryContextRetain: @convention(c) (UnsafeMutablePointer<Handle?>, Int32) -> Result
    let primaryContextRelease: @convention(c) (Int32) -> Result
    let contextSetCurrent: @convention(c) (Handle?) -> Result
    let contextSynchronize: @convention(c) () -> Result
    let memAlloc: @convention(c) (UnsafeMutablePointer<DevicePointer>, Int) -> Result
    let memFree: @convention(c) (DevicePointer) -> Result
    let memcpyHostToDevice: @convention(c) (DevicePointer, UnsafeRawPointer, Int, Handle?) -> Result
    let memcpyDeviceToHost: @convention(c) (UnsafeMutableRawPointer, DevicePointer, Int, Handle?) -> Result
    let memsetD8: @convention(c) (DevicePointer, UInt8, Int, Handle?) -> Result
    let memHostAlloc: @convention(c) (UnsafeMutablePointer<UnsafeMutableRawPointer?>, Int, UInt32) -> Result
    let memFreeHost: @convention(c) (UnsafeMutableRawPointer?) -> Result
    let streamCreate: @convention(c) (UnsafeMutablePointer<Handle?>, UInt32) -> Result
    let streamDestroy: @convention(c) (Handle?) -> Result
    let streamSynchronize: @convention(c) (Handle?) -> Result
    let moduleLoadData: @convention(c) (UnsafeMutablePointer<Handle?>, UnsafeRawPointer) -> Result
    let moduleUnload: @convention(c) (Handle?) -> Result
    let moduleGetFunction: @convention(c) (UnsafeMutablePointer<Handle?>, Handle?, UnsafePointer<CChar>) -> Result
    let launchKernel: @convention(c) (Handle?, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, Handle?,
                                      UnsafeMutablePointer<UnsafeMutableRawPointer?>?, UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Result

    init(library: DynamicLibrary) throws(CUDAError) {
        getErrorName = try library.function("cuGetErrorName")
        deviceGetCount = try library.function("cuDeviceGetCount")
        deviceGet = try library.function("cuDeviceGet")
        deviceGetName = try library.function("cuDeviceGetName")
        deviceTotalMem = try library.function("cuDeviceTotalMem_v2")
        deviceGetAttribute = try library.function("cuDeviceGetAttribute")
        memGetInfo = try library.function("cuMemGetInfo_v2")
        primaryContextRetain = try library.function("cuDevicePrimaryCtxRetain")
        primaryContextRelease = try library.function("cuDevicePrimaryCtxRelease_v2")
        contextSetCurrent = try library.function("cuCtxSetCurrent")
        contextSynchronize = try library.function("cuCtxSynchronize")
        memAlloc = try library.function("cuMemAlloc_v2")
        memFree = try library.function("cuMemFree_v2")
        memcpyHostToDevice = try library.function("cuMemcpyHtoDAsync_v2")
        memcpyDeviceToHost = try library.function("cuMemcpyDtoHAsync_v2")
        memsetD8 = try library.function("cuMemsetD8Async")
        memHostAlloc = try library.function("cuMemHostAlloc")
        memFreeHost = try library.function("cuMemFreeHost")
        streamCreate = try library.function("cuStreamCreate")
        streamDestroy = try library.function("cuStreamDestroy_v2")
        streamSynchronize = try library.function("cuStreamSynchronize")
        moduleLoadData = try library.function("cuModuleLoadData")
        moduleUnload = try library.function("cuModuleUnload")
        moduleGetFunction = try library.function("cuModuleGetFunction")
        launchKernel = try library.function("cuLaunchKernel")
    }
}
