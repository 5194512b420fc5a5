/// The tokenizer is a pipeline with one file per stage, as in Hugging Face tokenizers:
///
///     text ─ TextNormalizer ─▶ UTF-8 ─ PreTokenizer ─▶ words ─ TokenizationModel ─▶ ids
///     ids  ─ PieceDecoder (once per token, at init, into a PieceTable) ─▶ bytes ─▶ text
///
/// | stage          | llama (SentencePiece)        | gpt2 (byte-level BPE)     |
/// |----------------|------------------------------|---------------------------|
/// | normalizer     | `SentencePieceNormalizer`    | `UTF8Normalizer`          |
/// | pre-tokenizer  | `WholeTextPreTokenizer`      | `GPT2PreTokenizer`        |
/// | model          | `SentencePieceModel`         | `BytePairModel`           |
/// | decoder        | `SentencePieceDecoder`       | `ByteLevelDecoder`        |

/// Rewrites text before it is split, producing UTF-8.
protocol TextNormalizer: Sendable {
    func normalize(_ text: String) -> [UInt8]
}

/// Splits normalized UTF-8 into words that the model encodes independently.
protocol PreTokenizer: Sendable {
    /// Byte ranges of the words of `text`, in order, covering it.
    func split(_ text: UnsafeBufferPointer<UInt8>) -> [Range<Int>]
}

/// Turns words into token ids.
protocol TokenizationModel: Sendable {
    /// Appends the ids of each word of `text` to `output`. Scratch space is shared across
    /// the words of one call.
    func encode(_ text: UnsafeBufferPointer<UInt8>, words: [Range<Int>], into output: inout [TokenID])
}

/// The bytes one token stands for when decoded.
protocol PieceDecoder: Sendable {
    func bytes(of token: Int, in vocabulary: Vocabulary) -> [UInt8]
}
