// Qwen3 (dense): llama.cpp's LLM_ARCH_QWEN3 (src/llama-model.cpp, `llm_build_qwen3`): Llama's
// block without biases, each head of Q and K RMS-normalized (`attn_q_norm`, `attn_k_norm`)
// before NeoX RoPE, and a head width (`attention.key_length`, 128) independent of
// embedding_length / head_count.
import StrataRuntime

/// The `qwen3` GGUF architecture (Qwen3 0.6B to 32B, dense).
public enum Qwen3: DecoderArchitecture {
    public static let name = "qwen3"

    public static func load(_ gguf: GGUFFile) throws(ModelFileError) -> any DecoderModel {
        try LlamaModel(table: gguf, config: LlamaConfig(gguf: gguf, ropeStyle: .neox), architecture: name, extras: .qkNorms)
    }

    public static func synthSpec(_ s: SynthShape) throws(ModelFileError) -> SynthSpec {
        let c = LlamaConfig(dim: s.dim, hiddenDim: s.hidden, layers: s.layers, heads: s.heads, kvHeads: s.kvHeads,
                            vocabularySize: s.vocabularySize, contextLength: s.contextLength, normEpsilon: 1e-6,
                            ropeBase: 1_000_000, ropeStyle: .neox, headDimension: s.headDim)
        try c.validate()
        var spec = SynthSpec(architecture: name)
        spec.addLlamaHyperparameters(c)
        spec.add("attention.key_length", .uint32(UInt32(c.headDim)))
        spec.add("attention.value_length", .uint32(UInt32(c.headDim)))
        spec.addLlamaTensors(c, tiedOutput: s.tiedOutput, extras: .qkNorms)
        return spec
    }
}
