/// A UTF-8 text as Unicode scalars with the character class each belongs to and where each
/// starts, decoded once for a pre-tokenizer to match its pattern over (no regex engine).
///
/// Classes are the categories the byte-level pre-tokenizer patterns test: `\p{L}` (general
/// category L*), `\p{N}` (N*), `\s` (the White_Space property, as in Oniguruma, which
/// Hugging Face tokenizers uses), and everything else.
struct ClassifiedScalars {
    enum CharacterClass: UInt8 {
        case other, letter, number, whitespace
    }

    /// Scalar values; a malformed UTF-8 sequence is U+FFFD of one byte.
    let values: [UInt32]
    /// One per scalar.
    let classes: [CharacterClass]
    /// Byte offset of each scalar in the text, plus one extra entry: the text's length.
    let offsets: [Int]

    /// The number of scalars.
    var count: Int { values.count }

    /// Decodes and classifies `text`.
    /// - Complexity: O(n) in the text's length.
    init(_ text: UnsafeBufferPointer<UInt8>) {
        var values: [UInt32] = []
        var classes: [CharacterClass] = []
        var offsets: [Int] = []
        values.reserveCapacity(text.count)
        classes.reserveCapacity(text.count)
        offsets.reserveCapacity(text.count + 1)
        var offset = 0
        while offset < text.count {
            let (value, length) = UTF8Scalars.decode(text, at: offset)
            values.append(value)
            classes.append(ClassifiedScalars.classify(value))
            offsets.append(offset)
            offset += length
        }
        offsets.append(text.count)
        self.values = values
        self.classes = classes
        self.offsets = offsets
    }

    /// The bytes of the scalars `scalars` (a range of scalar indices).
    func byteRange(_ scalars: Range<Int>) -> Range<Int> {
        offsets[scalars.lowerBound]..<offsets[scalars.upperBound]
    }

    static func classify(_ value: UInt32) -> CharacterClass {
        if value < 0x80 {
            switch value {
            case 0x41...0x5A, 0x61...0x7A: return .letter
            case 0x30...0x39: return .number
            case 0x09...0x0D, 0x20: return .whitespace
            default: return .other
            }
        }
        guard let scalar = Unicode.Scalar(value) else { return .other }
        let properties = scalar.properties
        if properties.isWhitespace { return .whitespace }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return .number
        default:
            return .other
        }
    }
}
