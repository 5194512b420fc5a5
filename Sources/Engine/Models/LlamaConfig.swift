import StrataRuntime

/// The blueprint of a Llama-family decoder: every hyperparameter the forward pass needs.
public struct LlamaConfig: Equatable, Sendable {
    /// Model width (`embedding_length`).
    public var dim: Int
    /// FFN width (`feed_forward_length`).
    public var hiddenDim: Int
    public var layers: Int
    public var heads: Int
    public var kvHeads: Int
    public var vocabularySize: Int
    /// Context length the model was trained for.
    public var contextLength: Int
    public var normEpsilon: Float
    public var ropeBase: Float
    /// Leading dimensions of each head that RoPE rotates.
    public var ropeDimensions: Int
    public var ropeStyle: RopeStyle

    /// Width of one attention head.
    public var headDim: Int { dim / heads }
    /// Width of the K and V projections.
    public var kvDim: Int { kvHeads * headDim }

    /// Tokens a sequence holds unless the user says otherwise: the trained context, capped
    /// so that a model claiming 128k does not reserve KV tables for it by default.
    public var defaultContextLength: Int { min(contextLength, LlamaConfig.defaultContextCap) }

    /// The cap of `defaultContextLength`.
    public static let defaultContextCap = 4096

    /// `requested` tokens per sequence (or the default), never more than the model was trained for.
    public func contextLength(requested: Int?) -> Int {
        min(max(1, requested ?? defaultContextLength), contextLength)
    }

    public init(dim: Int, hiddenDim: Int, layers: Int, heads: Int, kvHeads: Int, vocabularySize: Int,
                contextLength: Int, normEpsilon: Float = 1e-5, ropeBase: Float = 10000,
                ropeDimensions: Int? = nil, ropeStyle: RopeStyle = .normal) {
        self.dim = dim
        self.hiddenDim = hiddenDim
        self.layers = layers
        self.heads = heads
        self.kvHeads = kvHeads
        self.vocabularySize = vocabularySize
        self.contextLength = contextLength
        self.normEpsilon = normEpsilon
        self.ropeBase = ropeBase
        self.ropeDimensions = ropeDimensions ?? (heads > 0 ? dim / heads : 0)
        self.ropeStyle = ropeStyle
    }

    /// Checks that the hyperparameters describe a runnable model.
    public func validate() throws(ModelFileError) {
        func bad(_ name: String, _ value: some CustomStringConvertible, _ reason: String) -> ModelFileError {
            .invalidHyperparameter(name: name, value: value.description, reason: reason)
        }
        // Limits far above any real model but low enough that products cannot overflow.
        let limit = 1 << 20
        for (name, v) in [("embedding_length", dim), ("feed_forward_length", hiddenDim), ("block_count", layers),
                          ("head_count", heads), ("head_count_kv", kvHeads), ("vocab_size", vocabularySize),
                          ("context_length", contextLength)] {
            guard v >= 1, v <= limit else { throw bad(name, v, "must be in 1...\(limit)") }
        }
        guard dim % heads == 0 else { throw bad("head_count", heads, "must divide embedding_length \(dim)") }
        guard heads % kvHeads == 0 else { throw bad("head_count_kv", kvHeads, "must divide head_count \(heads)") }
        guard ropeDimensions >= 2, ropeDimensions % 2 == 0, ropeDimensions <= headDim else {
            throw bad("rope.dimension_count", ropeDimensions, "must be even and at most the head size \(headDim)")
        }
        guard normEpsilon.isFinite, normEpsilon > 0, normEpsilon < 1 else { throw bad("layer_norm_rms_epsilon", normEpsilon, "must be in (0, 1)") }
        guard ropeBase.isFinite, ropeBase > 1 else { throw bad("rope.freq_base", ropeBase, "must be > 1") }
    }
}
