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
        scalars.appendMatches(in: 0..<scalars.count, to: &words) {
            matchEnd(at: $0, before: scalars.count, values: scalars.values, classes: scalars.classes)
        }
        return words
    }

    @inline(__always)
    private static func isNewline(_ value: UInt32) -> Bool { value == 0x0A || value == 0x0D }

    /// The end (exclusive, in scalars) of the pattern's match starting at `i`, for a text
    /// that ends at scalar `n`.
    private func matchEnd(at i: Int, before n: Int, values: [UInt32], classes: [ClassifiedScalars.CharacterClass]) -> Int {
        let value = values[i], kind = classes[i]
        // (?i:'s|'t|'re|'ve|'m|'ll|'d)
        if let end = ClassifiedScalars.contractionEnd(at: i, before: n, values: values, anyCase: true) { return end }
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
        return ClassifiedScalars.whitespaceEnd(start: i, runEnd: end, before: n)
    }
}
