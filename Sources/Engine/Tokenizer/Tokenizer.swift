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
            preTokenizer = GPT2PreTokenizer()
            model = try BytePairModel(vocabulary: vocabulary)
            pieces = PieceTable(vocabulary: vocabulary, decoder: ByteLevelDecoder())
            stripsDummyPrefix = false
        }
        var ends = [Bool](repeating: false, count: vocabulary.count)
        for id in vocabulary.endOfGeneration { ends[Int(id)] = true }
        endsGeneration = ends
    }

    /// Encodes text. There is no special-token parsing: `"<s>"` in the text is three
    /// characters, never the BOS token. With `addBOS`, BOS comes first if the vocabulary has
    /// one. EOS is never added.
    /// - Complexity: O(n log n) in the text's length.
    public func encode(_ text: String, addBOS: Bool) -> [TokenID] {
        var output: [TokenID] = []
        if addBOS, let bos = vocabulary.bos { output.append(bos) }
        let normalized = normalizer.normalize(text)
        guard !normalized.isEmpty else { return output }
        output.reserveCapacity(output.count + normalized.count / 3 + 1)
        normalized.withUnsafeBufferPointer { buffer in
            model.encode(buffer, words: preTokenizer.split(buffer), into: &output)
        }
        return output
    }

    /// True for EOS and the other end-of-generation tokens (`Vocabulary.endOfGeneration`).
    public func isEndOfGeneration(_ token: TokenID) -> Bool {
        token >= 0 && Int(token) < endsGeneration.count && endsGeneration[Int(token)]
    }
}
