import Memory

/// Where a decoder's forward pass runs its operations: the one value a model's `forward` calls,
/// so a second device (CUDA) is a second conformer rather than a second forward pass.
///
/// Operands are host pointers the caller owns (activations sized once at start-up), weight
/// views (`Tensor`) and the paged KV cache's pages. A backend may keep device copies of weights
/// and pages; results it writes to host pointers must be there when the call returns.
public protocol ComputeBackend: AnyObject {
    /// A short name for reports (`cpu`, `cuda:0`).
    var name: String { get }

    /// Bytes of scratch the backend holds for the limits it was reserved for.
    var scratchBytes: Int { get }

    /// Sizes the backend's own scratch for the largest step it will run; called once, before
    /// the first forward pass (a step allocates nothing).
    func reserve(_ limits: BackendLimits)

    /// Row `tokens[i]` of `table` (a `[vocab rows][columns]` embedding) into `out + i * columns`, as floats.
    func embed(_ table: Tensor, tokens: UnsafePointer<Int32>, count: Int, into out: UnsafeMutablePointer<Float>)

    /// RMSNorm of `rows` rows of `dim`: `out = x / rms(x) * weight` (`out` may be `x`).
    func rmsNorm(out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                 dim: Int, rows: Int, eps: Float)

    /// RMSNorm of `rows` rows of `dim`, quantized into `q` instead of stored.
    func rmsNorm(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, dim: Int, rows: Int, eps: Float, into q: Q8Rows)

    /// Quantizes `rows` rows of `columns` floats into `q` (its format).
    func quantize(_ x: UnsafePointer<Float>, rows: Int, columns: Int, into q: Q8Rows)

    /// `out = x * weight^T` for `rows` float rows (weights in a float type).
    func matmul(out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, rows: Int, weight: Tensor)

    /// `out = x * weight^T` for quantized rows (block-quantized weights, `x` in their activation format).
    func matmul(out: UnsafeMutablePointer<Float>, x: Q8Rows, weight: Tensor)

    /// `out = x` over `count` floats (neither range overlapping the other).
    func copy(_ out: UnsafeMutablePointer<Float>, from x: UnsafePointer<Float>, count: Int)

    /// Announces where the forward pass is, before that stage's first operation: block
    /// `layer`, the output head, or the end (logits written). `activations` is what crosses a
    /// device boundary there: the residual stream (`count` floats), or at `.end` the logits.
    /// A single-device backend has nothing to do (the default).
    func enter(_ stage: ForwardStage, activations: UnsafeMutablePointer<Float>, count: Int)

    /// `y += x` over `count` floats.
    func add(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int)

    /// `y[r] += bias` for each of `rows` rows of `columns`.
    func addBias(_ y: UnsafeMutablePointer<Float>, _ bias: UnsafePointer<Float>, rows: Int, columns: Int)

    /// `x *= alpha` over `count` floats.
    func scale(_ x: UnsafeMutablePointer<Float>, by alpha: Float, count: Int)

    /// `x = cap * tanh(x / cap)` over `count` floats (logit soft-capping).
    func softcap(_ x: UnsafeMutablePointer<Float>, cap: Float, count: Int)

    /// `gate = activation(gate) * up` over `count` floats.
    func gated(_ activation: GatedActivation, gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int)

    /// `activation(gate) * up` over `rows` rows of `columns`, quantized into `q` instead of stored.
    func gated(_ activation: GatedActivation, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, rows: Int, columns: Int,
               into q: Q8Rows)

    /// Rotates `heads` heads of each of the batch's tokens: token `i`'s heads start at `x + i * stride`
    /// and sit at position `batch.tokenPosition[i]`.
    func rope(_ x: UnsafeMutablePointer<Float>, stride: Int, heads: Int, rope: Rope, batch: AttentionBatch)

    /// Stores each batch token's K and V rows (`kvDim` floats at `key + i * stride`,
    /// `value + i * stride`) in its sequence's page for `layer`.
    func storeKV(key: UnsafePointer<Float>, value: UnsafePointer<Float>, stride: Int, layer: Int, batch: AttentionBatch)

    /// Causal attention of every batch token over its sequence's cached positions for one
    /// layer (the last `layer.window` of them in a sliding-window layer): `out` and `q` hold `[tokens, heads * headDim]`.
    func attention(out: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>, layer: AttentionLayer, batch: AttentionBatch)

