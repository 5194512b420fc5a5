// Llama 2/3 (and SmolLM2, Mistral, TinyLlama): llama.cpp's LLM_ARCH_LLAMA (src/llama-model.cpp,
// `llm_build_llama`): RMSNorm, normal RoPE (with Llama 3.1's `rope_freqs` divisors when present),
// grouped-query attention, optional Q/K/V biases, SwiGLU feed-forward, tied or separate output.
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
    /// Linear RoPE position scaling (`1 / rope.scaling.factor`); 1: none.
    public var ropeFrequencyScale: Float = 1
    /// Positions a token attends to in every layer (`attention.sliding_window`, Mistral); 0: all.
    public var slidingWindow = 0
    /// The head width when the file states one (`attention.key_length`) that need not be
    /// `dim / heads` (Qwen3, Gemma); nil: `dim / heads`.
    public var headDimension: Int?

    /// Width of one attention head.
    public var headDim: Int { headDimension ?? dim / heads }
    /// Width of the K and V projections.
    public var kvDim: Int { kvHeads * headDim }

    /// The hyperparameters every decoder shares.
    public var shape: DecoderShape {
        DecoderShape(layers: layers, dim: dim, heads: heads, kvHeads: kvHeads, headDim: headDim,
                     vocabularySize: vocabularySize, contextLength: contextLength,
                     windows: [Int](repeating: slidingWindow, count: layers))
    }

    public init(dim: Int, hiddenDim: Int, layers: Int, heads: Int, kvHeads: Int, vocabularySize: Int,
                contextLength: Int, normEpsilon: Float = 1e-5, ropeBase: Float = 10000,
                ropeDimensions: Int? = nil, ropeStyle: RopeStyle = .normal, headDimension: Int? = nil) {
        self.dim = dim
        self.hiddenDim = hiddenDim
        self.layers = layers
        self.heads = heads
        self.kvHeads = kvHeads
        self.vocabularySize = vocabularySize
        self.contextLength = contextLength
        self.normEpsilon = normEpsilon
        self.ropeBase = ropeBase
        self.ropeDimensions = ropeDimensions ?? headDimension ?? (heads > 0 ? dim / heads : 0)
        self.ropeStyle = ropeStyle
        self.headDimension = headDimension
    }

    /// Checks that the hyperparameters describe a runnable model.
    /// The RoPE of these hyperparameters, with per-pair frequency divisors when given.
    public func rope(factors: [Float] = [], attentionFactor: Float = 1) -> Rope {
        Rope(headDim: headDim, ropeDims: ropeDimensions, base: ropeBase, style: ropeStyle, frequencyScale: ropeFrequencyScale,
             frequencyFactors: factors, attentionFactor: attentionFactor)
    }

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
        if let h = headDimension {
            guard h >= 1, h <= limit else { throw bad("attention.key_length", h, "must be in 1...\(limit)") }
        } else {
            guard dim % heads == 0 else { throw bad("head_count", heads, "must divide embedding_length \(dim)") }
        }
        guard heads % kvHeads == 0 else { throw bad("head_count_kv", kvHeads, "must divide head_count \(heads)") }
        guard ropeDimensions >= 2, ropeDimensions % 2 == 0, ropeDimensions <= headDim else {
            throw bad("rope.dimension_count", ropeDimensions, "must be even and at most the head size \(headDim)")
        }
        guard normEpsilon.isFinite, normEpsilon > 0, normEpsilon < 1 else { throw bad("layer_norm_rms_epsilon", normEpsilon, "must be in (0, 1)") }
        guard ropeBase.isFinite, ropeBase > 1 else { throw bad("rope.freq_base", ropeBase, "must be > 1") }
        guard ropeFrequencyScale.isFinite, ropeFrequencyScale > 0 else { throw bad("rope.scaling.factor", 1 / ropeFrequencyScale, "must be positive") }
        guard slidingWindow >= 0 else { throw bad("attention.sliding_window", slidingWindow, "must be 0 or more") }
    }
}

