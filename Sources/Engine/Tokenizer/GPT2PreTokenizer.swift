/// GPT-2's pre-tokenizer pattern, matched by hand over Unicode scalars (no regex engine):
///
///     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
///
/// Classes as `ClassifiedScalars` defines them. Alternatives are tried in order at each
/// position and each match is as long as the pattern allows, so `"   Hello"` splits into
/// `"  "` and `" Hello"` (the whitespace run leaves its last space to the word after it).
struct GPT2PreTokenizer: PreTokenizer {
    private static let space: UInt32 = 0x20
    private static let runClasses: [ClassifiedScalars.CharacterClass] = [.letter, .number, .other]

    func split(_ text: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        let scalars = ClassifiedScalars(text)
        var words: [Range<Int>] = []
        GPT2PreTokenizer.appendWords(of: scalars, in: 0..<scalars.count, to: &words)
        return words
    }

    /// Matches the pattern over the scalars `span` of `scalars` as if they were the whole
    /// text (nothing before or after them is looked at, as llama.cpp matches each fragment a
    /// previous split left), appending the byte range of each word.
    static func appendWords(of scalars: ClassifiedScalars, in span: Range<Int>, to words: inout [Range<Int>]) {
        scalars.appendMatches(in: span, to: &words) {
            matchEnd(at: $0, before: span.upperBound, values: scalars.values, classes: scalars.classes)
        }
    }

    /// The end (exclusive, in scalars) of the pattern's match starting at `i`, for a text
    /// that ends at scalar `n`.
    static func matchEnd(at i: Int, before n: Int, values: [UInt32], classes: [ClassifiedScalars.CharacterClass]) -> Int {
        // 's|'t|'re|'ve|'m|'ll|'d
        if let end = ClassifiedScalars.contractionEnd(at: i, before: n, values: values, anyCase: false) { return end }
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
        return ClassifiedScalars.whitespaceEnd(start: i, runEnd: j, before: n)
    }
}
