/// `--gpu-layers`: how many of a model's layers to run on the GPU, llama.cpp's `-ngl` way.
/// Layers are counted from the last: `N` puts the last `N` blocks on the device, and one more
/// than the block count adds the output head; `all` is everything, `auto` as much as fits.
public enum GPULayers: Equatable, Sendable, CustomStringConvertible {
    case auto
    case all
    case count(Int)

    /// Parses `auto`, `all` or a non-negative count.
    public init?(argument: String) {
        switch argument.lowercased() {
        case "auto": self = .auto
        case "all": self = .all
        default:
            guard let n = Int(argument), n >= 0 else { return nil }
            self = .count(n)
        }
    }

    public var description: String {
        switch self {
        case .auto: "auto"
        case .all: "all"
        case .count(let n): String(n)
        }
    }
}

/// Which layers run on the device.
public struct OffloadPlan: Equatable, Sendable {
    /// The model's block count.
    public var blocks: Int
    /// Blocks on the device: the last `offloadedBlocks` of them.
    public var offloadedBlocks: Int
    /// Whether the output norm and head run on the device too.
    public var outputOnDevice: Bool
    /// Device bytes the plan takes (weights and KV of what it offloads).
    public var deviceBytes: Int

    public init(blocks: Int, offloadedBlocks: Int, outputOnDevice: Bool, deviceBytes: Int) {
        precondition(offloadedBlocks >= 0 && offloadedBlocks <= blocks, "OffloadPlan: \(offloadedBlocks) of \(blocks) blocks")
        self.blocks = blocks
        self.offloadedBlocks = offloadedBlocks
        self.outputOnDevice = outputOnDevice
        self.deviceBytes = deviceBytes
    }

    /// Whether block `layer` runs on the device.
    public func isOnDevice(block layer: Int) -> Bool { layer >= blocks - offloadedBlocks }

    /// The first block on the device (`blocks` when none is).
    public var firstDeviceBlock: Int { blocks - offloadedBlocks }

    /// `offloadedBlocks`, plus one for the output head: the count `--gpu-layers` takes.
    public var layerCount: Int { offloadedBlocks + (outputOnDevice ? 1 : 0) }
}

/// What offloading each part of a model costs on the device.
public struct OffloadSizes: Equatable, Sendable {
    /// Per block: its weights plus its KV for the context the engine reserves.
    public var blockBytes: [Int]
    /// The output norm and head (the token embedding stays on the host, as in llama.cpp).
    public var outputBytes: Int

    public init(blockBytes: [Int], outputBytes: Int) {
        self.blockBytes = blockBytes
        self.outputBytes = outputBytes
    }

    /// Bytes of the last `blocks` blocks, with the output head when `output`.
    public func bytes(lastBlocks blocks: Int, output: Bool) -> Int {
        blockBytes.suffix(blocks).reduce(0, +) + (output ? outputBytes : 0)
    }
}

/// Why a requested offload cannot run.
public enum OffloadError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An explicit `--gpu-layers N` (N > 0) or `all` where CUDA cannot run.
    case unavailable(requested: GPULayers, reason: CUDAError)
    /// The requested layers need more device memory than is free.
    case doesNotFit(requested: GPULayers, neededBytes: Int, usableBytes: Int, device: String)

    public var description: String {
        switch self {
        case .unavailable(let requested, let reason):
            "--gpu-layers \(requested) needs CUDA, which cannot run here: \(reason). Use --gpu-layers 0 or auto to run on the CPU."
        case .doesNotFit(let requested, let needed, let usable, let device):
            "--gpu-layers \(requested) needs \(OffloadDecision.mib(needed)) MiB on \(device), but \(OffloadDecision.mib(usable)) MiB are usable (free memory minus the margin); ask for fewer layers or auto."
        }
    }
}

/// The outcome of `--gpu-layers` on this machine: run on the CPU (and why, when the user
/// asked for `auto` and got nothing), or offload a plan.
public enum OffloadDecision: Equatable, Sendable {
    case cpu(reason: String?)
    case device(OffloadPlan, summary: String)

    /// Device memory left unplanned: max(512 MiB, 5% of the device), for the runtime's own
    /// allocations, cuBLAS workspace and activations.
    public static func margin(totalBytes: Int) -> Int { max(512 << 20, totalBytes / 20) }

    /// Resolves `request` for a model of `sizes` against the probe's result. `auto` never
    /// fails: without CUDA it runs on the CPU with the reason; an explicit count does fail.
    /// Counts beyond the model's layers mean all of them, as in llama.cpp.
    public static func resolve(_ request: GPULayers, sizes: OffloadSizes,
                               probe: Result<CUDADevice, CUDAError>) throws(OffloadError) -> OffloadDecision {
        let blocks = sizes.blockBytes.count
        if case .count(0) = request { return .cpu(reason: nil) }
        let device: CUDADevice
        switch probe {
        case .failure(let reason):
            if request == .auto { return .cpu(reason: "no GPU offload: \(reason)") }
            throw .unavailable(requested: request, reason: reason)
        case .success(let found):
            device = found
        }
        let usable = max(0, device.freeBytes - margin(totalBytes: device.totalBytes))
        let deviceName = "cuda:\(device.ordinal) (\(device.name))"

        let offloaded: Int, output: Bool
        switch request {
        case .auto:
            var n = 0
            while n < blocks, sizes.bytes(lastBlocks: n + 1, output: false) <= usable { n += 1 }
            offloaded = n
            output = n == blocks && sizes.bytes(lastBlocks: n, output: true) <= usable
        case .all:
            (offloaded, output) = (blocks, true)
        case .count(let n):
            (offloaded, output) = (min(n, blocks), n > blocks)
        }
        let needed = sizes.bytes(lastBlocks: offloaded, output: output)
        if request != .auto, needed > usable {
            throw .doesNotFit(requested: request, neededBytes: needed, usableBytes: usable, device: deviceName)
        }
        guard offloaded > 0 || output else {
            return .cpu(reason: "no GPU offload: not one layer fits in the \(mib(usable)) MiB usable on \(deviceName)")
        }
        let plan = OffloadPlan(blocks: blocks, offloadedBlocks: offloaded, outputOnDevice: output, deviceBytes: needed)
        let summary = "\(plan.layerCount) of \(blocks + 1) layers on \(deviceName): \(mib(needed)) MiB of "
            + "\(mib(device.freeBytes)) MiB free (margin \(mib(margin(totalBytes: device.totalBytes))) MiB)"
        return .device(plan, summary: summary)
    }

    static func mib(_ bytes: Int) -> Int { (bytes + (1 << 20) - 1) >> 20 }
}
