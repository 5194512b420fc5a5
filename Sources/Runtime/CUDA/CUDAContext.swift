/// A device's primary context, retained for this object's life and made current on the
/// calling thread by every operation that needs it. Owns nothing else; buffers, streams and
/// modules made from it keep it alive.
public final class CUDAContext: @unchecked Sendable {
    public let driver: CUDADriver
    public let device: CUDADevice
    private let ordinal: Int32
    let handle: OpaquePointer
    var calls: CUDADriverCalls { driver.calls }

    public init(driver: CUDADriver, device: CUDADevice) throws(CUDAError) {
        self.driver = driver
        self.device = device
        var ordinal: Int32 = 0
        try driver.check(driver.calls.deviceGet(&ordinal, Int32(device.ordinal)), "cuDeviceGet")
        var context: OpaquePointer?
        try driver.check(driver.calls.primaryContextRetain(&context, ordinal), "cuDevicePrimaryCtxRetain")
        guard let context else { throw .driver(call: "cuDevicePrimaryCtxRetain", code: 0, name: "no context") }
        self.ordinal = ordinal
        handle = context
        try makeCurrent()
    }

    /// Makes the context current on this thread (the driver's state is per thread).
    public func makeCurrent() throws(CUDAError) {
        try driver.check(calls.contextSetCurrent(handle), "cuCtxSetCurrent")
    }

    /// Waits for all work on the device.
    public func synchronize() throws(CUDAError) {
        try makeCurrent()
        try driver.check(calls.contextSynchronize(), "cuCtxSynchronize")
    }

    deinit {
        _ = calls.primaryContextRelease(ordinal)
    }
}

/// Device memory, freed with this object.
public final class DeviceBuffer: @unchecked Sendable {
    public let context: CUDAContext
    /// The device address (`CUdeviceptr`).
    public let address: UInt64
    public let bytes: Int

    public init(context: CUDAContext, bytes: Int) throws(CUDAError) {
        precondition(bytes > 0, "DeviceBuffer: \(bytes) bytes")
        try context.makeCurrent()
        var address: UInt64 = 0
        try context.driver.check(context.calls.memAlloc(&address, bytes), "cuMemAlloc (\(bytes) bytes)")
        self.context = context
        self.address = address
        self.bytes = bytes
    }

    /// Copies `count` bytes from host memory to `offset`, ordered on `stream`.
    public func upload(_ source: UnsafeRawPointer, count: Int, offset: Int = 0, stream: CUDAStream) throws(CUDAError) {
        precondition(offset >= 0 && count >= 0 && offset + count <= bytes, "DeviceBuffer.upload: \(offset)+\(count) of \(bytes)")
        try context.driver.check(context.calls.memcpyHostToDevice(address + UInt64(offset), source, count, stream.handle), "cuMemcpyHtoDAsync")
    }

    /// Copies `count` bytes from `offset` to host memory, ordered on `stream`.
    public func download(_ destination: UnsafeMutableRawPointer, count: Int, offset: Int = 0, stream: CUDAStream) throws(CUDAError) {
        precondition(offset >= 0 && count >= 0 && offset + count <= bytes, "DeviceBuffer.download: \(offset)+\(count) of \(bytes)")
        try context.driver.check(context.calls.memcpyDeviceToHost(destination, address + UInt64(offset), count, stream.handle), "cuMemcpyDtoHAsync")
    }

    /// Sets every byte to zero, ordered on `stream`.
    public func zero(stream: CUDAStream) throws(CUDAError) {
        try context.driver.check(context.calls.memsetD8(address, 0, bytes, stream.handle), "cuMemsetD8Async")
    }

    deinit {
        try? context.makeCurrent()
        _ = context.calls.memFree(address)
    }
}

/// Page-locked host memory (the staging buffer for uploads), freed with this object.
public final class PinnedBuffer: @unchecked Sendable {
    public let context: CUDAContext
    public let base: UnsafeMutableRawPointer
    public let bytes: Int

    public init(context: CUDAContext, bytes: Int) throws(CUDAError) {
        try context.makeCurrent()
        var base: UnsafeMutableRawPointer?
        try context.driver.check(context.calls.memHostAlloc(&base, bytes, 0), "cuMemHostAlloc (\(bytes) bytes)")
        guard let base else { throw .driver(call: "cuMemHostAlloc", code: 0, name: "no memory") }
        self.context = context
        self.base = base
        self.bytes = bytes
    }

    deinit {
        try? context.makeCurrent()
        _ = context.calls.memFreeHost(base)
    }
}

