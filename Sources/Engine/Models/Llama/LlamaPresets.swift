/// Llama shapes used for speed work with random weights (../shared/models/README.md).
public struct LlamaPreset: Sendable {
    public let name: String
    public let config: LlamaConfig
    /// Whether `output.weight` is the embedding (no separate tensor).
    public let tiedOutput: Bool

    /// Every known preset, by name.
    public static let all: [LlamaPreset] = [
        // Architecture checks against llama.cpp (stories260K's 512-token vocabulary).
        LlamaPreset(name: "tiny", config: LlamaConfig(dim: 64, hiddenDim: 192, layers: 2, heads: 4, kvHeads: 2, vocabularySize: 512, contextLength: 512), tiedOutput: false),
        LlamaPreset(name: "stories15M", config: LlamaConfig(dim: 288, hiddenDim: 768, layers: 6, heads: 6, kvHeads: 6, vocabularySize: 32000, contextLength: 256), tiedOutput: true),
        LlamaPreset(name: "stories42M", config: LlamaConfig(dim: 512, hiddenDim: 1376, layers: 8, heads: 8, kvHeads: 8, vocabularySize: 32000, contextLength: 1024), tiedOutput: true),
        LlamaPreset(name: "stories110M", config: LlamaConfig(dim: 768, hiddenDim: 2048, layers: 12, heads: 12, kvHeads: 12, vocabularySize: 32000, contextLength: 1024), tiedOutput: true),
        // Gemma 3 1B's layers and KV (head 256, 1 kv head; `--arch gemma3 --head-dim 256`) with
        // the 32000-token Llama vocabulary instead of Gemma's 262144.
        LlamaPreset(name: "gemma3-1b", config: LlamaConfig(dim: 1152, hiddenDim: 6912, layers: 26, heads: 4, kvHeads: 1, vocabularySize: 32000, contextLength: 32768, headDimension: 256), tiedOutput: true),
        LlamaPreset(name: "tinyllama-1.1b", config: LlamaConfig(dim: 2048, hiddenDim: 5632, layers: 22, heads: 32, kvHeads: 4, vocabularySize: 32000, contextLength: 2048), tiedOutput: false),
    ]

    /// The preset called `name` (case-insensitive).
    public static func named(_ name: String) -> LlamaPreset? {
        all.first { $0.name.lowercased() == name.lowercased() }
    }
}
