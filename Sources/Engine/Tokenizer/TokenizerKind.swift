/// Which tokenization algorithm a vocabulary was trained for (`tokenizer.ggml.model`).
public enum TokenizerKind: String, Sendable {
    /// SentencePiece BPE with byte fallback (Llama, Llama 2, TinyStories): spaces become
    /// `▁`, pieces merge by score, characters outside the vocabulary become `<0xNN>` tokens.
    case llama
    /// Byte-level BPE (GPT-2): text is split by the GPT-2 pattern, each byte is mapped to a
    /// printable character, pieces merge by rank.
    case gpt2
}
