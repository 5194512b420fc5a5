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

/// Views of one decoder block's weights. Matrices are [out rows][in columns].
public struct LlamaLayerWeights: @unchecked Sendable {
    /// [dim], F32
    public let attentionNorm: UnsafePointer<Float>
    /// [dim rows][dim]
    public let wq: Tensor
    /// [kvDim rows][dim]
    public let wk: Tensor
    /// [kvDim rows][dim]
    public let wv: Tensor
    /// [dim rows][dim]
    public let wo: Tensor
    /// [dim], F32
    public let ffnNorm: UnsafePointer<Float>
    /// [hidden rows][dim]
    public let gate: Tensor
    /// [hidden rows][dim]
    public let up: Tensor
    /// [dim rows][hidden]
    public let down: Tensor
}

/// Views of every weight of a Llama model, pointing into the mapped file (never copied).
public struct LlamaWeights: @unchecked Sendable {
    /// [vocab rows][dim]
    public let tokenEmbedding: Tensor
    public let layers: [LlamaLayerWeights]
    /// [dim], F32
    public let outputNorm: UnsafePointer<Float>
    /// [vocab rows][dim]; the embedding itself when the model ties them.
    public let output: Tensor
    /// True when `output.weight` is absent and the embedding is reused.
    public let tiedOutput: Bool

    /// Bytes of weight matrices one decode step reads: every layer's projections and the output
    /// head (the embedding is only looked up). Divided into a step's time, it is the weight
    /// bandwidth decode achieves.
    public var bytesReadPerStep: Int {
        var total = output.rowBytes * output.rows
        for layer in layers {
            for t in [layer.wq, layer.wk, layer.wv, layer.wo, layer.gate, layer.up, layer.down] { total += t.rowBytes * t.rows }
        }
        return total
    }

    /// Resolves and shape-checks every tensor the architecture needs.
    public init(table: TensorTable, config c: LlamaConfig) throws(ModelFileError) {
        let q = c.heads * c.headDim
        tokenEmbedding = try Self.matrix(table, "token_embd.weight", columns: c.dim, rows: c.vocabularySize)
        outputNorm = try Self.vector(table, "output_norm.weight", count: c.dim)
        if table.tensor(named: "output.weight") != nil {
            output = try Self.matrix(table, "output.weight", columns: c.dim, rows: c.vocabularySize)
            tiedOutput = false
        } else {
            output = tokenEmbedding
            tiedOutput = true
        }
        var layers: [LlamaLayerWeights] = []
        layers.reserveCapacity(c.layers)
        for l in 0..<c.layers {
            let p = "blk.\(l)."
            layers.append(LlamaLayerWeights(
                attentionNorm: try Self.vector(table, p + "attn_norm.weight", count: c.dim),
                wq: try Self.matrix(table, p + "attn_q.weight", columns: c.dim, rows: q),
                wk: try Self.matrix(table, p + "attn_k.weight", columns: c.dim, rows: c.kvDim),
                wv: try Self.matrix(table, p + "attn_v.weight", columns: c.dim, rows: c.kvDim),
                wo: try Self.matrix(table, p + "attn_output.weight", columns: q, rows: c.dim),
                ffnNorm: try Self.vector(table, p + "ffn_norm.weight", count: c.dim),
                gate: try Self.matrix(table, p + "ffn_gate.weight", columns: c.dim, rows: c.hiddenDim),
                up: try Self.matrix(table, p + "ffn_up.weight", columns: c.dim, rows: c.hiddenDim),
                down: try Self.matrix(table, p + "ffn_down.weight", columns: c.hiddenDim, rows: c.dim)))
        }
        self.layers = layers
    }

    static func matrix(_ table: TensorTable, _ name: String, columns: Int, rows: Int) throws(ModelFileError) -> Tensor {
        guard let t = table.tensor(named: name) else { throw .missingTensor(name) }
        guard t.dims.count <= 2, t.columns == columns, t.rows == rows else {
            throw .wrongShape(tensor: name, expected: [columns, rows], found: t.dims)
        }
        guard let dtype = t.type.dtype, dtype.isWeightType else { throw .unsupportedTensorType(tensor: name, type: t.type.name) }
        return Tensor(data: table.unsafeData(of: t), dtype: dtype, columns: columns, rows: rows)
    }

    static func vector(_ table: TensorTable, _ name: String, count: Int) throws(ModelFileError) -> UnsafePointer<Float> {
        guard let t = table.tensor(named: name) else { throw .missingTensor(name) }
        guard t.dims == [count] else { throw .wrongShape(tensor: name, expected: [count], found: t.dims) }
        guard t.type.dtype == .f32 else { throw .unsupportedTensorType(tensor: name, type: t.type.name + " (norm weights must be f32)") }
        // Kernels read norm weights as Float: a file aligned to less than 4 bytes can misplace them.
        let data = table.unsafeData(of: t)
        guard Int(bitPattern: data) % MemoryLayout<Float>.alignment == 0 else {
            throw .misalignedTensor(tensor: name, offset: UInt64(t.offset), alignment: MemoryLayout<Float>.alignment)
        }
        return data.assumingMemoryBound(to: Float.self)
    }
}

