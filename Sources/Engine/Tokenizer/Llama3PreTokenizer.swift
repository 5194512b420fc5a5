/// Llama 3's pre-tokenizer pattern, matched by hand over Unicode scalars:
///
///     (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
///
/// Unlike GPT-2's, a letter run takes any one non-newline, non-number scalar before it
/// (`"(Hello"`, `"\tHello"`), numbers come in groups of at most `maxDigits` from the left,
/// punctuation keeps the newlines after it, and a whitespace run containing a newline ends
/// at its last newline. Qwen2 uses the same pattern with `\p{N}` instead of `\p{N}{1,3}`
/// (`maxDigits` 1). Classes as `ClassifiedScalars` defines them.
struct Llama3PreTokenizer: PreTokenizer {
    /// The longest run of number scalars one word holds: 3 for Llama 3, 1 for Qwen2.
    let maxDigits: Int

    private static let space: UInt32 = 0x20

    func split(_ text: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        let scalars = ClassifiedScalars(text)
        var words: [Range<Int>] = []
        var i = 0
        while i < scalars.count {
            let end = matchEnd(at: i, before: scalars.count, values: scalars.values, classes: scalars.classes)
            words.append(scalars.byteRange(i..<end))
            i = end
        }
        return words
    }

    @inline(__always)
    private static func isNewline(_ value: UInt32) -> Bool { value == 0x0A || value == 0x0D }

    /// The end (exclusive, in scalars) of the pattern's match starting at `i`, for a text
    /// that ends at scalar `n`.
    private func matchEnd(at i: Int, before n: Int, values: [UInt32], classes: [ClassifiedScalars.CharacterClass]) -> Int {
        let value = values[i], kind = classes[i]
        // (?i:'s|'t|'re|'ve|'m|'ll|'d), ASCII letters of either case.
        if value == 0x27, i + 1 < n {
            let next = values[i + 1] | 0x20
            switch next {
            case 0x73, 0x74, 0x6D, 0x64:  // s t m d
                return i + 2
            case 0x72, 0x76:  // r v: 're 've
                if i + 2 < n, values[i + 2] | 0x20 == 0x65 { return i + 3 }
            case 0x6C:  // l: 'll
                if i + 2 < n, values[i + 2] | 0x20 == 0x6C { return i + 3 }
            default:
                break
            }
        }
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if kind == .letter || (kind != .number && !Self.isNewline(value) && i + 1 < n && classes[i + 1] == .letter) {
            var j = i + 1
            while j < n, classes[j] == .letter { j += 1 }
            return j
        }
        // \p{N}{1,maxDigits}
        if kind == .number {
            var j = i + 1
            while j < n, j - i < maxDigits, classes[j] == .number { j += 1 }
            return j
        }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        var j = i
        if value == Self.space, j + 1 < n, classes[j + 1] == .other { j += 1 }
        if classes[j] == .other {
            while j < n, classes[j] == .other { j += 1 }
            while j < n, Self.isNewline(values[j]) { j += 1 }
            return j
        }
        // What is left starts with whitespace.
        var end = i
        var afterLastNewline = -1
        while end < n, classes[end] == .whitespace {
            if Self.isNewline(values[end]) { afterLastNewline = end + 1 }
            end += 1
        }
        // \s*[\r\n]+
        if afterLastNewline > 0 { return afterLastNewline }
        // \s+(?!\S)|\s+: up to the end of text, or all but the last before a non-space.
        if end == n || end - i == 1 { return end }
        return end - 1
    }
}
