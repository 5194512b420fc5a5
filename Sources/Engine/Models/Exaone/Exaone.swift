// EXAONE 3.0 / 3.5 (LG AI Research): llama.cpp's LLM_ARCH_EXAONE (src/models/exaone.cpp,
// `llama_model_exaone`): Llama's block (RMSNorm, grouped-query attention, SwiGLU, optional
// Q/K/V biases and Llama 3.1-style `rope_freqs`) with NeoX RoPE.
import StrataRuntime

/// The `exaone` GGUF architecture (EXAONE 3.0 7.8B, EXAONE 3.5 2.4B/7.8B/32B).
public enum Exaone: DecoderArchitecture {
    public static let name = "exaone"

    public static func load(_ gguf: GGUFFile) throws(ModelFileError) -> any DecoderModel {
        try LlamaModel(table: gguf, config: LlamaConfig(gguf: gguf, ropeStyle: .neox), architecture: name)
    }

    public static func synthSpec(_ s: SynthShape) throws(ModelFileError) -> SynthSpec {
        let c = LlamaConfig(dim: s.dim, hiddenDim: s.hidden, layers: s.layers, heads: s.heads, kvHeads: s.kvHeads,
                            vocabularySize: s.vocabularySize, contextLength: s.contextLength, ropeBase: 1_000_000,
                            ropeStyle: .neox)
        try c.validate()
        var spec = SynthSpec(architecture: name)
        spec.addLlamaHyperparameters(c)
        spec.addLlamaTensors(c, tiedOutput: s.tiedOutput)
        if s.ropeFactors { spec.tensor("rope_freqs.weight", [c.ropeDimensions / 2], .ropeFactors) }
        return spec
    }
}
