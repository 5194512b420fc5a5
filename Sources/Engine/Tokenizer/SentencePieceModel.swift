/// SentencePiece BPE as llama.cpp's `llm_tokenizer_spm`: split the word into UTF-8
/// characters, then repeatedly merge the adjacent pair whose concatenation is a vocabulary
/// piece with the highest score (ties to the leftmost pair). A final symbol that is not a
/// piece (a single character outside the vocabulary) falls back to one `<0xNN>` token per
/// byte, or, when a byte has no such token, to one unknown token (nothing without one).
///
/// Only mergeable pieces (normal, user-defined, undefined) are candidates, so text such
/// as `"<s>"` never becomes a control token.
struct SentencePieceModel: TokenizationModel {
    private let pieces: PieceIndex
    private let scores: [Float]
    /// Token for each byte value, -1 when the vocabulary has none.
    private let byteTokens: [TokenID]
    private let unknown: TokenID?

    init(vocabulary: Vocabulary) {
        let types = vocabulary.types
        pieces = PieceIndex(tokens: vocabulary.tokens, include: { types[$0].isMergeable })
        scores = vocabulary.scores
        byteTokens = SentencePieceModel.byteTokens(of: vocabulary)
        unknown = vocabulary.unknown
    }

    /// Ids of the `<0xNN>` tokens (found by text, whatever their type, as llama.cpp does).
    static func byteTokens(of vocabulary: Vocabulary) -> [TokenID] {
        var table = [TokenID](repeating: -1, count: 256)
        for (id, text) in vocabulary.tokens.enumerated() {
            if let b = SentencePieceDecoder.byteValue(text), table[Int(b)] < 0 { table[Int(b)] = TokenID(id) }
        }
        return table
    }

    /// A symbol: a byte range of the word, linked to its neighbours; `length` 0 once merged away.
    private struct Symbol {
        var start: Int
        var length: Int
        var prev: Int
        var next: Int
    }

    private struct Bigram: MergeCandidate {
        var score: Float
        var left: Int
        var right: Int
        /// Bytes of the merged text, to detect candidates made stale by other merges.
        var length: Int

        func precedes(_ other: Bigram) -> Bool {
            score > other.score || (score == other.score && left < other.left)
        }
    }

    func encode(_ text: UnsafeBufferPointer<UInt8>, words: [Range<Int>], into output: inout [TokenID]) {
        var symbols: [Symbol] = []
        var queue = MergeQueue<Bigram>()
        for word in words {
            symbols.removeAll(keepingCapacity: true)
            queue.removeAll()
            encode(UnsafeBufferPointer(rebasing: text[word]), symbols: &symbols, queue: &queue, into: &output)
        }
    }

    /// - Complexity: O(n log n) in the word's length.
    private func encode(_ word: UnsafeBufferPointer<UInt8>, symbols: inout [Symbol], queue: inout MergeQueue<Bigram>, into output: inout [TokenID]) {
        var offset = 0
        while offset < word.count {
            let length = min(UTF8Scalars.sequenceLength(lead: word[offset]), word.count - offset)
            let index = symbols.count
            symbols.append(Symbol(start: offset, length: length, prev: index - 1, next: offset + length == word.count ? -1 : index + 1))
            offset += length
        }
        guard !symbols.isEmpty else { return }

        func tryAddBigram(_ left: Int, _ right: Int) {
            guard left >= 0, right >= 0 else { return }
            let start = symbols[left].start
            let length = symbols[left].length + symbols[right].length
            guard let id = pieces.lookup(UnsafeBufferPointer(rebasing: word[start..<(start + length)])) else { return }
            queue.push(Bigram(score: scores[Int(id)], left: left, right: right, length: length))
        }

        for i in 1..<symbols.count { tryAddBigram(i - 1, i) }

        while let bigram = queue.pop() {
            let left = symbols[bigram.left]
            let right = symbols[bigram.right]
            guard left.length > 0, right.length > 0, left.next == bigram.right,
                  left.length + right.length == bigram.length else { continue }
            symbols[bigram.left].length = bigram.length
            symbols[bigram.left].next = right.next
            symbols[bigram.right].length = 0
            if right.next >= 0 { symbols[right.next].prev = bigram.left }
            tryAddBigram(left.prev, bigram.left)
            tryAddBigram(bigram.left, right.next)
        }

        var i = 0
        while i >= 0 {
            let symbol = symbols[i]
            let bytes = UnsafeBufferPointer(rebasing: word[symbol.start..<(symbol.start + symbol.length)])
            if let id = pieces.lookup(bytes) {
                output.append(id)
            } else if bytes.allSatisfy({ byteTokens[Int($0)] >= 0 }) {
                for b in bytes { output.append(byteTokens[Int(b)]) }
            } else if let unknown {
                output.append(unknown)
            }
            i = symbol.next
        }
    }
}
