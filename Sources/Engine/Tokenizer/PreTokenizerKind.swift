/// How a byte-level BPE vocabulary splits text into words before merging, from GGUF's
/// `tokenizer.ggml.pre` (llama.cpp's `llama_vocab_pre_type`, grouped by the regex list it
/// applies). SentencePiece vocabularies do not pre-tokenize and ignore it.
public enum PreTokenizerKind: String, Sendable {
    /// GPT-2's pattern (`GPT2PreTokenizer`).
    case gpt2
    /// Every number scalar a word of its own, then GPT-2's pattern between them
    /// (`IsolatedDigitsPreTokenizer`): SmolLM, StarCoder.
    case isolatedDigits
    /// Llama 3's pattern, numbers in groups of up to three (`Llama3PreTokenizer`); whole
    /// words found in the vocabulary skip merging (llama.cpp's `ignore_merges`).
    case llama3
    /// Llama 3's pattern with every number scalar on its own (`Llama3PreTokenizer`): Qwen2,
    /// Qwen2.5, Qwen3.
    case qwen2
    /// llama.cpp's `default` list for byte-level files (`DefaultBPEPreTokenizer`):
    /// punctuation runs, then GPT-2's pattern, then number runs cut into groups of three.
    case bpeDefault

    /// Whether a word that is itself a vocabulary piece is emitted whole, without merging
    /// (Hugging Face's `ignore_merges`, which Llama 3's tokenizer sets).
    var ignoresMerges: Bool { self == .llama3 }
}
