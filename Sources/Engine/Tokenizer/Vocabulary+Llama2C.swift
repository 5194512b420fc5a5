extension Vocabulary {
    /// Reads a llama2.c tokenizer file (`Llama2CTokenizerFile`) and converts it to the
    /// conventions of a GGUF llama vocabulary, so the same SentencePiece tokenizer serves
    /// both: spaces in pieces become `▁`; id 0 is the unknown token, 1 BOS and 2 EOS
    /// (control tokens, their texts `"\n<s>\n"` and `"\n</s>\n"` trimmed to `<s>` and
    /// `</s>`); `<0xNN>` pieces are byte tokens; everything else is normal. BOS is added to
    /// prompts, with SentencePiece's dummy-prefix space, as llama2.c's `encode` does.
    public init(llama2cTokenizerAt path: String, vocabularySize: Int) throws(ModelFileError) {
        try self.init(llama2c: try Llama2CTokenizerFile(path: path, vocabularySize: vocabularySize))
    }

    /// Converts an already read llama2.c tokenizer file (see `init(llama2cTokenizerAt:vocabularySize:)`).
    public init(llama2c file: Llama2CTokenizerFile) throws(ModelFileError) {
        let n = file.pieces.count
        var tokens: [String] = []
        var types: [TokenType] = []
        tokens.reserveCapacity(n)
        types.reserveCapacity(n)
        for (id, piece) in file.pieces.enumerated() {
            var text: String
            let type: TokenType
            switch id {
            case 0:
                text = String(decoding: piece, as: UTF8.self)
                type = .unknown
            case 1, 2:
                text = String(decoding: piece.trimmingNewlines(), as: UTF8.self)
                type = .control
            default:
                var escaped: [UInt8] = []
                escaped.reserveCapacity(piece.count)
                for b in piece {
                    if b == 0x20 { escaped.append(contentsOf: SentencePieceNormalizer.escapedSpace) } else { escaped.append(b) }
                }
                text = String(decoding: escaped, as: UTF8.self)
                type = SentencePieceDecoder.byteValue(text) == nil ? .normal : .byte
            }
            if text.isEmpty { text = "[EMPTY_\(id)]" }
            tokens.append(text)
            types.append(type)
        }
        try self.init(
            kind: .llama, tokens: tokens, scores: file.scores, types: types,
            bos: n > 1 ? 1 : nil, eos: n > 2 ? 2 : nil, unknown: 0,
            addBOS: n > 1, addEOS: false, addSpacePrefix: true)
    }
}

extension Array where Element == UInt8 {
    /// The bytes without leading and trailing newlines.
    fileprivate func trimmingNewlines() -> [UInt8] {
        var start = startIndex, end = endIndex
        while start < end, self[start] == 0x0A { start += 1 }
        while end > start, self[end - 1] == 0x0A { end -= 1 }
        return Array(self[start..<end])
    }
}
