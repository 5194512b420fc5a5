import Memory

/// A grammar and the vocabulary it constrains: what a request asks for with `response_format`
/// or `grammar`. Immutable and shared; each request's `GrammarConstraint` walks it.
public struct ConstrainedGrammar: Sendable {
    public let grammar: Grammar
    public let trie: TokenTrie

    public init(grammar: Grammar, trie: TokenTrie) {
        self.grammar = grammar
        self.trie = trie
    }
}

/// One request's place in its grammar: which tokens may come next (a bit mask over the
/// vocabulary) and the state after each chosen token. Masks are computed by walking the token
/// trie from the current state, pruning every subtree the grammar refuses at its first byte,
/// and cached by state: inside a string or a number the state repeats, and the walk is skipped.
/// All storage is allocated here, once; a step allocates nothing.
///
/// With a token budget, once the budget comes within reach of the shortest completion, only
/// tokens that still leave room to complete the sentence are allowed, so output cut by
/// `max_tokens` still parses when the budget allows any sentence at all.
final class GrammarConstraint {
    private var matcher: GrammarMatcher
    private let trie: TokenTrie
    private var state = StackSet()
    private var spare = StackSet()
    /// Per trie depth, the state after that node's bytes (the walk's stack).
    private var levels: [StackSet]
    private let words: Int
    private let mask: AlignedBuffer<UInt64>
    /// Masks by state (hash, then exact comparison), filled round robin.
    private var cacheKeys: [StackSet]
    private var cacheHashes: [UInt64]
    private let cacheMasks: AlignedBuffer<UInt64>
    private var cacheNext = 0
    private var cacheUsed = 0
    /// Masks taken from the cache, and trie walks (cache misses and budgeted steps).
    private(set) var cacheHits = 0, walks = 0
    /// The walk stays exact beyond this many tokens of slack over the shortest completion.
    static let budgetSlack: Int32 = 64
    static let cacheSlots = 16

    init(_ constrained: ConstrainedGrammar) {
        matcher = GrammarMatcher(constrained.grammar)
        trie = constrained.trie
        words = (trie.vocabularySize + 63) / 64
        mask = AlignedBuffer(count: words)
        levels = (0...trie.maxDepth).map { _ in StackSet() }
        cacheKeys = (0..<Self.cacheSlots).map { _ in StackSet() }
        cacheHashes = [UInt64](repeating: 0, count: Self.cacheSlots)
        cacheMasks = AlignedBuffer(count: words * Self.cacheSlots)
        matcher.start(into: &state)
    }

    /// Whether the text so far is a complete sentence.
    var isComplete: Bool { state.isAccepting }

    /// Whether the text is complete and the grammar allows nothing after it.
    var isFinished: Bool { state.count == 1 && state.isAccepting }

    /// The tokens allowed next, as a bit mask over the vocabulary (valid until the next call),
    /// for a request that may generate `remaining` more tokens (this one included); nil when
    /// none is.
    func allowedTokens(remaining: Int) -> UnsafePointer<UInt64>? {
        let need = matcher.minRemaining(state)
        let budgeted = need < GrammarMatcher.unreachable && Int32(clamping: remaining) <= need + Self.budgetSlack
        let out: UnsafeMutablePointer<UInt64>
        if budgeted {
            out = mask.pointer
            walk(budget: Int32(clamping: remaining - 1), into: out)
            // A budget no sentence fits: the grammar alone (the output will be cut).
            if isEmpty(out) { walk(budget: nil, into: out) }
        } else {
            out = cachedMask()
        }
        return isEmpty(out) ? nil : UnsafePointer(out)
    }

    /// The mask for the current state from the cache, walked and stored on a miss.
    private func cachedMask() -> UnsafeMutablePointer<UInt64> {
        let hash = state.hash()
        for slot in 0..<cacheUsed where cacheHashes[slot] == hash && cacheKeys[slot].equals(state) {
            cacheHits += 1
            return cacheMasks.pointer + slot * words
        }
        let slot = cacheNext
        cacheNext = (cacheNext + 1) % Self.cacheSlots
        cacheUsed = max(cacheUsed, slot + 1)
        cacheHashes[slot] = hash
        cacheKeys[slot].copy(from: state)
        walk(budget: nil, into: cacheMasks.pointer + slot * words)
        return cacheMasks.pointer + slot * words
    }

    /// Moves past `token`; false when the grammar refuses it (the state is then unchanged).
    @discardableResult
    func accept(_ token: TokenID) -> Bool {
        for t in trie.endTokens where t == Int32(token) { return state.isAccepting }
        spare.copy(from: state)
        var ok = true
        for byte in trie.pieces[Int(token)] {
            guard matcher.advance(spare, byte: byte, into: &levels[0]) else { ok = false; break }
            spare.copy(from: levels[0])
        }
        guard ok, !trie.pieces[Int(token)].isEmpty else { return false }
        swap(&state, &spare)
        return true
    }

    /// Fills `out` by walking the trie from the current state; with `budget`, a token is allowed
    /// only if at most `budget` code points (one token each at best) then complete a sentence.
    private func walk(budget: Int32?, into out: UnsafeMutablePointer<UInt64>) {
        walks += 1
        out.initialize(repeating: 0, count: words)
        if state.isAccepting { for t in trie.endTokens { out[Int(t) >> 6] |= 1 << UInt64(t & 63) } }
        levels[0].copy(from: state)
        var node = 1
        let count = trie.nodeCount
        while node < count {
            let d = Int(trie.depth[node])
            guard matcher.advance(levels[d - 1], byte: trie.bytes[node], into: &levels[d]) else {
                node = Int(trie.subtreeEnd[node])
                continue
            }
            let first = Int(trie.tokenStart[node]), last = Int(trie.tokenStart[node + 1])
            if first < last, budget.map({ matcher.minRemaining(levels[d]) <= $0 }) ?? true {
                for i in first..<last {
                    let t = trie.tokens[i]
                    out[Int(t) >> 6] |= 1 << UInt64(t & 63)
                }
            }
            node += 1
        }
    }

    private func isEmpty(_ m: UnsafeMutablePointer<UInt64>) -> Bool {
        for i in 0..<words where m[i] != 0 { return false }
        return true
    }
}
