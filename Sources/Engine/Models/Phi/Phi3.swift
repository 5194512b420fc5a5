// Phi-3 / Phi-3.5 (dense): llama.cpp's LLM_ARCH_PHI3 (src/models/phi3.cpp, `llama_model_phi3`):
// Llama's block with Q, K and V fused in one matrix (`attn_qkv`) and gate and up fused in
// `ffn_up` (gate the first half), NeoX RoPE, and for the 128k models per-pair frequency
// divisors (`rope_factors_short` within the original context, `rope_factors_long` beyond it)
// with `rope.scaling.attn_factor` on the rotation. The sliding window some files state is
// ignored, as llama.cpp does ("Phi SWA is currently disabled").
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import StrataRuntime

/// The `phi3` GGUF architecture (Phi-3 mini/medium, Phi-3.5 mini, Phi-4 mini).
public enum Phi3: DecoderArchitecture {
    public static let name = "phi3"

    public static func load(_ gguf: GGUFFile) throws(ModelFileError) -> any DecoderModel {
        let keys = try ArchitectureKeys(gguf)
        let c = try LlamaConfig(gguf: gguf, ropeStyle: .neox)
        let weights = try DecoderWeights(phi3: gguf, c)
        let pairs = c.ropeDimensions / 2
        let short = try gguf.optionalFactors("rope_factors_short.weight", count: pairs)
        let long = try gguf.optionalFactors("rope_factors_long.weight", count: pairs)
        let attentionFactor = try keys.float("rope.scaling.attn_factor") ?? 1
        guard attentionFactor.isFinite, attentionFactor > 0 else {
            throw .invalidHyperparameter(name: "\(name).rope.scaling.attn_factor", value: "\(attentionFactor)", reason: "must be positive")
        }
        let original = try keys.int("rope.scaling.original_context_length") ?? c.contextLength
        let rope = c.rope(factors: short ?? [], attentionFactor: attentionFactor)
        return LlamaModel(table: gguf, config: c, architecture: name, weights: weights, rope: rope,
                          longContext: long.map { (c.rope(factors: $0, attentionFactor: attentionFactor), original) })
    }

    /// Phi-3's keys and tensors: fused QKV and gate/up; with `shape.ropeFactors`, short and long
    /// RoPE divisors, and with `shape.originalContextLength` that length and the attention factor
    /// Phi-3.5's converter writes for it.
    public static func synthSpec(_ s: SynthShape) throws(ModelFileError) -> SynthSpec {
        let c = LlamaConfig(dim: s.dim, hiddenDim: s.hidden, layers: s.layers, heads: s.heads, kvHeads: s.kvHeads,
                            vocabularySize: s.vocabularySize, contextLength: s.contextLength, ropeStyle: .neox)
        try c.validate()
        var spec = SynthSpec(architecture: name)
        spec.addLlamaHyperparameters(c)
        if let original = s.originalContextLength {
            let scale = Double(c.contextLength) / Double(original)
            spec.add("rope.scaling.original_context_length", .uint32(UInt32(original)))
            spec.add("rope.scaling.attn_factor", .float32(Float((1 + log(scale) / log(Double(original))).squareRoot())))
        }
        let q = c.heads * c.headDim
        spec.tensor("token_embd.weight", [c.dim, c.vocabularySize])
        if s.ropeFactors {
            spec.tensor("rope_factors_long.weight", [c.ropeDimensions / 2], .ropeFactors)
            spec.tensor("rope_factors_short.weight", [c.ropeDimensions / 2], .ropeFactors)
        }
        for l in 0..<c.layers {
            let p = "blk.\(l)."
            spec.tensor(p + "attn_norm.weight", [c.dim], .norm)
            spec.tensor(p + "attn_qkv.weight", [c.dim, q + 2 * c.kvDim])
            spec.tensor(p + "attn_output.weight", [q, c.dim])
            spec.tensor(p + "ffn_norm.weight", [c.dim], .norm)
            spec.tensor(p + "ffn_up.weight", [c.dim, 2 * c.hiddenDim])
            spec.tensor(p + "ffn_down.weight", [c.hiddenDim, c.dim])
        }
        spec.tensor("output_norm.weight", [c.dim], .norm)
        if !s.tiedOutput { spec.tensor("output.weight", [c.dim, c.vocabularySize]) }
        return spec
    }
}

extension DecoderWeights {
    /// Phi-3's layout: `attn_qkv` split into Q, K and V row ranges (separate `attn_q/k/v` are
    /// read when a file has those instead), `ffn_up` into gate (first half) and up.
    init(phi3 table: TensorTable, _ c: LlamaConfig) throws(ModelFileError) {
        let qDim = c.heads * c.headDim, kvDim = c.kvDim
        var blocks: [DecoderLayerWeights] = []
        blocks.reserveCapacity(c.layers)
        for l in 0..<c.layers {
            let p = "blk.\(l)."
            let wq: Tensor, wk: Tensor, wv: Tensor
            if let qkv = try table.optionalMatrix(p + "attn_qkv.weight", columns: c.dim, rows: qDim + 2 * kvDim) {
                (wq, wk, wv) = (qkv.rows(0..<qDim), qkv.rows(qDim..<(qDim + kvDim)), qkv.rows((qDim + kvDim)..<(qDim + 2 * kvDim)))
            } else {
                (wq, wk, wv) = (try table.matrix(p + "attn_q.weight", columns: c.dim, rows: qDim),
                                try table.matrix(p + "attn_k.weight", columns: c.dim, rows: kvDim),
                                try table.matrix(p + "attn_v.weight", columns: c.dim, rows: kvDim))
            }
            let attention = AttentionWeights(
                norm: try table.vector(p + "attn_norm.weight", count: c.dim), wq: wq, wk: wk, wv: wv,
                wo: try table.matrix(p + "attn_output.weight", columns: qDim, rows: c.dim))
            let gateUp = try table.matrix(p + "ffn_up.weight", columns: c.dim, rows: 2 * c.hiddenDim)
            let ffn = FeedForwardWeights(
                norm: try table.vector(p + "ffn_norm.weight", count: c.dim),
                gate: gateUp.rows(0..<c.hiddenDim), up: gateUp.rows(c.hiddenDim..<(2 * c.hiddenDim)),
                down: try table.matrix(p + "ffn_down.weight", columns: c.hiddenDim, rows: c.dim))
            blocks.append(DecoderLayerWeights(attention: attention, ffn: ffn))
        }
        self.init(tokenEmbedding: try table.matrix("token_embd.weight", columns: c.dim, rows: c.vocabularySize), layers: blocks,
                  outputNorm: try table.vector("output_norm.weight", count: c.dim),
                  output: try table.optionalMatrix("output.weight", columns: c.dim, rows: c.vocabularySize))
    }
}
