/// WordPiece (Hugging Face `WordPiece` model): each word becomes the longest vocabulary entries
/// that cover it from the left, pieces after the first carrying the continuation prefix (`##`);
/// a word with an uncoverable part, or longer than `maxInputCharacters`, is one unknown token.
struct WordPieceModel: TokenizationModel {
    let vocabulary: [String: TokenID]
    let unknown: TokenID
    let continuationPrefix: String
    let maxInputCharacters: Int

    func encode(_ text: UnsafeBufferPointer<UInt8>, words: [Range<Int>], into output: inout [TokenID]) {
        for word in words {
            encodeWord(Array(String(decoding: UnsafeBufferPointer(rebasing: text[word]), as: UTF8.self).unicodeScalars), into: &output)
        }
    }

    func encodeWord(_ characters: [Unicode.Scalar], into output: inout [TokenID]) {
        guard characters.count <= maxInputCharacters else {
            output.append(unknown)
            return
        }
        var pieces: [TokenID] = []
        var start = 0
        while start < characters.count {
            var end = characters.count
            var found: TokenID? = nil
            while end > start {
                var piece = start > 0 ? continuationPrefix : ""
                piece.unicodeScalars.append(contentsOf: characters[start..<end])
                if let id = vocabulary[piece] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let id = found else {
                output.append(unknown)
                return
            }
            pieces.append(id)
            start = end
        }
        output.append(contentsOf: pieces)
    }
}
