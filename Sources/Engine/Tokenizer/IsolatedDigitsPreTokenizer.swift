/// GPT-2's pattern after every number scalar has been made a word of its own: the two-step
/// split llama.cpp applies for `tokenizer.ggml.pre` `smollm` (and `starcoder`, `refact`,
/// `command-r`, `codeshell`, `exaone`, `minerva-7b`, `mellum2`), its regex list
///
///     \p{N}
///     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)
///
/// (`llm_tokenizer_bpe` in `llama-vocab.cpp`). Each expression splits the fragments the one
/// before left, keeping the text between matches as fragments too, and never matches across
/// a fragment's edge. So digits never join a word (`" 123"` is `" "`, `"1"`, `"2"`, `"3"`), and
/// a whitespace run that ends before a digit is one word (it ends its fragment, and
/// `\s+(?!\S)` sees no non-space after it).
struct IsolatedDigitsPreTokenizer: PreTokenizer {
    func split(_ text: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        let scalars = ClassifiedScalars(text)
        let classes = scalars.classes
        var words: [Range<Int>] = []
        var i = 0
        while i < scalars.count {
            if classes[i] == .number {
                words.append(scalars.byteRange(i..<(i + 1)))
                i += 1
                continue
            }
            var end = i + 1
            while end < scalars.count, classes[end] != .number { end += 1 }
            GPT2PreTokenizer.appendWords(of: scalars, in: i..<end, to: &words)
            i = end
        }
        return words
    }
}
