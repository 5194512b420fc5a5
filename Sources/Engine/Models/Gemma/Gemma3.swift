// Gemma 3 (text): llama.cpp's LLM_ARCH_GEMMA3 (src/models/gemma3.cpp, `llama_model_gemma3`):
// embeddings scaled by sqrt(dim); per-head Q/K RMSNorm before NeoX RoPE; queries scaled by
// 1/sqrt(head size); RMSNorm of each half's output before its residual add; GELU-gated
// feed-forward; five sliding-window layers (their own RoPE base, 10000, unscaled) to each global
// one (the file's base and linear scaling); output tied to the embedding.
import StrataRuntime

/// The blueprint of a Gemma 3 decoder: the common hyperparameters plus its layer kinds.
public struct Gemma3Config: Equatable, Sendable {
    /// Width, heads, head size (`attention.key_length`, 256), the global layers' RoPE.
    public var base: LlamaConfig
    /// Positions a sliding-window layer attends to (`attention.sliding_window`); 0: no such layers.
    public var slidingWindow: Int
    /// Per layer, whether it is a sliding-window layer.
    public var slidingLayers: [Bool]
    /// RoPE base of the sliding-window layers (`rope.freq_base_swa`).
    public var localRopeBase: Float
    /// Queries are multiplied by it: 1/sqrt(head size), or 1/sqrt(dim / heads) for the 62-layer 27B.
    public var attentionScale: Float
    /// `cap * tanh(logits / cap)` when positive (`final_logit_softcapping`); 0: none.
    public var finalLogitSoftcap: Float

    /// The sliding-window layers' default pattern: every sixth layer is global.
    public static let defaultPattern = 6

    public init(base: LlamaConfig, slidingWindow: Int, slidingLayers: [Bool], localRopeBase: Float = 10000,
                attentionScale: Float? = nil, finalLogitSoftcap: Float = 0) {
        self.base = base
        self.slidingWindow = slidingWindow
        self.slidingLayers = slidingWindow > 0 ? slidingLayers : [Bool](repeating: false, count: base.layers)
        self.localRopeBase = localRopeBase
        // gemma_pytorch's query_pre_attn_scalar: dim / heads for the 27B (62 layers), the head size otherwise.
        self.attentionScale = attentionScale
            ?? 1 / Float(base.layers == 62 ? base.dim / base.heads : base.headDim).squareRoot()
        self.finalLogitSoftcap = finalLogitSoftcap
    }

    /// The window each layer attends with (0: global).
    public var windows: [Int] { slidingLayers.map { $0 ? slidingWindow : 0 } }

    /// Checks that the hyperparameters describe a runnable model.
    public func validate() throws(ModelFileError) {
        try base.validate()
        guard slidingLayers.count == base.layers else {
            throw .invalidHyperparameter(name: "attention.sliding_window_pattern", value: "\(slidingLayers.count) layers",
                                         reason: "must describe all \(base.layers) layers")
        }
        guard slidingWindow >= 0 else {
            throw .invalidHyperparameter(name: "attention.sliding_window", value: "\(slidingWindow)", reason: "must be 0 or more")
        }
        guard localRopeBase.isFinite, localRopeBase > 1 else {
            throw .invalidHyperparameter(name: "rope.freq_base_swa", value: "\(localRopeBase)", reason: "must be > 1")
        }
        guard finalLogitSoftcap.isFinite, finalLogitSoftcap >= 0 else {
            throw .invalidHyperparameter(name: "final_logit_softcapping", value: "\(finalLogitSoftcap)", reason: "must be 0 or more")
        }
    }
}

extension Gemma3Config {
    /// Reads the hyperparameters of a `gemma3` GGUF file.
    public init(gguf: GGUFFile) throws(ModelFileError) {
        let keys = try ArchitectureKeys(gguf)
        let base = try LlamaConfig(gguf: gguf, ropeStyle: .neox)
        let window = try keys.int("attention.sliding_window") ?? 0
        self.init(base: base, slidingWindow: window,
                  slidingLayers: try keys.slidingLayers(base.layers, defaultPattern: Gemma3Config.defaultPattern),
                  localRopeBase: try keys.float("rope.freq_base_swa") ?? 10000,
                  finalLogitSoftcap: try keys.float("final_logit_softcapping") ?? 0)
        try validate()
    }
}

/// A loaded Gemma 3 model: weight views into the file `source` keeps mapped.
public final class Gemma3Model: DecoderModel {
    public let config: Gemma3Config
    public let weights: DecoderWeights
    public let source: TensorTable
    public let architecture = Gemma3.name
    public let shape: DecoderShape
    public let scratchShape: DecoderScratchShape
    /// RoPE of the sliding-window layers, and of the global ones.
    private let localRope: Rope, globalRope: Rope

