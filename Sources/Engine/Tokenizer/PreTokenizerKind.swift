/// How a byte-level BPE vocabulary splits text into words before merging, from GGUF's
/// `tokenizer.ggml.pre` (llama.cpp's `llama_vocab_pre_type`, grouped by the regex list it
/// applies). SentencePiece vocabularies do not pre-tokenize and ignore it.
public enum PreTokenizerKind: String, Sendable {
    /// GPT-2's pattern (`GPT2PreTokenizer`).
    case gpt2
    /// Every number scalar a word of its own, then GPT-2's pattern between them
    /// (`IsolatedDigitsPreTokenizer`): SmolLM, StarCoder.
    case isolatedDigits
}
