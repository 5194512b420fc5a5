/// Byte-level BPE token bytes (llama.cpp's `llama_decode_text`): each character of a normal
/// piece maps back to its byte (`ByteLevelMapping`); a character outside the mapping stays
/// as its own UTF-8. User-defined pieces render verbatim; control, unknown and unused
/// tokens render as nothing.
struct ByteLevelDecoder: PieceDecoder {
    func bytes(of token: Int, in vocabulary: Vocabulary) -> [UInt8] {
        let text = vocabulary.tokens[token]
        switch vocabulary.types[token] {
        case .normal, .undefined:
            return ByteLevelDecoder.unmap(text)
        case .userDefined:
            return Array(text.utf8)
        case .byte:
            if let b = SentencePieceDecoder.byteValue(text) { return [b] }
            return ByteLevelDecoder.unmap(text)
        case .control, .unknown, .unused:
            return []
        }
    }

    static func unmap(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        for scalar in text.unicodeScalars {
            if let b = ByteLevelMapping.byte(for: scalar.value) {
                out.append(b)
            } else {
                out.append(contentsOf: String(Character(scalar)).utf8)
            }
        }
        return out
    }
}
