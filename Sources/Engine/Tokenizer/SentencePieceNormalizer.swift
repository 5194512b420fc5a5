/// SentencePiece's whitespace escaping (llama.cpp's `llama_escape_whitespace`): every space
/// (U+0020 only; tabs and newlines stay) becomes `▁` (U+2581), and with `addSpacePrefix`
/// non-empty text first gets the dummy-prefix space, so `"Hello"` encodes as `"▁Hello"`.
/// With special-token parsing the prefix goes on every fragment at the start or right after
/// a special token (llama.cpp's `is_prev_special`), so `"<s>Hi"` encodes as `<s>`, `"▁Hi"`.
struct SentencePieceNormalizer: TextNormalizer {
    /// `▁` in UTF-8.
    static let escapedSpace: [UInt8] = [0xE2, 0x96, 0x81]

    let addSpacePrefix: Bool

    func normalize(_ text: UnsafeBufferPointer<UInt8>, atStart: Bool) -> [UInt8] {
        var out: [UInt8] = []
        guard !text.isEmpty else { return out }
        out.reserveCapacity(text.count + 16)
        if addSpacePrefix, atStart { out.append(contentsOf: SentencePieceNormalizer.escapedSpace) }
        for b in text {
            if b == 0x20 {
                out.append(contentsOf: SentencePieceNormalizer.escapedSpace)
            } else {
                out.append(b)
            }
        }
        return out
    }
}
