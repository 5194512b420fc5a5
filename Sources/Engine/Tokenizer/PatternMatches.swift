/// The pieces the hand-matched pre-tokenizer patterns share (GPT-2's, Llama 3's and the
/// lists built on them), over a text's `ClassifiedScalars`.
extension ClassifiedScalars {
    /// Appends the byte range of each successive match in scalars `span`, where `matchEnd(i)`
    /// is the end of the match that starts at scalar `i`.
    func appendMatches(in span: Range<Int>, to words: inout [Range<Int>], _ matchEnd: (Int) -> Int) {
        var i = span.lowerBound
        while i < span.upperBound {
            let end = matchEnd(i)
            words.append(byteRange(i..<end))
            i = end
        }
    }

    /// The end of `'s|'t|'re|'ve|'m|'ll|'d` at scalar `i` in a text ending at `n`, or nil;
    /// with `anyCase`, the letters match in either ASCII case (Llama 3's `(?i:...)`).
    static func contractionEnd(at i: Int, before n: Int, values: [UInt32], anyCase: Bool) -> Int? {
        guard values[i] == 0x27, i + 1 < n else { return nil }
        let fold: UInt32 = anyCase ? 0x20 : 0
        switch values[i + 1] | fold {
        case 0x73, 0x74, 0x6D, 0x64:  // s t m d
            return i + 2
        case 0x72, 0x76:  // r v: 're 've
            if i + 2 < n, values[i + 2] | fold == 0x65 { return i + 3 }
        case 0x6C:  // l: 'll
            if i + 2 < n, values[i + 2] | fold == 0x6C { return i + 3 }
        default:
            break
        }
        return nil
    }

    /// The end of `\s+(?!\S)|\s+` for a whitespace run from `start` to `runEnd` in a text
    /// ending at `n`: the whole run at the end of the text, else all of it but the last
    /// scalar (which then starts the next word), or a single whitespace.
    static func whitespaceEnd(start: Int, runEnd: Int, before n: Int) -> Int {
        runEnd == n || runEnd - start == 1 ? runEnd : runEnd - 1
    }
}
