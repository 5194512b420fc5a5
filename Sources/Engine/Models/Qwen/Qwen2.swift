// Qwen2 / Qwen2.5: llama.cpp's LLM_ARCH_QWEN2 (src/llama-model.cpp, `llm_build_qwen2`): Llama's
// block with biases on Q, K and V, NeoX RoPE (rotating the two halves of each head), and the
// output tied to the embedding in the small models.
import StrataRuntime

/// The `qwen2` GGUF architecture (Qwen2, Qwen2.5, and the DeepSeek-R1 Qwen distills).
public enum Qwen2: DecoderArchitecture {
    public static let name = "qwen2"

    public static func load(_ gguf: GGUFFile) throws(ModelFileError) -> any DecoderModel {
        let model = try LlamaModel(table: gguf, config: LlamaConfig(gguf: gguf, ropeStyle: .neox), architecture: name)
        // The biases are what makes Qwen2 itself: a file without them is not one.
        for (l, layer) in model.weights.layers.enumerated() {
            let a = layer.attention
            guard a.bq != nil, a.bk != nil, a.bv != nil else { throw .missingTensor("blk.\(l).attn_q.bias / attn_k.bias / attn_v.bias") }
        }
        return model
    }

    public static func synthSpec(_ s: SynthShape) throws(ModelFileError) -> SynthSpec {
        let c = LlamaConfig(dim: s.dim, hiddenDim: s.hidden, layers: s.layers, heads: s.heads, kvHeads: s.kvHeads,
                            vocabularySize: s.vocabularySize, contextLength: s.contextLength, normEpsilon: 1e-6,
                            ropeBase: 1_000_000, ropeStyle: .neox)
        try c.validate()
        var spec = SynthSpec(architecture: name)
        spec.addLlamaHyperparameters(c)
        spec.addLlamaTensors(c, tiedOutput: s.tiedOutput, biases: true)
        return spec
    }
}
