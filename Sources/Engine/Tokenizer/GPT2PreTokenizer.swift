/// GPT-2's pre-tokenizer pattern, matched by hand over Unicode scalars (no regex engine):
///
///     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
///
/// `\p{L}` is general category L*, `\p{N}` is N*, `\s` is the White_Space property (as in
/// Oniguruma, which Hugging Face tokenizers uses). Alternatives are tried in order at each
/// position and each match is as long as the pattern allows, so `"   Hello"` splits into
/// `"  "` and `" Hello"` (the whitespace run leaves its last space to the word after it).
struct GPT2PreTokenizer: PreTokenizer {
    enum CharacterClass: UInt8 {
        case other, letter, number, whitespace
    }

    private static let space: UInt32 = 0x20
    private static let apostrophe: UInt32 = 0x27
    private static let runClasses: [CharacterClass] = [.letter, .number, .other]

    func split(_ text: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        // Scalars with their classes and byte offsets; offsets has one extra entry (the end).
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
            classes.append(GPT2PreTokenizer.classify(value))
            offsets.append(offset)
            offset += length
        }
        offsets.append(text.count)

        let n = values.count
        var words: [Range<Int>] = []
        var i = 0
        while i < n {
            let end = GPT2PreTokenizer.matchEnd(at: i, values: values, classes: classes)
            words.append(offsets[i]..<offsets[end])
            i = end
        }
        return words
    }

    /// The end (exclusive, in scalars) of the pattern's match starting at `i`.
    private static func matchEnd(at i: Int, values: [UInt32], classes: [CharacterClass]) -> Int {
        let n = values.count
        // 's|'t|'re|'ve|'m|'ll|'d
        if values[i] == apostrophe, i + 1 < n {
            switch values[i + 1] {
            case 0x73, 0x74, 0x6D, 0x64:  // s t m d
                return i + 2
            case 0x72, 0x76:  // r v: 're 've
                if i + 2 < n, values[i + 2] == 0x65 { return i + 3 }
            case 0x6C:  // l: 'll
                if i + 2 < n, values[i + 2] == 0x6C { return i + 3 }
            default:
                break
            }
        }
        // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional space, then a run of one class.
        for run in runClasses {
            var j = i
            if values[j] == space, j + 1 < n, classes[j + 1] == run { j += 1 }
            guard classes[j] == run else { continue }
            while j < n, classes[j] == run { j += 1 }
            return j
        }
        // `\s+(?!\S)|\s+`: whitespace up to the end of text, or all but the last whitespace
        // before a non-space (which then starts the next word), or a single whitespace.
        var j = i
        while j < n, classes[j] == .whitespace { j += 1 }
        if j == n || j - i == 1 { return j }
        return j - 1
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
