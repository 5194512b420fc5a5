/// The tokenizer is a pipeline with one file per stage, as in Hugging Face tokenizers:
///
///     text ─ user-defined (or, parsing specials, all special) tokens split out (`SpecialTokenPartitioner`)
///          ─ TextNormalizer ─▶ UTF-8 ─ PreTokenizer ─▶ words ─ TokenizationModel ─▶ ids
///     ids  ─ PieceDecoder (once per token, at init, into a PieceTable) ─▶ bytes ─▶ text
///
/// | stage          | llama (SentencePiece)        | gpt2 (byte-level BPE)     |
/// |----------------|------------------------------|---------------------------|
/// | normalizer     | `SentencePieceNormalizer`    | `UTF8Normalizer`          |
/// | pre-tokenizer  | `WholeTextPreTokenizer`      | by `PreTokenizerKind`: `GPT2PreTokenizer`, `IsolatedDigitsPreTokenizer`, `Llama3PreTokenizer` (Llama 3, Qwen2), `DefaultBPEPreTokenizer` |
/// | model          | `SentencePieceModel`         | `BytePairModel`           |
/// | decoder        | `SentencePieceDecoder`       | `ByteLevelDecoder`        |

/// Rewrites text before it is split, producing UTF-8.
protocol TextNormalizer: Sendable {
    /// Normalizes one fragment of text. `atStart` is true when the fragment begins the text
    /// or follows a special token (SentencePiece puts its dummy prefix there, as llama.cpp
    /// does); special-token parsing cuts text into several fragments.
    func normalize(_ text: UnsafeBufferPointer<UInt8>, atStart: Bool) -> [UInt8]
}

extension TextNormalizer {
    /// Normalizes a whole text (one fragment, at the start).
    func normalize(_ text: String) -> [UInt8] {
        var text = text
        return text.withUTF8 { normalize($0, atStart: true) }
    }
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
