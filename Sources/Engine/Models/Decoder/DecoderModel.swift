import StrataRuntime

/// A decoder-only language model: its shape, and a forward pass over a `DecoderBatch` that
/// reaches kernels only through a `ComputeBackend`. One conformer per architecture, each in
/// its own file under `Engine/Models/`, registered in `ModelRegistry`. Loaded models are
/// immutable and shared between sequences; per-step state lives in the batch and the scratch.
public protocol DecoderModel: AnyObject, Sendable {
    /// The GGUF `general.architecture` name it was loaded as (`llama`, `qwen2`, ...).
    var architecture: String { get }

    /// What the batch, the KV cache and the sampler need to know about the model.
    var shape: DecoderShape { get }

    /// The widths of the activations its forward pass writes, and which forms its matmuls read.
    var scratchShape: DecoderScratchShape { get }

    /// Bytes of weight matrices one decode step reads (the embedding is only looked up).
    var weightBytesPerStep: Int { get }

    /// The type of the model's main weight matrices, for reports (`q4_K`, `f32`, ...).
    var weightType: DType { get }

    /// Keeps the mapping the weights point into alive.
    var source: TensorTable { get }

    /// Views of every weight the forward pass reads.
    var weights: DecoderWeights { get }

    /// The model as it runs in contexts of `tokens` tokens per sequence: itself, or a variant
    /// sharing its weights (Phi-3's long-context RoPE factors beyond its original context).
    func specialized(forContext tokens: Int) -> any DecoderModel

    /// Runs every layer over the batch's tokens, writes their K and V into the cache's pages, and
    /// the logits of each entry that asked for them into `batch.logits`.
    func forward(_ batch: DecoderBatch, scratch: DecoderScratch, backend: any ComputeBackend)
}

extension DecoderModel {
    public func specialized(forContext tokens: Int) -> any DecoderModel { self }
}

/// The hyperparameters every decoder has, whatever its architecture.
public struct DecoderShape: Equatable, Sendable {
    public var layers: Int
    /// Width of the residual stream.
    public var dim: Int
    public var heads: Int
    public var kvHeads: Int
    /// Width of one attention head.
    public var headDim: Int
    public var vocabularySize: Int
    /// Context length the model was trained for.
    public var contextLength: Int
    /// Per layer, the positions a token attends to in a sliding-window layer, or 0 for a layer
    /// that attends to every earlier position.
    public var windows: [Int]

    /// Width of the K and V rows of a layer (what the KV cache stores per token and layer).
    public var kvDim: Int { kvHeads * headDim }

    /// Query heads per kv head.
    public var attentionGroup: Int { heads / kvHeads }

    public init(layers: Int, dim: Int, heads: Int, kvHeads: Int, headDim: Int, vocabularySize: Int, contextLength: Int,
                windows: [Int]? = nil) {
        self.windows = windows ?? [Int](repeating: 0, count: layers)
        self.layers = layers
        self.dim = dim
        self.heads = heads
        self.kvHeads = kvHeads
        self.headDim = headDim
        self.vocabularySize = vocabularySize
        self.contextLength = contextLength
    }

    /// Tokens a sequence holds unless the user says otherwise: the trained context, capped
    /// so that a model claiming 128k does not reserve KV tables for it by default.
    public var defaultContextLength: Int { min(contextLength, DecoderShape.defaultContextCap) }

    /// The cap of `defaultContextLength`.
    public static let defaultContextCap = 4096

    /// `requested` tokens per sequence (or the default), never more than the model was trained for.
    public func contextLength(requested: Int?) -> Int {
        min(max(1, requested ?? defaultContextLength), contextLength)
    }
}

/// An architecture Strata runs, as `ModelRegistry` lists it: how to load one from GGUF and how
/// to write a random-weight file of it (`strata synth --arch`, and the tests that compare each
/// architecture with llama.cpp on the same file).
public protocol DecoderArchitecture: Sendable {
    /// GGUF `general.architecture`.
    static var name: String { get }
    /// The model in `gguf`, weights resolved in place.
    static func load(_ gguf: GGUFFile) throws(ModelFileError) -> any DecoderModel
    /// The metadata and tensors of a random-weight model of `shape`.
    static func synthSpec(_ shape: SynthShape) throws(ModelFileError) -> SynthSpec
}