extension LlamaConfig {
    /// Reads the hyperparameters of a Llama-style GGUF file (keys prefixed by the architecture
    /// name), whose RoPE rotates in `ropeStyle`.
    public init(gguf: GGUFFile, ropeStyle: RopeStyle = .normal) throws(ModelFileError) {
        let keys = try ArchitectureKeys(gguf)
        func int(_ key: String) throws(ModelFileError) -> Int? { try keys.int(key) }
        func required(_ key: String) throws(ModelFileError) -> Int { try keys.required(key) }
        func float(_ key: String) throws(ModelFileError) -> Float? { try keys.float(key) }
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
            ropeStyle: ropeStyle,
            headDimension: try int("attention.key_length"))
        ropeFrequencyScale = try keys.ropeFrequencyScale()
        if heads > 0, let v = try int("attention.value_length"), v != headDim {
            throw .invalidHyperparameter(name: "attention.value_length", value: "\(v)",
                                         reason: "must equal the key head width \(headDim): K and V heads of different widths are not supported")
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
    /// The RoPE for contexts longer than the model's original one, when it has one (Phi-3's
    /// long factors), and that length.
    private let longContext: (rope: Rope, beyond: Int)?

    /// Resolves the weights of `config` in `table`: llama.cpp's common layout plus the `extras`
    /// the family requires, and `rope_freqs.weight` (Llama 3.1's RoPE frequency divisors) when
    /// the file has it.
    public convenience init(table: TensorTable, config c: LlamaConfig, architecture: String = "llama",
                            extras: LayerExtras = []) throws(ModelFileError) {
        try c.validate()
        let weights = try DecoderWeights(gguf: table, layers: c.layers, dim: c.dim, heads: c.heads, kvHeads: c.kvHeads,
                                         headDim: c.headDim, hidden: c.hiddenDim, vocabularySize: c.vocabularySize, extras: extras)
        let factors = try table.optionalFactors("rope_freqs.weight", count: c.ropeDimensions / 2)
        self.init(table: table, config: c, architecture: architecture, weights: weights, rope: c.rope(factors: factors ?? []))
    }

    /// A model of `weights` resolved by the family, rotating with `rope`, or with
    /// `longContext.rope` in a context longer than `longContext.beyond` tokens.
    init(table: TensorTable, config c: LlamaConfig, architecture: String, weights: DecoderWeights, rope: Rope,
         longContext: (rope: Rope, beyond: Int)? = nil) {
        config = c
        self.weights = weights
        source = table
        self.architecture = architecture
        shape = c.shape
        self.rope = rope
        self.longContext = longContext
        scratchShape = weights.scratchShape(dim: c.dim, qDim: c.heads * c.headDim, kvDim: c.kvDim, hidden: c.hiddenDim)
    }

    public func specialized(forContext tokens: Int) -> any DecoderModel {
        guard let long = longContext, tokens > long.beyond else { return self }
        return LlamaModel(table: source, config: config, architecture: architecture, weights: weights, rope: long.rope)
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
                                      scale: 1 / Float(c.headDim).squareRoot(), window: c.slidingWindow),
                rope: rope, eps: c.normEpsilon)
            pass.attentionBlock(w.layers[l].attention, spec, dim: c.dim)
            pass.feedForwardBlock(w.layers[l].ffn, .silu, dim: c.dim, hidden: c.hiddenDim, eps: c.normEpsilon)
        }
        pass.logits(from: x, dim: c.dim, norm: w.outputNorm, eps: c.normEpsilon, output: w.output, needs: w.outputNeeds)
    }
}

/// The `llama` GGUF architecture (Llama 2, Llama 3.x, TinyLlama, SmolLM2, Mistral 7B).
public enum Llama: DecoderArchitecture {
    public static let name = "llama"

