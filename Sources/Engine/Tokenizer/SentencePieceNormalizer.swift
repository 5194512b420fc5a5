/// SentencePiece's whitespace escaping (llama.cpp's `llama_escape_whitespace`): every space
/// (U+0020 only; tabs and newlines stay) becomes `▁` (U+2581), and with `addSpacePrefix`
/// non-empty text first gets the dummy-prefix space, so `"Hello"` encodes as `"▁Hello"`.
struct SentencePieceNormalizer: TextNormalizer {
    /// `▁` in UTF-8.
    static let escapedSpace: [UInt8] = [0xE2, 0x96, 0x81]

    let addSpacePrefix: Bool

    func normalize(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        guard !text.isEmpty else { return out }
        out.reserveCapacity(text.utf8.count + 16)
        if addSpacePrefix { out.append(contentsOf: SentencePieceNormalizer.escapedSpace) }
        for b in text.utf8 {
            if b == 0x20 {
                out.append(contentsOf: SentencePieceNormalizer.escapedSpace)
            } else {
                out.append(b)
            }
        }
        return out
    }
}
