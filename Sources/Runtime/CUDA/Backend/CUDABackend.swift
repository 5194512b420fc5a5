import Memory

/// The CUDA side of a `SplitBackend`: the forward pass's operations as kernels on one device,
/// over device copies of what the pass hands it as host pointers. Weights of the offloaded
/// layers are uploaded once (`uploadWeights`); the runner's activation buffers get device
/// twins when the engine binds (`bind`), 8-bit activation buffers as floats (the device
/// multiplies float activations); KV pages of the offloaded layers live in device page caches
/// (`DevicePageCache`) that follow the host cache. Batches of more than `gemvMaxTokens`
/// tokens multiply through cuBLAS (F16 in, F32 accumulate; F32 weights in F32).
///
/// Work is queued on one stream; `download` waits for it. A failed CUDA call in a forward pass
/// stops the process with the call's name and CUDA's error (a device fault is not an input
/// error a request could be refused for).
public final class CUDABackend: DeviceBackend, KVPageMirror {
    public let context: CUDAContext
    public let stream: CUDAStream
    public let plan: OffloadPlan
    let kernels: CUDAKernels
    let blas: CUBLASHandle
    /// Weights (and RoPE tables), uploaded once.
    var weightMap = DeviceAddressMap()
    /// The bound runner's activation buffers.
    var activationMap = DeviceAddressMap()
    /// Device memory of the weights, and of the binding (activation twins, metadata, scratch).
    var buffers: [DeviceBuffer] = []
    var boundBuffers: [DeviceBuffer] = []
    private var weightBytes = 0
    var fullPages: DevicePageCache?
    var windowPages: DevicePageCache?
    private var budget: MemoryBudget?
    private var chargedBytes = 0
    let arguments = KernelArguments()
    let host: any ComputeBackend

    /// Per-batch metadata on the device: [maxBatchTokens] token entries and positions,
    /// [maxSequences * maxBlocks] page tables (full and window), staged in pinned memory.
    var entries: DeviceBuffer?
    var tables: DeviceBuffer?
    var staging: PinnedBuffer?
    var maxBlocks = 0, tokenCapacity = 0, tableCapacity = 0
    /// [maxSequences] pages each entry of the batch being uploaded uses.
    var blocksOfEntry: [Int] = []
    var batchOnDevice = false
    /// cuBLAS operands: F16 activations and a chunk of F16 weight rows.
    var halfActivations: DeviceBuffer?
    var halfWeights: DeviceBuffer?
    var halfWeightElements = 0
    /// RoPE tables uploaded so far: (host inverse frequencies, device theta then factors).
    var ropeTables: [(host: UnsafeRawPointer, device: UInt64)] = []

    /// Batches of at most this many tokens use the GEMV kernels; larger ones cuBLAS.
    public static let gemvMaxTokens = 4
    /// Bytes of the pinned staging buffer for weight uploads.
    public static let stagingBytes = 32 << 20
    /// Bytes of F16 weight rows dequantized at once for cuBLAS.
    public static let halfWeightChunkBytes = 64 << 20

    /// A backend on `toolkit`'s device for `plan`; `host` runs what a device backend is never
    /// asked for in a split (the embedding lookup).
    public init(toolkit: CUDAToolkit, plan: OffloadPlan, host: any ComputeBackend,
                kernelCache: CUDAKernelCache = CUDAKernelCache()) throws(CUDAError) {
        context = try CUDAContext(driver: toolkit.driver, device: toolkit.device)
        stream = try CUDAStream(context: context)
        kernels = try CUDAKernels(context: context, nvrtc: toolkit.nvrtc, cache: kernelCache)
        blas = try CUBLASHandle(cublas: toolkit.cublas, stream: stream)
        self.plan = plan
        self.host = host
    }

    deinit {
        if let budget, chargedBytes > 0 { budget.release(chargedBytes, from: .gpu) }
    }

    public var name: String { "cuda:\(context.device.ordinal)" }
    /// Whether the kernels came from the on-disk cache.
    public var kernelsWereCached: Bool { kernels.cached }
    /// Device bytes held: weights, KV pages, activation twins and scratch.
    public var deviceBytes: Int {
        (buffers + boundBuffers).reduce(0) { $0 + $1.bytes } + (fullPages?.bytes ?? 0) + (windowPages?.bytes ?? 0)
    }

