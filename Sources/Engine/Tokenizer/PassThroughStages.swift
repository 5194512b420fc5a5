/// The identity normalizer: the text's UTF-8 as it is (GPT-2 does not normalize).
struct UTF8Normalizer: TextNormalizer {
    func normalize(_ text: String) -> [UInt8] { Array(text.utf8) }
}

/// One word: the whole text (SentencePiece does not pre-tokenize).
struct WholeTextPreTokenizer: PreTokenizer {
    func split(_ text: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        text.isEmpty ? [] : [0..<text.count]
    }
}
