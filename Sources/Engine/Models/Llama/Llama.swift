// Llama (and SmolLM2, Mistral, TinyLlama): llama.cpp's LLM_ARCH_LLAMA (src/llama-model.cpp,
// `llm_build_llama`): RMSNorm, normal RoPE, grouped-query attention, SwiGLU feed-forward.
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

    /// The hyperparameters every decoder shares.
    public var shape: DecoderShape {
        DecoderShape(layers: layers, dim: dim, heads: heads, kvHeads: kvHeads, headDim: headDim,
                     vocabularySize: vocabularySize, contextLength: contextLength)
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

extension LlamaConfig {
    /// Reads the hyperparameters of a `llama` GGUF file (keys prefixed by the architecture name).
    public init(gguf: GGUFFile) throws(ModelFileError) {
        guard let arch = gguf.architecture else { throw .missingKey("general.architecture") }
        func int(_ key: String) throws(ModelFileError) -> Int? {
            guard let v = gguf.metadata["\(arch).\(key)"] else { return nil }
            guard let i = v.int else { throw .wrongKeyType(key: "\(arch).\(key)", expected: "an integer") }
            return i
        }
        func required(_ key: String) throws(ModelFileError) -> Int {
            guard let v = try int(key) else { throw .missingKey("\(arch).\(key)") }
            return v
        }
        func float(_ key: String) throws(ModelFileError) -> Float? {
            guard let v = gguf.metadata["\(arch).\(key)"] else { return nil }
            guard let d = v.double else { throw .wrongKeyType(key: "\(arch).\(key)", expected: "a number") }
            return Float(d)
        }
        let dim = try required("embedding_length")
        let heads = try required("attention.head_count")
        // The vocabulary size is the embedding's row count; the key is optional in GGUF.
        guard let embedding = gguf.tensor(named: "token_embd.weight") else { throw .missingTensor("token_embd.weight") }
        self.init(
            dim: dim,
            hiddenDim: try required("feed_forward_length"),
            layers: try required("block_count"),
            heads: heads,
            kvHeads: try int("attention.head_count_kv") ?? heads,
            vocabularySize: try int("vocab_size") ?? embedding.rows,
            contextLength: try required("context_length"),
            normEpsilon: try float("attention.layer_norm_rms_epsilon") ?? 1e-5,
            ropeBase: try float("rope.freq_base") ?? 10000,
            ropeDimensions: try int("rope.dimension_count"),
            ropeStyle: .normal)
        if heads > 0, try int("attention.key_length").map({ $0 != dim / heads }) ?? false {
            throw .invalidHyperparameter(name: "attention.key_length", value: "\(try int("attention.key_length")!)",
                                         reason: "head sizes other than embedding_length / head_count are not supported")
        }
        try validate()
    }
}

/// A loaded Llama-family model: hyperparameters and weight views into the file that
/// `source` keeps mapped. Immutable and shareable between sequences.
public final class LlamaModel: DecoderModel {
    public let config: LlamaConfig
    public let weights: DecoderWeights
    public let source: TensorTable
    public let architecture: String
    public let shape: DecoderShape
    public let scratchShape: DecoderScratchShape
    private let rope: Rope

    /// Resolves the weights of `config` in `table`.
    public init(table: TensorTable, config c: LlamaConfig, architecture: String = "llama") throws(ModelFileError) {
        try c.validate()
        config = c
        weights = try DecoderWeights(gguf: table, layers: c.layers, dim: c.dim, heads: c.heads, kvHeads: c.kvHeads,
                                     headDim: c.headDim, hidden: c.hiddenDim, vocabularySize: c.vocabularySize)
        source = table
        self.architecture = architecture
        shape = c.shape
        rope = Rope(headDim: c.headDim, ropeDims: c.ropeDimensions, base: c.ropeBase, style: c.ropeStyle)
        scratchShape = weights.scratchShape(dim: c.dim, qDim: c.heads * c.headDim, kvDim: c.kvDim, hidden: c.hiddenDim)
    }

    public var weightBytesPerStep: Int { weights.bytesReadPerStep }

    public var weightType: DType { weights.layers.first?.attention.wq.dtype ?? weights.output.dtype }

    public func forward(_ batch: DecoderBatch, scratch: DecoderScratch, backend: any ComputeBackend) {
        let c = config, w = weights
        let pass = DecoderPass(backend: backend, scratch: scratch, batch: batch)
        let x = scratch.x.pointer
        backend.embed(w.tokenEmbedding, tokens: batch.tokenIDPointer, count: pass.tokens, into: x)
        // Indexed, not `enumerated()`: unspecialized (debug) iteration boxes each large element.
        for l in 0..<w.layers.count {
            let spec = AttentionSpec(
                layer: AttentionLayer(layer: l, heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim,
                                      scale: 1 / Float(c.headDim).squareRoot()),
                rope: rope, eps: c.normEpsilon)
            pass.attentionBlock(w.layers[l].attention, spec, dim: c.dim)
            pass.feedForwardBlock(w.layers[l].ffn, .silu, dim: c.dim, hidden: c.hiddenDim, eps: c.normEpsilon)
        }
        pass.logits(from: x, dim: c.dim, norm: w.outputNorm, eps: c.normEpsilon, output: w.output, needs: w.outputNeeds)
    }
}
