/// Byte-level BPE as GPT-2 (and llama.cpp's `llm_tokenizer_bpe`): each byte of a word starts
/// as the token of its mapped character (`ByteLevelMapping`), then the adjacent pair with the
/// lowest merge rank is merged (ties to the leftmost) until no pair has a rule.
///
/// Works on token ids: the rules `"left right"` are resolved once, at init, to
/// `(left id, right id) -> (rank, merged id)`; a rule whose parts or result are not
/// vocabulary pieces can never apply and is dropped.
///
/// With `ignoresMerges` (Llama 3), a word whose mapped text is itself a piece is that token,
/// whatever the merges would have made of it.
struct BytePairModel: TokenizationModel {
    struct Rule {
        var rank: Int32
        var merged: TokenID
    }

    /// Rules keyed by `left << 32 | right`.
    private let rules: [UInt64: Rule]
    /// Token for each byte's mapped character, -1 when the vocabulary has none.
    private let byteTokens: [TokenID]
    private let unknown: TokenID?
    /// The pieces, kept only when whole words are looked up before merging.
    private let wholeWords: PieceIndex?
    /// Each byte's mapped character in UTF-8, for whole-word lookups.
    private let mappedBytes: [[UInt8]]

    init(vocabulary: Vocabulary) throws(ModelFileError) {
        let types = vocabulary.types
        let pieces = PieceIndex(tokens: vocabulary.tokens, include: { types[$0].isMergeable })
        mappedBytes = (0..<256).map { ByteLevelMapping.utf8(for: UInt8($0)) }
        byteTokens = mappedBytes.map { pieces.lookup($0) ?? -1 }
        unknown = vocabulary.unknown
        wholeWords = vocabulary.preTokenizer.ignoresMerges ? pieces : nil

        var rules: [UInt64: Rule] = [:]
        rules.reserveCapacity(vocabulary.merges.count)
        for (rank, rule) in vocabulary.merges.enumerated() {
            let utf8 = Array(rule.utf8)
            // The separator is the first space after the first byte (llama.cpp: `find(' ', 1)`).
            guard utf8.count >= 3, let space = utf8[1...].firstIndex(of: 0x20), space + 1 < utf8.count else {
                throw .invalidTokenizer("merge \(rank) '\(rule)' is not two pieces separated by a space")
            }
            var joined = utf8
            joined.remove(at: space)
            guard let left = pieces.lookup(Array(utf8[..<space])),
                  let right = pieces.lookup(Array(utf8[(space + 1)...])),
                  let merged = pieces.lookup(joined) else { continue }
            let key = BytePairModel.key(left, right)
            if rules[key] == nil { rules[key] = Rule(rank: Int32(truncatingIfNeeded: rank), merged: merged) }
        }
        self.rules = rules
    }

    @inline(__always)
    private static func key(_ left: TokenID, _ right: TokenID) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    private struct Symbol {
        /// The symbol's token, -1 for a byte without one; -2 once merged away.
        var token: TokenID
        var prev: Int
        var next: Int
    }

    private struct Bigram: MergeCandidate {
        var rank: Int32
        var left: Int
        var right: Int
        var leftToken: TokenID
        var rightToken: TokenID
        var merged: TokenID

        func precedes(_ other: Bigram) -> Bool {
            rank < other.rank || (rank == other.rank && left < other.left)
        }
    }

    func encode(_ text: UnsafeBufferPointer<UInt8>, words: [Range<Int>], into output: inout [TokenID]) {
        var symbols: [Symbol] = []
        var queue = MergeQueue<Bigram>()
        var mapped: [UInt8] = []
        for word in words {
            if let wholeWords {
                mapped.removeAll(keepingCapacity: true)
                for b in text[word] { mapped.append(contentsOf: mappedBytes[Int(b)]) }
                if let token = wholeWords.lookup(mapped) {
                    output.append(token)
                    continue
                }
            }
            symbols.removeAll(keepingCapacity: true)
            queue.removeAll()
            encode(UnsafeBufferPointer(rebasing: text[word]), symbols: &symbols, queue: &queue, into: &output)
        }
    }

    /// - Complexity: O(n log n) in the word's length.
    private func encode(_ word: UnsafeBufferPointer<UInt8>, symbols: inout [Symbol], queue: inout MergeQueue<Bigram>, into output: inout [TokenID]) {
        guard !word.isEmpty else { return }
        for (i, b) in word.enumerated() {
            symbols.append(Symbol(token: byteTokens[Int(b)], prev: i - 1, next: i + 1 == word.count ? -1 : i + 1))
        }

        func tryAddBigram(_ left: Int, _ right: Int) {
            guard left >= 0, right >= 0 else { return }
            let l = symbols[left].token, r = symbols[right].token
            guard l >= 0, r >= 0, let rule = rules[BytePairModel.key(l, r)] else { return }
            queue.push(Bigram(rank: rule.rank, left: left, right: right, leftToken: l, rightToken: r, merged: rule.merged))
        }

        for i in 1..<symbols.count { tryAddBigram(i - 1, i) }

        while let bigram = queue.pop() {
            let left = symbols[bigram.left]
            let right = symbols[bigram.right]
            guard left.next == bigram.right, left.token == bigram.leftToken, right.token == bigram.rightToken else { continue }
            symbols[bigram.left].token = bigram.merged
            symbols[bigram.left].next = right.next
            symbols[bigram.right].token = -2
            if right.next >= 0 { symbols[right.next].prev = bigram.left }
            tryAddBigram(left.prev, bigram.left)
            tryAddBigram(bigram.left, right.next)
        }

        var i = 0
        while i >= 0 {
            let token = symbols[i].token
            if token >= 0 {
                output.append(token)
            } else if let unknown {
                output.append(unknown)
            }
            i = symbols[i].next
        }
    }
}
