/// Text to token ids and back, for one vocabulary. Built once per model (the piece index,
/// merge rules and decoded pieces are computed here), then shared: every method is
/// thread-safe and allocates only its own output.
public final class Tokenizer: Sendable {
    public let vocabulary: Vocabulary
    private let normalizer: any TextNormalizer
    private let preTokenizer: any PreTokenizer
    private let model: any TokenizationModel
    let pieces: PieceTable
    /// Per token.
    private let endsGeneration: [Bool]
    /// Finds special-token texts for `encode(_:addBOS:parseSpecial:)`.
    let specialTokens: SpecialTokenPartitioner
    /// Finds the user-defined tokens, which every encoding splits out.
    private let userDefinedTokens: SpecialTokenPartitioner
    /// Whether decoding drops the space that SentencePiece's dummy prefix added.
    let stripsDummyPrefix: Bool

    public init(vocabulary: Vocabulary) throws(ModelFileError) {
        self.vocabulary = vocabulary
        switch vocabulary.kind {
        case .llama:
            normalizer = SentencePieceNormalizer(addSpacePrefix: vocabulary.addSpacePrefix)
            preTokenizer = WholeTextPreTokenizer()
            model = SentencePieceModel(vocabulary: vocabulary)
            pieces = PieceTable(vocabulary: vocabulary, decoder: SentencePieceDecoder())
            stripsDummyPrefix = vocabulary.addSpacePrefix
        case .gpt2:
            normalizer = UTF8Normalizer()
            switch vocabulary.preTokenizer {
            case .gpt2: preTokenizer = GPT2PreTokenizer()
            case .isolatedDigits: preTokenizer = IsolatedDigitsPreTokenizer()
            case .llama3: preTokenizer = Llama3PreTokenizer(maxDigits: 3)
            case .qwen2: preTokenizer = Llama3PreTokenizer(maxDigits: 1)
            case .bpeDefault: preTokenizer = DefaultBPEPreTokenizer()
            }
            model = try BytePairModel(vocabulary: vocabulary)
            pieces = PieceTable(vocabulary: vocabulary, decoder: ByteLevelDecoder())
            stripsDummyPrefix = false
        }
        var ends = [Bool](repeating: false, count: vocabulary.count)
        for id in vocabulary.endOfGeneration { ends[Int(id)] = true }
        endsGeneration = ends
        specialTokens = SpecialTokenPartitioner(vocabulary: vocabulary)
        userDefinedTokens = SpecialTokenPartitioner(vocabulary: vocabulary, userDefinedOnly: true)
    }

    /// Encodes text without special-token parsing: `"<s>"` in the text is three characters,
    /// never the BOS token. User-defined tokens (Gemma's newline and space runs, for
    /// instance) are still split out first, as llama.cpp and Hugging Face do. With `addBOS`,
    /// BOS comes first if the vocabulary has one. EOS is never added.
    /// - Complexity: O(n log n) in the text's length.
    public func encode(_ text: String, addBOS: Bool) -> [TokenID] {
        encode(text, addBOS: addBOS, parseSpecial: false)
    }

    /// Encodes text; with `parseSpecial`, the texts of special tokens in it become those
    /// tokens, as llama.cpp's `llama_tokenize` with `parse_special` (its
    /// `tokenizer_st_partition`): `"<|im_start|>user"` is `<|im_start|>` then the encoding of
    /// `"user"`. Special tokens are the control, user-defined and unknown tokens and those
    /// llama.cpp counts as end-of-generation by their text (`SpecialTokenPartitioner`); the
    /// longest text wins where two could match. Without `parseSpecial` only user-defined
    /// tokens are split out. The text between is encoded piece by piece; for SentencePiece
    /// with a dummy prefix, every piece at the start or right after a special token gets the
    /// prefix space, as llama.cpp does (`"<s>Hi"` is `<s>`, `▁Hi`).
    /// - Complexity: O(n log n) in the text's length, plus O(n) per distinct special token
    ///   that occurs in it.
    public func encode(_ text: String, addBOS: Bool, parseSpecial: Bool) -> [TokenID] {
        var output: [TokenID] = []
        if addBOS, let bos = vocabulary.bos { output.append(bos) }
        let partitioner = parseSpecial ? specialTokens : userDefinedTokens
        var text = text
        text.withUTF8 { utf8 in
            guard !partitioner.isEmpty else {
                appendEncoded(utf8, atStart: true, to: &output)
                return
            }
            var atStart = true
            for fragment in partitioner.partition(utf8) {
                switch fragment {
                case .token(let id):
                    output.append(id)
                    atStart = true
                case .text(let range):
                    appendEncoded(UnsafeBufferPointer(rebasing: utf8[range]), atStart: atStart, to: &output)
                    atStart = false
                }
            }
        }
        return output
    }

    /// Normalizes, splits and encodes one fragment of UTF-8 text onto `output`.
    private func appendEncoded(_ text: UnsafeBufferPointer<UInt8>, atStart: Bool, to output: inout [TokenID]) {
        let normalized = normalizer.normalize(text, atStart: atStart)
        guard !normalized.isEmpty else { return }
        output.reserveCapacity(output.count + normalized.count / 3 + 1)
        normalized.withUnsafeBufferPointer { buffer in
            model.encode(buffer, words: preTokenizer.split(buffer), into: &output)
        }
    }

    /// Whether `token` is one that `encode(_:addBOS:parseSpecial:)` parses from its text.
    public func isSpecial(_ token: TokenID) -> Bool {
        specialTokens.contains(token)
    }

    /// True for EOS and the other end-of-generation tokens (`Vocabulary.endOfGeneration`).
    public func isEndOfGeneration(_ token: TokenID) -> Bool {
        token >= 0 && Int(token) < endsGeneration.count && endsGeneration[Int(token)]
    }
}