    /// Device weight types the kernels multiply by.
    public static let weightTypes: [DType] = [.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q4_K, .q6_K]
    /// Device bytes of uploaded weights.
    public var uploadedWeightBytes: Int { weightBytes }
    /// KV pages loaded from and written back to the host so far.
    public var pageTraffic: (loads: Int, writeBacks: Int) {
        ((fullPages?.loads ?? 0) + (windowPages?.loads ?? 0), (fullPages?.writeBacks ?? 0) + (windowPages?.writeBacks ?? 0))
    }
    /// Host scratch only: device memory is charged to `.gpu`.
    public var scratchBytes: Int { 0 }

    // MARK: Set-up

    /// Uploads `ranges` (the offloaded layers' weights, norms and biases, as the forward pass
    /// addresses them) once, through a pinned staging buffer; `progress` hears bytes done of
    /// the total after each chunk. Ranges already uploaded are skipped.
    public func uploadWeights(_ ranges: [UnsafeRawBufferPointer], progress: ((Int, Int) -> Void)? = nil) throws(CUDAError) {
        let fresh = ranges.filter { $0.count > 0 && !weightMap.contains($0.baseAddress!) }
        let total = fresh.reduce(0) { $0 + Self.aligned($1.count) }
        guard total > 0 else { return }
        let device = try DeviceBuffer(context: context, bytes: total)
        buffers.append(device)
        let stage = try PinnedBuffer(context: context, bytes: min(Self.stagingBytes, total))
        let half = max(1, stage.bytes / 2)
        var offset = 0, done = 0, turn = 0
        for range in fresh {
            weightMap.insert(host: range.baseAddress!, bytes: range.count, device: device.address + UInt64(offset))
            var copied = 0
            while copied < range.count {
                // Two halves: one fills while the other uploads.
                let n = min(half, range.count - copied)
                let slot = stage.base + (turn % 2) * half
                if turn >= 2 { try stream.synchronize() }
                slot.copyMemory(from: range.baseAddress! + copied, byteCount: n)
                try device.upload(slot, count: n, offset: offset + copied, stream: stream)
                copied += n
                done += n
                turn += 1
                progress?(done, total)
            }
            offset += Self.aligned(range.count)
        }
        try stream.synchronize()
        weightBytes += total
        charge(total)  // when bound already; `bind` charges everything held
    }

    public func reserve(_ limits: BackendLimits) {
        host.reserve(limits)
    }

    /// Makes device twins of the runner's buffers and the device KV page caches, and charges
    /// all device memory to the binding's budget. Binding again (a new engine on this backend,
    /// as `strata bench` makes per test) replaces the previous binding.
    public func bind(_ binding: BackendBinding) throws(CUDAError) {
        if let budget, chargedBytes > 0 { budget.release(chargedBytes, from: .gpu) }
        chargedBytes = 0
        boundBuffers = []
        activationMap = DeviceAddressMap()
        fullPages = nil
        windowPages = nil
        budget = binding.budget
        func allocate(_ bytes: Int) throws(CUDAError) -> DeviceBuffer {
            let buffer = try DeviceBuffer(context: context, bytes: max(bytes, 4))
            boundBuffers.append(buffer)
            return buffer
        }
        // Activation twins.
        for buffer in binding.activations where buffer.count > 0 {
            activationMap.insert(host: buffer.baseAddress!, bytes: buffer.count, device: try allocate(buffer.count).address)
        }
        for buffer in binding.quantized where buffer.count > 0 {
            let twin = try allocate(buffer.count * MemoryLayout<Float>.stride)
            activationMap.insert(host: buffer.baseAddress!, bytes: buffer.count, device: twin.address, scale: MemoryLayout<Float>.stride)
        }
        // Batch metadata.
        maxBlocks = binding.maxBlocksPerSequence
        let tokens = binding.maxBatchTokens, tableEntries = binding.maxSequences * maxBlocks
        (tokenCapacity, tableCapacity) = (tokens, tableEntries)
        blocksOfEntry = [Int](repeating: 0, count: binding.maxSequences)
        entries = try allocate(2 * tokens * 4)
        tables = try allocate(2 * tableEntries * 8)
        staging = try PinnedBuffer(context: context, bytes: 2 * tokens * 4 + 2 * tableEntries * 8)
        // F16 operands for cuBLAS, when batches can be large enough to use it.
        halfActivations = nil
        halfWeights = nil
        if tokens > Self.gemvMaxTokens {
            let widest = binding.activations.map { $0.count / MemoryLayout<Float>.stride }.max() ?? 0
            halfActivations = try allocate(widest * 2)
            halfWeightElements = Self.halfWeightChunkBytes / 2
            halfWeights = try allocate(Self.halfWeightChunkBytes)
        }
        // KV pages of the offloaded layers: the places of layers >= the first device block are
        // the last ones of their layout.
        let devicePlaces = binding.kvPlaces[plan.firstDeviceBlock...]
        if let first = devicePlaces.filter({ $0 >= 0 }).min() {
            fullPages = try DevicePageCache(context: context, stream: stream, layout: binding.layout, firstPlace: Int(first),
                                            slots: binding.maxSequences * binding.maxBlocksPerSequence)
        }
        if let last = devicePlaces.filter({ $0 < 0 }).max(), let windowLayout = binding.windowLayout {
            // Live window pages: each sequence's window, plus the pages a pass writes before
            // the ones that left the window are released at its commit.
            let bt = binding.layout.blockTokens
            let slots = min(binding.maxSequences * binding.maxBlocksPerSequence,
                            binding.maxSequences * (binding.window / bt + 3) + binding.maxBatchTokens / bt + 1)
            windowPages = try DevicePageCache(context: context, stream: stream, layout: windowLayout, firstPlace: Int(-1 - last),
                                              slots: slots)
        }
        charge(deviceBytes)
    }

