/// The identity normalizer: the text's UTF-8 as it is (GPT-2 does not normalize).
struct UTF8Normalizer: TextNormalizer {
    func normalize(_ text: UnsafeBufferPointer<UInt8>, atStart: Bool) -> [UInt8] { Array(text) }
}

/// One word: the whole text (SentencePiece does not pre-tokenize).
struct WholeTextPreTokenizer: PreTokenizer {
    func split(_ text: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        text.isEmpty ? [] : [0..<text.count]
    }
}
