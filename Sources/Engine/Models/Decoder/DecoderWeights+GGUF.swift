import StrataRuntime

/// What a family's blocks carry beyond Llama's (llama.cpp's tensor names:
/// `blk.N.attn_q_norm.weight`, `blk.N.post_attention_norm.weight`, ...).
public struct LayerExtras: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    /// Per-head RMSNorm of Q and K (`attn_q_norm`, `attn_k_norm`).
    public static let qkNorms = LayerExtras(rawValue: 1)
    /// RMSNorm of each half's output before the residual add (`post_attention_norm`, `post_ffw_norm`).
    public static let postNorms = LayerExtras(rawValue: 2)
}

extension DecoderWeights {
    /// Resolves and shape-checks the tensors of llama.cpp's common decoder layout: `token_embd`,
    /// per block `attn_norm`, `attn_q/k/v/output` (with `.bias` on Q/K/V when the file has
    /// them), `ffn_norm`, `ffn_gate/up/down`, then `output_norm` and `output` (absent: tied to
    /// the embedding), plus the `extras` the family requires.
    init(gguf table: TensorTable, layers: Int, dim: Int, heads: Int, kvHeads: Int, headDim: Int, hidden: Int,
         vocabularySize: Int, extras: LayerExtras = []) throws(ModelFileError) {
        let qDim = heads * headDim, kvDim = kvHeads * headDim
        let embedding = try table.matrix("token_embd.weight", columns: dim, rows: vocabularySize)
        var blocks: [DecoderLayerWeights] = []
        blocks.reserveCapacity(layers)
        for l in 0..<layers {
            let p = "blk.\(l)."
            let qkNorms = extras.contains(.qkNorms), postNorms = extras.contains(.postNorms)
            let attention = AttentionWeights(
                norm: try table.vector(p + "attn_norm.weight", count: dim),
                wq: try table.matrix(p + "attn_q.weight", columns: dim, rows: qDim),
                wk: try table.matrix(p + "attn_k.weight", columns: dim, rows: kvDim),
                wv: try table.matrix(p + "attn_v.weight", columns: dim, rows: kvDim),
                wo: try table.matrix(p + "attn_output.weight", columns: qDim, rows: dim),
                bq: try table.optionalVector(p + "attn_q.bias", count: qDim),
                bk: try table.optionalVector(p + "attn_k.bias", count: kvDim),
                bv: try table.optionalVector(p + "attn_v.bias", count: kvDim),
                qNorm: qkNorms ? try table.vector(p + "attn_q_norm.weight", count: headDim) : nil,
                kNorm: qkNorms ? try table.vector(p + "attn_k_norm.weight", count: headDim) : nil,
                postNorm: postNorms ? try table.vector(p + "post_attention_norm.weight", count: dim) : nil)
            let ffn = FeedForwardWeights(
                norm: try table.vector(p + "ffn_norm.weight", count: dim),
                gate: try table.matrix(p + "ffn_gate.weight", columns: dim, rows: hidden),
                up: try table.matrix(p + "ffn_up.weight", columns: dim, rows: hidden),
                down: try table.matrix(p + "ffn_down.weight", columns: hidden, rows: dim),
                postNorm: postNorms ? try table.vector(p + "post_ffw_norm.weight", count: dim) : nil)
            blocks.append(DecoderLayerWeights(attention: attention, ffn: ffn))
        }
        self.init(tokenEmbedding: embedding, layers: blocks,
                  outputNorm: try table.vector("output_norm.weight", count: dim),
                  output: try table.optionalMatrix("output.weight", columns: dim, rows: vocabularySize))
    }
}