    public static func load(_ gguf: GGUFFile) throws(ModelFileError) -> any DecoderModel {
        var config = try LlamaConfig(gguf: gguf)
        // Mistral 7B v0.1's 4096-position window, when the file states it (llama.cpp ignores it).
        config.slidingWindow = try ArchitectureKeys(gguf).int("attention.sliding_window") ?? 0
        return try LlamaModel(table: gguf, config: config)
    }

    public static func synthSpec(_ s: SynthShape) throws(ModelFileError) -> SynthSpec {
        let c = LlamaConfig(dim: s.dim, hiddenDim: s.hidden, layers: s.layers, heads: s.heads, kvHeads: s.kvHeads,
                            vocabularySize: s.vocabularySize, contextLength: s.contextLength)
        try c.validate()
        var spec = SynthSpec(architecture: name)
        spec.addLlamaHyperparameters(c)
        if let window = s.slidingWindow { spec.add("attention.sliding_window", .uint32(UInt32(window))) }
        spec.addLlamaTensors(c, tiedOutput: s.tiedOutput)
        if s.ropeFactors { spec.tensor("rope_freqs.weight", [c.ropeDimensions / 2], .ropeFactors) }
        return spec
    }
}

extension SynthSpec {
    /// The hyperparameter keys llama.cpp reads for Llama-style families, prefixed by the architecture.
    mutating func addLlamaHyperparameters(_ c: LlamaConfig) {
        add("context_length", .uint32(UInt32(c.contextLength)))
        add("embedding_length", .uint32(UInt32(c.dim)))
        add("feed_forward_length", .uint32(UInt32(c.hiddenDim)))
        add("block_count", .uint32(UInt32(c.layers)))
        add("attention.head_count", .uint32(UInt32(c.heads)))
        add("attention.head_count_kv", .uint32(UInt32(c.kvHeads)))
        add("attention.layer_norm_rms_epsilon", .float32(c.normEpsilon))
        add("rope.freq_base", .float32(c.ropeBase))
        add("rope.dimension_count", .uint32(UInt32(c.ropeDimensions)))
    }

    /// llama.cpp's common decoder tensors (`DecoderWeights(gguf:...)` reads them back), with
    /// Q/K/V biases, per-head Q/K norms or post-norms when asked for.
    mutating func addLlamaTensors(_ c: LlamaConfig, tiedOutput: Bool, biases: Bool = false, extras: LayerExtras = []) {
        let q = c.heads * c.headDim
        tensor("token_embd.weight", [c.dim, c.vocabularySize])
        for l in 0..<c.layers {
            let p = "blk.\(l)."
            tensor(p + "attn_norm.weight", [c.dim], .norm)
            tensor(p + "attn_q.weight", [c.dim, q])
            tensor(p + "attn_k.weight", [c.dim, c.kvDim])
            tensor(p + "attn_v.weight", [c.dim, c.kvDim])
            if biases {
                tensor(p + "attn_q.bias", [q], .bias)
                tensor(p + "attn_k.bias", [c.kvDim], .bias)
                tensor(p + "attn_v.bias", [c.kvDim], .bias)
            }
            if extras.contains(.qkNorms) {
                tensor(p + "attn_q_norm.weight", [c.headDim], .norm)
                tensor(p + "attn_k_norm.weight", [c.headDim], .norm)
            }
            tensor(p + "attn_output.weight", [q, c.dim])
            if extras.contains(.postNorms) { tensor(p + "post_attention_norm.weight", [c.dim], .norm) }
            tensor(p + "ffn_norm.weight", [c.dim], .norm)
            tensor(p + "ffn_gate.weight", [c.dim, c.hiddenDim])
            tensor(p + "ffn_down.weight", [c.hiddenDim, c.dim])
            tensor(p + "ffn_up.weight", [c.dim, c.hiddenDim])
            if extras.contains(.postNorms) { tensor(p + "post_ffw_norm.weight", [c.dim], .norm) }
        }
        tensor("output_norm.weight", [c.dim], .norm)
        if !tiedOutput { tensor("output.weight", [c.dim, c.vocabularySize]) }
    }
}
