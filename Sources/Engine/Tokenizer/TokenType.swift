/// A token's index in its vocabulary (llama.cpp's `llama_token`).
public typealias TokenID = Int32

/// The kind of a vocabulary entry, with llama.cpp's (`llama_token_type`) numbering.
public enum TokenType: Int32, Sendable {
    case undefined = 0
    /// Ordinary text.
    case normal = 1
    /// The unknown token (`<unk>`).
    case unknown = 2
    /// Markers such as BOS and EOS: never produced from text, render as nothing.
    case control = 3
    /// Added pieces that render verbatim.
    case userDefined = 4
    case unused = 5
    /// `<0xNN>`: one raw byte (SentencePiece byte fallback).
    case byte = 6

    /// Whether text can be encoded into this token: control, unknown, unused and byte
    /// tokens are never the result of merging characters.
    var isMergeable: Bool {
        switch self {
        case .normal, .userDefined, .undefined: return true
        case .unknown, .control, .unused, .byte: return false
        }
    }
}

extension Sequence<TokenID> {
    /// The first id that is not a token of a vocabulary of `vocabularySize` (ids 0 up to it), if any.
    public func firstOutside(vocabularySize: Int) -> TokenID? {
        first { $0 < 0 || Int($0) >= vocabularySize }
    }
}