    func charge(_ bytes: Int) {
        guard let budget, bytes > 0 else { return }
        budget.charge(bytes, to: .gpu)
        chargedBytes += bytes
    }

    private static func aligned(_ bytes: Int) -> Int { (bytes + 255) / 256 * 256 }

    // MARK: Addresses

    /// The device address of host `pointer` (a registered weight or activation).
    @inline(__always)
    func d(_ pointer: UnsafeRawPointer) -> UInt64 {
        guard let address = activationMap.device(pointer) ?? weightMap.device(pointer) else {
            preconditionFailure("CUDABackend: \(pointer) has no device copy (not an offloaded weight or a bound buffer)")
        }
        return address
    }

    @inline(__always)
    func d(_ q: Q8Rows) -> UInt64 { d(UnsafeRawPointer(q.quants)) }

    /// Stops with the failed call: a device fault mid-pass has no one to be returned to.
    @inline(__always)
    func must(_ body: () throws(CUDAError) -> Void) {
        do { try body() } catch { fatalError("CUDA backend on \(context.device.name): \(error)") }
    }

    func launch(_ kernel: String, grid: (UInt32, UInt32, UInt32), block: Int, _ fill: (KernelArguments) -> Void) {
        launch(kernels[kernel], grid: grid, block: block, fill)
    }

    func launch(_ function: CUDAFunction, grid: (UInt32, UInt32, UInt32), block: Int, _ fill: (KernelArguments) -> Void) {
        arguments.removeAll()
        fill(arguments)
        must { () throws(CUDAError) in try function.launch(grid: grid, block: UInt32(block), stream: stream, arguments: arguments) }
    }

    /// One thread per element: 256-thread blocks over `count`.
    func elementwise(_ kernel: String, count: Int, _ fill: (KernelArguments) -> Void) {
        guard count > 0 else { return }
        launch(kernel, grid: (UInt32((count + 255) / 256), 1, 1), block: 256, fill)
    }

    /// A block size for `work` items per block: a multiple of 32, at most `limit`.
    static func threads(_ work: Int, limit: Int = 256) -> Int { min(limit, max(32, (work + 31) / 32 * 32)) }

    // MARK: Crossing

    public func upload(_ host: UnsafeMutablePointer<Float>, count: Int) {
        batchOnDevice = false  // a pass (or its device part) starts: its batch goes up once
        must { () throws(CUDAError) in
            // The driver's current context is per thread, and passes run on the scheduler's.
            try context.makeCurrent()
            try context.driver.check(context.calls.memcpyHostToDevice(d(host), host, count * 4, stream.handle), "cuMemcpyHtoDAsync")
        }
    }

    public func download(_ host: UnsafeMutablePointer<Float>, count: Int) {
        must { () throws(CUDAError) in
            try context.driver.check(context.calls.memcpyDeviceToHost(host, d(host), count * 4, stream.handle), "cuMemcpyDtoHAsync")
            try stream.synchronize()
        }
    }
}
