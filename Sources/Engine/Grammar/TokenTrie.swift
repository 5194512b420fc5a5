/// The vocabulary as constrained sampling walks it: a byte trie of every token's text, laid out
/// in preorder so a subtree is a contiguous range (a pruned subtree is skipped in one jump).
/// Built once per model; tokens without text (control tokens) are not in it.
public final class TokenTrie: Sendable {
    /// Per node: its byte, the end of its subtree, its depth (the root is depth 0).
    let bytes: [UInt8]
    let subtreeEnd: [Int32]
    let depth: [UInt16]
    /// Tokens whose text ends at node i: `tokens[tokenStart[i]..<tokenStart[i + 1]]`.
    let tokenStart: [Int32]
    let tokens: [Int32]
    /// Each token's text, for advancing the matcher by a chosen token.
    let pieces: [[UInt8]]
    /// Tokens that end generation (allowed once the grammar is complete).
    let endTokens: [Int32]
    public let vocabularySize: Int
    /// The longest token text, in bytes.
    let maxDepth: Int

    /// - Parameters:
    ///   - piece: a token's text as decoding shows it (empty for tokens that never appear in
    ///     constrained text: control and special tokens).
    ///   - isEnd: whether a token ends generation.
    public init(vocabularySize: Int, piece: (TokenID) -> [UInt8], isEnd: (TokenID) -> Bool) {
        self.vocabularySize = vocabularySize
        var pieces: [[UInt8]] = []
        pieces.reserveCapacity(vocabularySize)
        var ends: [Int32] = []
        for t in 0..<vocabularySize {
            if isEnd(TokenID(t)) {
                ends.append(Int32(t))
                pieces.append([])
            } else {
                pieces.append(piece(TokenID(t)))
            }
        }
        // Sorting the tokens by text makes shared prefixes adjacent: the preorder trie falls out.
        let order = (0..<vocabularySize).filter { !pieces[$0].isEmpty }.sorted { pieces[$0].lexicographicallyPrecedes(pieces[$1]) }
        var bytes: [UInt8] = [0], depth: [UInt16] = [0], tokenStart: [Int32] = [0], tokens: [Int32] = []
        var path: [Int] = [0]  // node index per depth along the current branch
        var previous: [UInt8] = []
        for t in order {
            let text = pieces[t]
            var common = 0
            while common < min(text.count, previous.count), text[common] == previous[common] { common += 1 }
            path.removeLast(path.count - 1 - common)
            for d in common..<text.count {
                bytes.append(text[d])
                depth.append(UInt16(d + 1))
                tokenStart.append(Int32(tokens.count))
                path.append(bytes.count - 1)
            }
            // The token ends at the last node of its branch; its id goes with that node's tokens
            // (tokenStart of the next node is set when that node is made).
            tokens.append(Int32(t))
            previous = text
        }
        tokenStart.append(Int32(tokens.count))
        // Node i's tokens were appended before node i + 1 was made: tokenStart[i + 1] marks
        // their end. Subtree ends: a node's subtree runs until the next node no deeper than it.
        var end = [Int32](repeating: Int32(bytes.count), count: bytes.count)
        var open: [Int] = []
        for i in 0..<bytes.count {
            while let last = open.last, depth[last] >= depth[i] {
                end[last] = Int32(i)
                open.removeLast()
            }
            open.append(i)
        }
        self.bytes = bytes
        self.depth = depth
        self.subtreeEnd = end
        self.tokenStart = tokenStart
        self.tokens = tokens
        self.pieces = pieces
        self.endTokens = ends
        self.maxDepth = Int(depth.max() ?? 0)
    }

    /// Whether `token` ends generation.
    func isEnd(_ token: TokenID) -> Bool {
        var i = 0
        while i < endTokens.count {
            if endTokens[i] == Int32(token) { return true }
            i += 1
        }
        return false
    }

    /// Sets `token`'s bit in `mask` for every end token.
    func markEndTokens(in mask: UnsafeMutablePointer<UInt64>) {
        var i = 0
        while i < endTokens.count {
            let t = endTokens[i]
            mask[Int(t) >> 6] |= 1 << UInt64(t & 63)
            i += 1
        }
    }

    /// Nodes, the root included.
    public var nodeCount: Int { bytes.count }
}

extension TokenTrie {
    /// The trie of a model's vocabulary: each token's text as decoding shows it; special and
    /// control tokens (and ids past the tokenizer's, where the model pads its logits) never
    /// appear in constrained text; end-of-generation tokens end it.
    /// - Parameter vocabularySize: the model's logits per step (the tokenizer's count by default).
    public convenience init(tokenizer: Tokenizer, vocabularySize: Int? = nil) {
        let known = tokenizer.vocabulary.tokens.count
        self.init(vocabularySize: vocabularySize ?? known,
                  piece: { Int($0) < known && !tokenizer.isSpecial($0) ? tokenizer.pieceBytes($0) : [] },
                  isEnd: { Int($0) < known && tokenizer.isEndOfGeneration($0) })
    }
}
