/// BERT's pre-tokenizer (Hugging Face `BertPreTokenizer`): words end at whitespace (dropped)
/// and every punctuation character is a word of its own. Punctuation is ASCII punctuation
/// (symbols such as `$`, `+` and `|` included) or any Unicode punctuation category.
struct BertPreTokenizer: PreTokenizer {
    func split(_ text: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        var words: [Range<Int>] = []
        var start: Int? = nil
        var offset = 0
        for c in String(decoding: text, as: UTF8.self).unicodeScalars {
            let width = UTF8.width(c)
            if BertNormalizer.isWhitespace(c) {
                if let s = start { words.append(s..<offset) }
                start = nil
            } else if Self.isPunctuation(c) {
                if let s = start { words.append(s..<offset) }
                words.append(offset..<(offset + width))
                start = nil
            } else if start == nil {
                start = offset
            }
            offset += width
        }
        if let s = start { words.append(s..<offset) }
        return words
    }

    static func isPunctuation(_ c: Unicode.Scalar) -> Bool {
        if c.isASCII {
            let v = c.value
            return (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v)
        }
        switch c.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }
}