    public init(table: TensorTable, config c: Gemma3Config) throws(ModelFileError) {
        try c.validate()
        let b = c.base
        config = c
        weights = try DecoderWeights(gguf: table, layers: b.layers, dim: b.dim, heads: b.heads, kvHeads: b.kvHeads,
                                     headDim: b.headDim, hidden: b.hiddenDim, vocabularySize: b.vocabularySize,
                                     extras: [.qkNorms, .postNorms])
        source = table
        var s = b.shape
        s.windows = c.windows
        shape = s
        localRope = Rope(headDim: b.headDim, ropeDims: b.ropeDimensions, base: c.localRopeBase, style: b.ropeStyle)
        globalRope = b.rope()
        scratchShape = weights.scratchShape(dim: b.dim, qDim: b.heads * b.headDim, kvDim: b.kvDim, hidden: b.hiddenDim)
    }

    public var weightBytesPerStep: Int { weights.bytesReadPerStep }

    public var weightType: DType { weights.layers.first?.attention.wq.dtype ?? weights.output.dtype }

    public func forward(_ batch: DecoderBatch, scratch: DecoderScratch, backend: any ComputeBackend) {
        let c = config, b = c.base, w = weights
        let pass = DecoderPass(backend: backend, scratch: scratch, batch: batch)
        let x = scratch.x.pointer
        backend.embed(w.tokenEmbedding, tokens: batch.tokenIDPointer, count: pass.tokens, into: x)
        backend.scale(x, by: Float(b.dim).squareRoot(), count: pass.tokens * b.dim)
        for l in 0..<w.layers.count {
            let sliding = c.slidingLayers[l]
            let spec = AttentionSpec(
                layer: AttentionLayer(layer: l, heads: b.heads, kvHeads: b.kvHeads, headDim: b.headDim,
                                      scale: c.attentionScale, window: sliding ? c.slidingWindow : 0),
                rope: sliding ? localRope : globalRope, eps: b.normEpsilon)
            pass.attentionBlock(w.layers[l].attention, spec, dim: b.dim)
            pass.feedForwardBlock(w.layers[l].ffn, .gelu, dim: b.dim, hidden: b.hiddenDim, eps: b.normEpsilon)
        }
        pass.logits(from: x, dim: b.dim, norm: w.outputNorm, eps: b.normEpsilon, output: w.output, needs: w.outputNeeds)
        if c.finalLogitSoftcap > 0 {
            backend.softcap(batch.logits.pointer, cap: c.finalLogitSoftcap, count: batch.logitRows * b.vocabularySize)
        }
    }
}

/// The `gemma3` GGUF architecture (Gemma 3 270M to 27B, text).
public enum Gemma3: DecoderArchitecture {
    public static let name = "gemma3"

    public static func load(_ gguf: GGUFFile) throws(ModelFileError) -> any DecoderModel {
        try Gemma3Model(table: gguf, config: Gemma3Config(gguf: gguf))
    }

    /// Gemma 3's keys and tensors: head size `shape.headDim`, a sliding window of
    /// `shape.slidingWindow` (512 unless given) in every layer but each sixth (or the last, in
    /// fewer than six), global layers at base 1e6 with linear scaling 8, tied output.
    public static func synthSpec(_ s: SynthShape) throws(ModelFileError) -> SynthSpec {
        var base = LlamaConfig(dim: s.dim, hiddenDim: s.hidden, layers: s.layers, heads: s.heads, kvHeads: s.kvHeads,
                               vocabularySize: s.vocabularySize, contextLength: s.contextLength, normEpsilon: 1e-6,
                               ropeBase: 1_000_000, ropeStyle: .neox, headDimension: s.headDim)
        base.ropeFrequencyScale = 1 / 8
        let pattern = min(Gemma3Config.defaultPattern, s.layers)
        let c = Gemma3Config(base: base, slidingWindow: s.slidingWindow ?? 512,
                             slidingLayers: ArchitectureKeys.slidingLayers(s.layers, pattern: pattern))
        try c.validate()
        var spec = SynthSpec(architecture: name)
        spec.addLlamaHyperparameters(base)
        spec.add("attention.key_length", .uint32(UInt32(base.headDim)))
        spec.add("attention.value_length", .uint32(UInt32(base.headDim)))
        spec.add("attention.sliding_window", .uint32(UInt32(c.slidingWindow)))
        spec.add("attention.sliding_window_pattern", .uint32(UInt32(pattern)))
        spec.add("rope.freq_base_swa", .float32(c.localRopeBase))
        spec.add("rope.scaling.type", .string("linear"))
        spec.add("rope.scaling.factor", .float32(8))
        spec.addLlamaTensors(base, tiedOutput: true, extras: [.qkNorms, .postNorms])
        return spec
    }
}