/// A stream of device work, destroyed with this object.
public final class CUDAStream: @unchecked Sendable {
    public let context: CUDAContext
    let handle: OpaquePointer?

    public init(context: CUDAContext) throws(CUDAError) {
        try context.makeCurrent()
        var handle: OpaquePointer?
        try context.driver.check(context.calls.streamCreate(&handle, 1 /* CU_STREAM_NON_BLOCKING */), "cuStreamCreate")
        self.context = context
        self.handle = handle
    }

    /// Waits for the work queued on this stream.
    public func synchronize() throws(CUDAError) {
        try context.driver.check(context.calls.streamSynchronize(handle), "cuStreamSynchronize")
    }

    deinit {
        _ = context.calls.streamDestroy(handle)
    }
}

/// A loaded PTX or CUBIN image and the kernels in it, unloaded with this object.
public final class CUDAModule: @unchecked Sendable {
    public let context: CUDAContext
    private let handle: OpaquePointer?

    /// Loads `image` (PTX text with its NUL, or a CUBIN); the driver JIT-compiles PTX.
    public init(context: CUDAContext, image: [UInt8]) throws(CUDAError) {
        try context.makeCurrent()
        var handle: OpaquePointer?
        let status = image.withUnsafeBytes { context.calls.moduleLoadData(&handle, $0.baseAddress!) }
        try context.driver.check(status, "cuModuleLoadData")
        self.context = context
        self.handle = handle
    }

    /// The kernel named `name` (an `extern "C"` entry point).
    public func function(_ name: String) throws(CUDAError) -> CUDAFunction {
        var function: OpaquePointer?
        try context.driver.check(name.withCString { context.calls.moduleGetFunction(&function, handle, $0) }, "cuModuleGetFunction(\(name))")
        return CUDAFunction(module: self, name: name, handle: function)
    }

    deinit {
        _ = context.calls.moduleUnload(handle)
    }
}

/// One kernel of a module.
public struct CUDAFunction: @unchecked Sendable {
    public let module: CUDAModule
    public let name: String
    let handle: OpaquePointer?

    /// Queues `name<<<grid, block, sharedBytes, stream>>>(arguments)`.
    public func launch(grid: (UInt32, UInt32, UInt32), block: UInt32, sharedBytes: UInt32 = 0, stream: CUDAStream,
                       arguments: KernelArguments) throws(CUDAError) {
        let context = module.context
        let status = arguments.withParameters { parameters in
            context.calls.launchKernel(handle, grid.0, grid.1, grid.2, block, 1, 1, sharedBytes, stream.handle, parameters, nil)
        }
        // The call's name is only made on failure: a launch allocates nothing.
        if status != 0 { try context.driver.check(status, "cuLaunchKernel(\(name))") }
    }
}

/// A kernel's arguments by value, in order, in storage of their own that the driver reads
/// each through a pointer to it when the launch is queued. Sized once (`capacity` slots of 8
/// bytes, little endian: a 4-byte argument is its slot's first bytes) and reused across
/// launches with `removeAll`, so a launch allocates nothing.
public final class KernelArguments {
    public static let capacity = 32
    private let values: UnsafeMutablePointer<UInt64>
    private let pointers: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    public private(set) var count = 0

    public init() {
        values = .allocate(capacity: Self.capacity)
        values.initialize(repeating: 0, count: Self.capacity)
        pointers = .allocate(capacity: Self.capacity)
        for i in 0..<Self.capacity { (pointers + i).initialize(to: UnsafeMutableRawPointer(values + i)) }
    }

    deinit {
        values.deallocate()
        pointers.deallocate()
    }

    public func removeAll() { count = 0 }
    public func append(_ value: Int32) { push(UInt64(UInt32(bitPattern: value))) }
    public func append(_ value: Int) { push(UInt64(bitPattern: Int64(value))) }
    public func append(_ value: Float) { push(UInt64(value.bitPattern)) }
    /// A device address, or 0 for a null pointer argument.
    public func append(address value: UInt64) { push(value) }

    private func push(_ bits: UInt64) {
        precondition(count < Self.capacity, "KernelArguments: more than \(Self.capacity) arguments")
        values[count] = bits
        count += 1
    }

    /// Calls `body` with the `void**` array the driver takes.
    func withParameters<R>(_ body: (UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> R) -> R {
        body(pointers)
    }

    /// The bits of argument `i`, for tests.
    func bits(_ i: Int) -> UInt64 {
        precondition(i >= 0 && i < count)
        return UnsafeMutableRawPointer(pointers[i]!).load(as: UInt64.self)
    }
}
