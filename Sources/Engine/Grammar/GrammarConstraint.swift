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
/// With a token budget, a drawn token that would leave too few tokens to complete the sentence
/// is refused and the draw repeated over the tokens that leave enough (`fits`,
/// `allowedTokens(within:)`), so output cut by `max_tokens` still parses when the budget
/// allows any sentence at all.
final class GrammarConstraint {
    private let matcher: GrammarMatcher
    private let trie: TokenTrie
    private var state = StackSet()
    private var spare = StackSet()
    /// Scratch for `accept` and `fits`; `spare` holds the state after `spareToken` (-1: none).
    private var scratch = StackSet()
    private var spareToken: TokenID = -1
    private let walker: TrieWalk
    private let words: Int
    private let mask: AlignedBuffer<UInt64>
    /// Masks by state (hash, then exact comparison), filled round robin.
    private var cacheKeys: [StackSet]
    private var cacheHashes: [UInt64]
    private let cacheMasks: AlignedBuffer<UInt64>
    private var lastUse: [Int]
    private var clock = 0
    private var cacheUsed = 0
    /// Masks taken from the cache, and trie walks (cache misses and budgeted steps).
    private(set) var cacheHits = 0, walks = 0
    /// Trie nodes the walks visited.
    private(set) var walkedNodes = 0
    static let cacheSlots = 64

    init(_ constrained: ConstrainedGrammar) {
        matcher = GrammarMatcher(constrained.grammar)
        trie = constrained.trie
        words = (trie.vocabularySize + 63) / 64
        mask = AlignedBuffer(count: words)
        walker = TrieWalk(maxDepth: trie.maxDepth)
        cacheKeys = (0..<Self.cacheSlots).map { _ in StackSet() }
        cacheHashes = [UInt64](repeating: 0, count: Self.cacheSlots)
        lastUse = [Int](repeating: 0, count: Self.cacheSlots)
        cacheMasks = AlignedBuffer(count: words * Self.cacheSlots)
        matcher.start(into: &state)
    }

    /// Whether the text so far is a complete sentence.
    var isComplete: Bool { state.isAccepting }

    /// Whether the text is complete and the grammar allows nothing after it.
    var isFinished: Bool { state.count == 1 && state.isAccepting }

    /// The tokens the grammar allows next, as a bit mask over the vocabulary (valid until the
    /// next call); nil when none is.
    func allowedTokens() -> UnsafePointer<UInt64>? {
        let out = cachedMask()
        return isEmpty(out) ? nil : UnsafePointer(out)
    }

    /// Whether `token` (allowed by the grammar) still leaves a sentence reachable in `remaining`
    /// more tokens, at one code point a token: checked on each draw, so the cached masks serve
    /// until a draw would strand the text.
    func fits(_ token: TokenID, remaining: Int) -> Bool {
        if Int(token) < trie.pieces.count, trie.pieces[Int(token)].isEmpty { return state.isAccepting }  // an end token
        guard advanceSpare(by: token) else { return false }
        return matcher.minRemaining(spare) <= Int32(clamping: remaining)
    }

    /// The tokens allowed next that leave a sentence reachable in `remaining` more tokens after
    /// them (the whole grammar mask when none does: the text will be cut); nil when none is.
    func allowedTokens(within remaining: Int) -> UnsafePointer<UInt64>? {
        walk(budget: Int32(clamping: remaining), into: mask.pointer)
        if isEmpty(mask.pointer) { return allowedTokens() }
        return UnsafePointer(mask.pointer)
    }

    /// The mask for the current state from the cache (least recently used slot replaced),
    /// walked and stored on a miss.
    private func cachedMask() -> UnsafeMutablePointer<UInt64> {
        let hash = state.hash()
        clock += 1
        for slot in 0..<cacheUsed where cacheHashes[slot] == hash && cacheKeys[slot].equals(state) {
            cacheHits += 1
            lastUse[slot] = clock
            return cacheMasks.pointer + slot * words
        }
        var slot = cacheUsed
        if cacheUsed == Self.cacheSlots {
            slot = 0
            for s in 1..<Self.cacheSlots where lastUse[s] < lastUse[slot] { slot = s }
        } else {
            cacheUsed += 1
        }
        lastUse[slot] = clock
        cacheHashes[slot] = hash
        cacheKeys[slot].copy(from: state)
        walk(budget: nil, into: cacheMasks.pointer + slot * words)
        return cacheMasks.pointer + slot * words
    }

    /// Moves past `token`; false when the grammar refuses it (the state is then unchanged).
    @discardableResult
    func accept(_ token: TokenID) -> Bool {
        if trie.pieces[Int(token)].isEmpty { return trie.isEnd(token) && state.isAccepting }
        guard advanceSpare(by: token) else { return false }
        swap(&state, &spare)
        spareToken = -1
        return true
    }

    /// `spare` := the state after `token`'s bytes; false when the grammar refuses one. The
    /// drawn token's state, worked out by `fits`, serves `accept` as it is.
    private func advanceSpare(by token: TokenID) -> Bool {
        if spareToken == token { return true }
        spareToken = -1
        spare.copy(from: state)
        guard matcher.advance(&spare, bytes: trie.pieces[Int(token)], spare: &scratch) else { return false }
        spareToken = token
        return true
    }

    /// Fills `out` by walking the trie from the current state; with `budget`, a token is allowed
    /// only if at most `budget` code points (one token each at best) then complete a sentence.
    private func walk(budget: Int32?, into out: UnsafeMutablePointer<UInt64>) {
        walks += 1
        walkedNodes += walker.run(from: state, matcher: matcher, trie: trie, budget: budget, into: out, words: words)
    }

    private func isEmpty(_ m: UnsafeMutablePointer<UInt64>) -> Bool {
        for i in 0..<words where m[i] != 0 { return false }
        return true
    }
}
