/// SentencePiece token bytes (llama.cpp's `token_to_piece` for SPM): normal pieces with `▁`
/// turned back into spaces, `<0xNN>` byte tokens as their byte, user-defined pieces
/// verbatim, and control, unknown and unused tokens as nothing.
struct SentencePieceDecoder: PieceDecoder {
    func bytes(of token: Int, in vocabulary: Vocabulary) -> [UInt8] {
        let text = vocabulary.tokens[token]
        switch vocabulary.types[token] {
        case .normal, .undefined:
            return SentencePieceDecoder.unescapeSpaces(text)
        case .userDefined:
            return Array(text.utf8)
        case .byte:
            if let b = SentencePieceDecoder.byteValue(text) { return [b] }
            return SentencePieceDecoder.unescapeSpaces(text)
        case .control, .unknown, .unused:
            return []
        }
    }

    /// `text` with every `▁` replaced by a space.
    static func unescapeSpaces(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        let utf8 = Array(text.utf8)
        out.reserveCapacity(utf8.count)
        var i = 0
        while i < utf8.count {
            if i + 2 < utf8.count, utf8[i] == 0xE2, utf8[i + 1] == 0x96, utf8[i + 2] == 0x81 {
                out.append(0x20)
                i += 3
            } else {
                out.append(utf8[i])
                i += 1
            }
        }
        return out
    }

    /// The byte of a `<0xNN>` token text (two hex digits, either case), else nil.
    static func byteValue(_ text: String) -> UInt8? {
        let u = Array(text.utf8)
        guard u.count == 6, u[0] == 0x3C, u[1] == 0x30, u[2] == 0x78, u[5] == 0x3E,
              let high = hexDigit(u[3]), let low = hexDigit(u[4]) else { return nil }
        return high << 4 | low
    }

    private static func hexDigit(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }
}