    /// Called once by the engine when the runner's buffers and the KV cache exist: a device
    /// backend makes its copies of them and charges its device memory to the budget. Host
    /// backends have nothing to do (the default).
    func bind(_ binding: BackendBinding) throws(CUDAError)

    /// Who must hear when the KV cache reads or rewrites a page on the host (a device backend
    /// keeping some layers' KV on the device), or nil.
    var pageMirror: (any KVPageMirror)? { get }
}

extension ComputeBackend {
    public func enter(_ stage: ForwardStage, activations: UnsafeMutablePointer<Float>, count: Int) {}
    public func bind(_ binding: BackendBinding) throws(CUDAError) {}
    public var pageMirror: (any KVPageMirror)? { nil }
}

/// Keeps the part of KV pages it holds elsewhere (device memory) consistent with the host
/// pages: the cache calls it around host reads and writes of a whole page.
public protocol KVPageMirror: AnyObject {
    /// `page` is about to be read on the host (compressed, copied): its mirrored part must be there.
    func pageWillBeRead(_ page: UnsafeMutableRawPointer)
    /// `page` was rewritten on the host (decompressed into, copied into): a mirrored copy is stale.
    func pageWasWritten(_ page: UnsafeMutableRawPointer)
}

/// What a device backend mirrors of the engine: the budget its device memory is charged to,
/// the host activation buffers the forward pass hands it, and the KV cache's shape.
public struct BackendBinding {
    public var budget: MemoryBudget
    /// Float activation buffers (scratch, logits).
    public var activations: [UnsafeMutableRawBufferPointer]
    /// 8-bit activation buffers (`Q8Rows.quants` bases and their element counts): a device
    /// keeps their rows as floats.
    public var quantized: [UnsafeMutableBufferPointer<Int8>]
    /// The layout of the full pages, and of the window pages when there are any.
    public var layout: KVPageLayout
    public var windowLayout: KVPageLayout?
    /// `KVLayerPlan.places`.
    public var kvPlaces: [Int32]
    /// The longest sliding window (0: none).
    public var window: Int
    public var maxSequences: Int
    public var maxBlocksPerSequence: Int
    public var maxBatchTokens: Int

    public init(budget: MemoryBudget, activations: [UnsafeMutableRawBufferPointer], quantized: [UnsafeMutableBufferPointer<Int8>],
                layout: KVPageLayout, windowLayout: KVPageLayout?, kvPlaces: [Int32], window: Int, maxSequences: Int,
                maxBlocksPerSequence: Int, maxBatchTokens: Int) {
        self.budget = budget
        self.activations = activations
        self.quantized = quantized
        self.layout = layout
        self.windowLayout = windowLayout
        self.kvPlaces = kvPlaces
        self.window = window
        self.maxSequences = maxSequences
        self.maxBlocksPerSequence = maxBlocksPerSequence
        self.maxBatchTokens = maxBatchTokens
    }
}

/// A point in a forward pass where a backend that splits the model may change devices.
public enum ForwardStage: Equatable, Sendable {
    /// Before block `layer` (its attention half).
    case block(Int)
    /// Before the output head (final norm and projection).
    case output
    /// After the logits are written.
    case end
}

/// The activation of a gated feed-forward block (`act(gate) * up`).
public enum GatedActivation: Sendable {
    /// SiLU (SwiGLU): Llama, Qwen, Mistral, Phi-3.
    case silu
    /// GELU, tanh approximation (GeGLU): Gemma.
    case gelu
}

/// The largest step a backend must be ready for, known at start-up.
public struct BackendLimits: Sendable {
    /// Tokens in one forward pass.
    public var maxBatchTokens: Int
    /// The widest matmul input (columns).
    public var widestInput: Int
    /// Whether any matmul reads float weights, and whether any reads block-quantized ones.
    public var floatWeights: Bool
    public var quantizedWeights: Bool
    /// Query heads per kv head, and the head size, of the model's attention.
    public var attentionGroup: Int
    public var headDim: Int
    /// Tokens per KV page.
    public var blockTokens: Int

    public init(maxBatchTokens: Int, widestInput: Int, floatWeights: Bool, quantizedWeights: Bool,
                attentionGroup: Int, headDim: Int, blockTokens: Int) {
        self.maxBatchTokens = maxBatchTokens
        self.widestInput = widestInput
        self.floatWeights = floatWeights
        self.quantizedWeights = quantizedWeights
        self.attentionGroup = attentionGroup
        self.headDim = headDim
        self.blockTokens = blockTokens
    }
}
