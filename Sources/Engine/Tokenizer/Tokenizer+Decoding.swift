extension Tokenizer {
    /// Decodes ids to text: byte tokens become their bytes, `▁` a space (llama), mapped
    /// characters their bytes (gpt2); control, unknown and unused tokens render as nothing,
    /// as do ids outside the vocabulary. For SentencePiece with a dummy prefix the first
    /// piece that renders loses one leading space (Hugging Face's decoder does the same with
    /// `skip_special_tokens`), so `decode(encode(s, addBOS: b)) == s`. Invalid UTF-8 is
    /// repaired (U+FFFD) here, once, over the whole text.
    public func decode(_ tokens: [TokenID]) -> String {
        decode(tokens, renderSpecial: false)
    }

    /// Decodes ids to text as `decode(_:)`; with `renderSpecial`, special tokens (those
    /// `isSpecial` names: control, user-defined, unknown, end-of-generation) render as their
    /// text, as llama.cpp's `token_to_piece` with `special`, and for SentencePiece with a dummy
    /// prefix the space that `encode(_:addBOS:parseSpecial:)` put after each special token is
    /// removed again. So without BOS, `decode(encode(s, addBOS: false, parseSpecial: true),
    /// renderSpecial: true) == s` for any text s that SentencePiece's byte fallback covers.
    public func decode(_ tokens: [TokenID], renderSpecial: Bool) -> String {
        var bytes: [UInt8] = []
        var stripSpace = stripsDummyPrefix
        for token in tokens {
            if renderSpecial, isSpecial(token) {
                bytes.append(contentsOf: vocabulary.tokens[Int(token)].utf8)
                stripSpace = stripsDummyPrefix
                continue
            }
            pieces.withPiece(token) { piece in
                guard !piece.isEmpty else { return }
                if stripSpace {
                    stripSpace = false
                    if piece[0] == 0x20 {
                        bytes.append(contentsOf: piece.dropFirst())
                        return
                    }
                }
                bytes.append(contentsOf: piece)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The raw bytes a token stands for, with no space stripped (empty for control,
    /// unknown and unused tokens and for ids outside the vocabulary).
    public func pieceBytes(_ token: TokenID) -> [UInt8] {
        pieces.withPiece(token) { Array($0) }
    }

    /// Lends a token's bytes (as `pieceBytes`) without copying. Must not escape `body`.
    public func withPieceBytes<R>(_ token: TokenID, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        pieces.withPiece(token, body)
    }
}