/// A loaded Llama-family model: hyperparameters and weight views into the file that
/// `source` keeps mapped. Immutable and shareable between sequences.
public final class LlamaModel: DecoderModel {
    public let config: LlamaConfig
    public let weights: LlamaWeights
    public let source: TensorTable
    public let architecture: String
    public let shape: DecoderShape
    public let scratchShape: DecoderScratchShape
    private let rope: Rope
    /// Per layer: which forms (floats, Q8) each matmul input must be produced in.
    private let needs: [LayerNeeds]
    private let outputNeeds: ActivationNeeds

    /// Resolves the weights of `config` in `table`.
    public init(table: TensorTable, config: LlamaConfig, architecture: String = "llama") throws(ModelFileError) {
        try config.validate()
        self.config = config
        self.weights = try LlamaWeights(table: table, config: config)
        self.source = table
        self.architecture = architecture
        shape = config.shape
        rope = Rope(headDim: config.headDim, ropeDims: config.ropeDimensions, base: config.ropeBase, style: config.ropeStyle)
        needs = weights.layers.map(LayerNeeds.init)
        outputNeeds = ActivationNeeds(readers: weights.output)
        let all = weights.layers.flatMap { [$0.wq, $0.wk, $0.wv, $0.wo, $0.gate, $0.up, $0.down] } + [weights.output]
        scratchShape = DecoderScratchShape(dim: config.dim, qDim: config.heads * config.headDim, kvDim: config.kvDim,
                                           hidden: config.hiddenDim, reads: ActivationNeeds(readers: all))
    }

    public var weightBytesPerStep: Int { weights.bytesReadPerStep }

    public var weightType: DType { weights.layers.first?.wq.dtype ?? weights.output.dtype }

    public func forward(_ batch: DecoderBatch, scratch s: DecoderScratch, backend: any ComputeBackend) {
        let c = config, w = weights
        let pass = DecoderPass(backend: backend, scratch: s, batch: batch)
        let n = pass.tokens
        let dim = c.dim, kvDim = c.kvDim, qDim = c.heads * c.headDim
        let x = s.x.pointer, xb = s.xb.pointer, q = s.q.pointer, k = s.k.pointer, v = s.v.pointer
        let att = s.att.pointer, proj = s.proj.pointer, hb = s.hb.pointer, hb2 = s.hb2.pointer
        let eps = c.normEpsilon

        backend.embed(w.tokenEmbedding, tokens: batch.tokenIDPointer, count: n, into: x)
        // Indexed, not `enumerated()`: unspecialized (debug) iteration boxes each large element.
        for l in 0..<w.layers.count {
            let layer = w.layers[l]
            let needs = self.needs[l]
            let xq = pass.quantized(needs.attentionInput, rows: n, columns: dim)
            pass.normalize(x, weight: layer.attentionNorm, dim: dim, eps: eps, rows: n, needs: needs.attentionInput, floats: xb, q8: xq)
            pass.project(q, layer.wq, floats: xb, q8: xq, rows: n)
            pass.project(k, layer.wk, floats: xb, q8: xq, rows: n)
            pass.project(v, layer.wv, floats: xb, q8: xq, rows: n)
            backend.rope(q, stride: qDim, heads: c.heads, rope: rope, batch: pass.attention)
            backend.rope(k, stride: kvDim, heads: c.kvHeads, rope: rope, batch: pass.attention)
            backend.storeKV(key: k, value: v, stride: kvDim, layer: l, batch: pass.attention)
            backend.attention(out: att, q: q, layer: AttentionLayer(layer: l, heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim,
                                                                    scale: 1 / Float(c.headDim).squareRoot()),
                              batch: pass.attention)
            let attq = pass.quantized(needs.attentionOutput, rows: n, columns: qDim)
            pass.quantize(att, rows: n, columns: qDim, needs: needs.attentionOutput, into: attq)
            pass.project(proj, layer.wo, floats: att, q8: attq, rows: n)
            backend.add(x, proj, count: n * dim)

            let fq = pass.quantized(needs.ffnInput, rows: n, columns: dim)
            pass.normalize(x, weight: layer.ffnNorm, dim: dim, eps: eps, rows: n, needs: needs.ffnInput, floats: xb, q8: fq)
            pass.project(hb, layer.gate, floats: xb, q8: fq, rows: n)
            pass.project(hb2, layer.up, floats: xb, q8: fq, rows: n)
            let hq = pass.quantized(needs.ffnHidden, rows: n, columns: c.hiddenDim)
            pass.gated(.silu, gate: hb, up: hb2, rows: n, columns: c.hiddenDim, needs: needs.ffnHidden, q8: hq)
            pass.project(proj, layer.down, floats: hb, q8: hq, rows: n)
            backend.add(x, proj, count: n * dim)
        }
        pass.logits(from: x, dim: dim, norm: w.outputNorm, eps: eps, output: w.output, needs: outputNeeds)
    }

    /// The activation needs of one block's four matmul inputs.
    private struct LayerNeeds {
        /// The normalized input of Q, K and V.
        let attentionInput: ActivationNeeds
        /// The attention output, input of `wo`.
        let attentionOutput: ActivationNeeds
        /// The normalized input of gate and up.
        let ffnInput: ActivationNeeds
        /// The gated activation, input of `down`.
        let ffnHidden: ActivationNeeds

        init(_ layer: LlamaLayerWeights) {
            attentionInput = ActivationNeeds(readers: layer.wq, layer.wk, layer.wv)
            attentionOutput = ActivationNeeds(readers: layer.wo)
            ffnInput = ActivationNeeds(readers: layer.gate, layer.up)
            ffnHidden = ActivationNeeds(readers: layer.down)
        }
    }
}
