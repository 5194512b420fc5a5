/// llama.cpp's `default` pre-tokenizer for byte-level BPE files (those whose
/// `tokenizer.ggml.pre` is `default` or absent), four expressions applied in turn, each
/// splitting the fragments the one before left (`llm_tokenizer_bpe` in `llama-vocab.cpp`):
///
///     [\p{P}\$\+<=>\^~\|]+
///     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)
///     \p{N}+
///     [0-9][0-9][0-9]
///
/// So punctuation runs are words of their own (`"don't"` is `"don"`, `"'"`, `"t"`: the
/// apostrophe never reaches the contraction rule), a space before a number is its own word,
/// and ASCII digit runs are cut into threes from the left (`"12345"` is `"123"`, `"45"`).
struct DefaultBPEPreTokenizer: PreTokenizer {
    func split(_ text: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        let scalars = ClassifiedScalars(text)
        let values = scalars.values, classes = scalars.classes
        var words: [Range<Int>] = []
        var start = 0
        while start < scalars.count {
            // Expression 1: a punctuation run, or the text up to the next one.
            let punctuation = Self.isPunctuation(values[start], classes[start])
            var end = start + 1
            while end < scalars.count, Self.isPunctuation(values[end], classes[end]) == punctuation { end += 1 }
            // Expression 2 within it, then 3 and 4 within each of its words.
            var i = start
            while i < end {
                let wordEnd = GPT2PreTokenizer.matchEnd(at: i, before: end, values: values, classes: classes)
                Self.appendNumberSplits(of: i..<wordEnd, in: scalars, to: &words)
                i = wordEnd
            }
            start = end
        }
        return words
    }

    /// `\p{N}+` within `word`, then `[0-9][0-9][0-9]` within each of the pieces.
    private static func appendNumberSplits(of word: Range<Int>, in scalars: ClassifiedScalars, to words: inout [Range<Int>]) {
        let values = scalars.values, classes = scalars.classes
        var start = word.lowerBound
        while start < word.upperBound {
            let number = classes[start] == .number
            var end = start + 1
            while end < word.upperBound, (classes[end] == .number) == number { end += 1 }
            // Only number runs hold ASCII digits.
            var cursor = start
            if number {
                var i = start
                while i + 3 <= end {
                    if isASCIIDigit(values[i]), isASCIIDigit(values[i + 1]), isASCIIDigit(values[i + 2]) {
                        if i > cursor { words.append(scalars.byteRange(cursor..<i)) }
                        words.append(scalars.byteRange(i..<(i + 3)))
                        i += 3
                        cursor = i
                    } else {
                        i += 1
                    }
                }
            }
            if cursor < end { words.append(scalars.byteRange(cursor..<end)) }
            start = end
        }
    }

    @inline(__always)
    private static func isASCIIDigit(_ value: UInt32) -> Bool { value &- 0x30 < 10 }

    /// `[\p{P}\$\+<=>\^~\|]`: ASCII punctuation and symbols but the backtick, and the Unicode
    /// punctuation categories (P*) beyond ASCII, as llama.cpp's tables classify them.
    static func isPunctuation(_ value: UInt32, _ kind: ClassifiedScalars.CharacterClass) -> Bool {
        guard kind == .other else { return false }
        if value < 0x80 { return value > 0x20 && value < 0x7F && value != 0x60 }
        guard let scalar = Unicode.Scalar(value) else { return false }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }
}
