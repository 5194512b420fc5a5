/// A backend whose operations run on the device for the blocks an `OffloadPlan` offloads and on
/// the host for the rest (llama.cpp's `-ngl` split). The forward pass announces each block and
/// the output head (`ComputeBackend.enter`); where the side changes, the residual stream
/// crosses once, and the logits come back at the end. The embedding lookup always runs on the
/// host and starts a pass there.
public protocol DeviceBackend: ComputeBackend {
    /// Makes `count` floats of host activations at `host` current on the device (the device's
    /// copy of that buffer).
    func upload(_ host: UnsafeMutablePointer<Float>, count: Int)
    /// Writes the device's copy of `count` floats of activations back to `host`.
    func download(_ host: UnsafeMutablePointer<Float>, count: Int)
}

public final class SplitBackend: ComputeBackend {
    public let host: any ComputeBackend
    public let device: any DeviceBackend
    public let plan: OffloadPlan
    /// Where operations go now.
    private var onDevice = false
    /// Crossings so far, each way (for reports and tests).
    public private(set) var uploads = 0, downloads = 0

    public init(host: any ComputeBackend, device: any DeviceBackend, plan: OffloadPlan) {
        self.host = host
        self.device = device
        self.plan = plan
    }

    public var name: String { "\(host.name)+\(device.name) (\(plan.layerCount) layers on \(device.name))" }
    public var scratchBytes: Int { host.scratchBytes + device.scratchBytes }

    public func reserve(_ limits: BackendLimits) {
        host.reserve(limits)
        device.reserve(limits)
    }

    public func bind(_ binding: BackendBinding) throws(CUDAError) {
        try host.bind(binding)
        try device.bind(binding)
    }

    public var pageMirror: (any KVPageMirror)? { device.pageMirror }

    private var current: any ComputeBackend { onDevice ? device : host }

    /// Moves to the side `wanted`, carrying `activations` across if it changes.
    private func move(toDevice wanted: Bool, _ activations: UnsafeMutablePointer<Float>, count: Int) {
        guard wanted != onDevice else { return }
        if wanted {
            device.upload(activations, count: count)
            uploads += 1
        } else {
            device.download(activations, count: count)
            downloads += 1
        }
        onDevice = wanted
    }

    public func enter(_ stage: ForwardStage, activations: UnsafeMutablePointer<Float>, count: Int) {
        switch stage {
        case .block(let layer): move(toDevice: plan.isOnDevice(block: layer), activations, count: count)
        case .output: move(toDevice: plan.outputOnDevice, activations, count: count)
        case .end: move(toDevice: false, activations, count: count)
        }
    }

    public func embed(_ table: Tensor, tokens: UnsafePointer<Int32>, count: Int, into out: UnsafeMutablePointer<Float>) {
        onDevice = false  // a pass starts on the host; its embeddings overwrite the activations
        host.embed(table, tokens: tokens, count: count, into: out)
    }

    public func rmsNorm(out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>, dim: Int, rows: Int, eps: Float) {
        current.rmsNorm(out: out, x: x, weight: weight, dim: dim, rows: rows, eps: eps)
    }

    public func rmsNorm(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, dim: Int, rows: Int, eps: Float, into q: Q8Rows) {
        current.rmsNorm(x: x, weight: weight, dim: dim, rows: rows, eps: eps, into: q)
    }

    public func quantize(_ x: UnsafePointer<Float>, rows: Int, columns: Int, into q: Q8Rows) {
        current.quantize(x, rows: rows, columns: columns, into: q)
    }

    public func matmul(out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, rows: Int, weight: Tensor) {
        current.matmul(out: out, x: x, rows: rows, weight: weight)
    }

    public func matmul(out: UnsafeMutablePointer<Float>, x: Q8Rows, weight: Tensor) {
        current.matmul(out: out, x: x, weight: weight)
    }

    public func copy(_ out: UnsafeMutablePointer<Float>, from x: UnsafePointer<Float>, count: Int) {
        current.copy(out, from: x, count: count)
    }

    public func add(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
        current.add(y, x, count: count)
    }

    public func addBias(_ y: UnsafeMutablePointer<Float>, _ bias: UnsafePointer<Float>, rows: Int, columns: Int) {
        current.addBias(y, bias, rows: rows, columns: columns)
    }

    public func scale(_ x: UnsafeMutablePointer<Float>, by alpha: Float, count: Int) {
        current.scale(x, by: alpha, count: count)
    }

    public func softcap(_ x: UnsafeMutablePointer<Float>, cap: Float, count: Int) {
        current.softcap(x, cap: cap, count: count)
    }

    public func gated(_ activation: GatedActivation, gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int) {
        current.gated(activation, gate: gate, up: up, count: count)
    }

    public func gated(_ activation: GatedActivation, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, rows: Int, columns: Int,
                      into q: Q8Rows) {
        current.gated(activation, gate: gate, up: up, rows: rows, columns: columns, into: q)
    }

    public func rope(_ x: UnsafeMutablePointer<Float>, stride: Int, heads: Int, rope: Rope, batch: AttentionBatch) {
        current.rope(x, stride: stride, heads: heads, rope: rope, batch: batch)
    }

    public func storeKV(key: UnsafePointer<Float>, value: UnsafePointer<Float>, stride: Int, layer: Int, batch: AttentionBatch) {
        current.storeKV(key: key, value: value, stride: stride, layer: layer, batch: batch)
    }

    public func attention(out: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>, layer: AttentionLayer, batch: AttentionBatch) {
        current.attention(out: out, q: q, layer: layer, batch: batch)
    }
}
