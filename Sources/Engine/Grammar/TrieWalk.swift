import Memory

/// One walk of the token trie from a grammar state, marking the tokens the grammar allows.
/// Matcher states met during the walk are interned and their transitions memoized by byte: inside
/// a string almost every byte leads back to the same state, so most nodes cost one table lookup
/// instead of a matcher step. Storage is sized once; a walk that meets more states than the
/// table holds goes on without memoizing the rest.
final class TrieWalk {
    static let maxStates = 128
    private static let unknown: Int32 = -1, dead: Int32 = -2, unmemoized: Int32 = -3

    /// Interned states, their hashes, and the fewest code points completing each.
    private var states: [StackSet]
    private var hashes: [UInt64]
    private var needs: [Int32]
    private var stateCount = 0
    /// `transitions[s * 256 + byte]`: the state after `byte`, `dead`, or `unknown`.
    private let transitions: AlignedBuffer<Int32>
    /// Per trie depth: the state there (an index, or `unmemoized` when it is in `levels`).
    private var levelState: [Int32]
    private var levels: [StackSet]
    private var scratch = StackSet()

    init(maxDepth: Int) {
        states = (0..<Self.maxStates).map { _ in StackSet() }
        hashes = [UInt64](repeating: 0, count: Self.maxStates)
        needs = [Int32](repeating: 0, count: Self.maxStates)
        transitions = AlignedBuffer(count: Self.maxStates * 256)
        levelState = [Int32](repeating: 0, count: maxDepth + 1)
        levels = (0...maxDepth).map { _ in StackSet() }
    }

    /// Sets the bits of `out` (cleared first, `words` long) for every token of `trie` the grammar
    /// allows after `start`; with `budget`, only tokens after which at most `budget` code points
    /// complete a sentence. Returns the trie nodes visited.
    func run(from start: StackSet, matcher: GrammarMatcher, trie: TokenTrie, budget: Int32?,
                      into out: UnsafeMutablePointer<UInt64>, words: Int) -> Int {
        out.initialize(repeating: 0, count: words)
        if start.isAccepting { trie.markEndTokens(in: out) }
        stateCount = 0
        levelState[0] = intern(start, matcher: matcher)
        if levelState[0] == Self.unmemoized { levels[0].copy(from: start) }
        var visited = 0
        var node = 1
        let count = trie.nodeCount
        while node < count {
            let d = Int(trie.depth[node]), byte = trie.bytes[node]
            visited += 1
            let parent = levelState[d - 1]
            var next: Int32
            if parent >= 0 {
                next = transitions.pointer[Int(parent) * 256 + Int(byte)]
                if next == Self.unknown {
                    if matcher.advance(states[Int(parent)], byte: byte, into: &scratch) {
                        next = intern(scratch, matcher: matcher)
                        if next == Self.unmemoized { levels[d].copy(from: scratch) }
                    } else {
                        next = Self.dead
                    }
                    if next != Self.unmemoized { transitions.pointer[Int(parent) * 256 + Int(byte)] = next }
                }
            } else {
                let advanced = levels.withUnsafeMutableBufferPointer { lv in matcher.advance(lv[d - 1], byte: byte, into: &lv[d]) }
                next = advanced ? Self.unmemoized : Self.dead
            }
            guard next != Self.dead else {
                node = Int(trie.subtreeEnd[node])
                continue
            }
            levelState[d] = next
            let first = Int(trie.tokenStart[node]), last = Int(trie.tokenStart[node + 1])
            if first < last {
                var allowed = true
                if let budget { allowed = (next >= 0 ? needs[Int(next)] : matcher.minRemaining(levels[d])) <= budget }
                if allowed {
                    for i in first..<last {
                        let t = trie.tokens[i]
                        out[Int(t) >> 6] |= 1 << UInt64(t & 63)
                    }
                }
            }
            node += 1
        }
        return visited
    }

    /// The index of `set` among this walk's states (added if new), or `unmemoized` when the
    /// table is full.
    private func intern(_ set: StackSet, matcher: GrammarMatcher) -> Int32 {
        let h = set.hash()
        for i in 0..<stateCount where hashes[i] == h && states[i].equals(set) { return Int32(i) }
        guard stateCount < Self.maxStates else { return Self.unmemoized }
        let i = stateCount
        stateCount += 1
        states[i].copy(from: set)
        hashes[i] = h
        needs[i] = matcher.minRemaining(set)
        (transitions.pointer + i * 256).initialize(repeating: Self.unknown, count: 256)
        return Int32(i)
    }
}
