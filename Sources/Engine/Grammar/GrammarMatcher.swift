/// Matches text against a `Grammar` one byte at a time (UTF-8 decoded to code points), keeping
/// every way the grammar can continue (`StackSet`). Knows, for any state, the fewest code points
/// that complete a sentence (so a token budget can be honoured).
struct GrammarMatcher {
    let grammar: Grammar
    /// Per element position: the fewest code points that finish its alternative from there.
    private let minTail: [Int32]
    /// The stack being built during expansion (a prefix shared by recursive calls).
    private var scratch: [Int32]

    static let unreachable = Int32.max / 4

    init(_ grammar: Grammar) {
        self.grammar = grammar
        self.minTail = Self.minimalTails(grammar)
        self.scratch = [Int32](repeating: 0, count: 1024)
    }

    /// The state before any text.
    mutating func start(into set: inout StackSet) {
        set.removeAll()
        for alternative in grammar.alternatives[0] { expand(into: &set, depth: 0, position: alternative) }
    }

    /// Feeds one byte; false (and `next` undefined) when no continuation accepts it.
    mutating func advance(_ set: borrowing StackSet, byte: UInt8, into next: inout StackSet) -> Bool {
        // `partial` holds the sequence's length in bits 24...26 above the bits read so far.
        var scalar: UInt32
        var remaining: UInt8
        var length: UInt32
        if set.partialRemaining > 0 {
            guard byte & 0xC0 == 0x80 else { return false }
            length = set.partial >> 24
            scalar = (set.partial & 0xFF_FFFF) << 6 | UInt32(byte & 0x3F)
            remaining = set.partialRemaining - 1
        } else if byte < 0x80 {
            (scalar, remaining, length) = (UInt32(byte), 0, 1)
        } else if byte & 0xE0 == 0xC0, byte >= 0xC2 {
            (scalar, remaining, length) = (UInt32(byte & 0x1F), 1, 2)
        } else if byte & 0xF0 == 0xE0 {
            (scalar, remaining, length) = (UInt32(byte & 0x0F), 2, 3)
        } else if byte & 0xF8 == 0xF0, byte <= 0xF4 {
            (scalar, remaining, length) = (UInt32(byte & 0x07), 3, 4)
        } else {
            return false
        }
        // The smallest code point each length may encode (shorter forms are overlong).
        let smallest: UInt32 = length == 4 ? 0x10000 : length == 3 ? 0x800 : length == 2 ? 0x80 : 0
        if remaining > 0 {
            // Not a whole code point yet: keep the stacks if some character set can still take
            // a code point with this prefix (so no token leads into a dead end).
            let shift = 6 * UInt32(remaining)
            let low = max(scalar << shift, smallest), high = min(scalar << shift | ((1 << shift) - 1), 0x10FFFF)
            guard low <= high, mayMatch(set, low, high) else { return false }
            next.copy(from: set)
            next.partial = length << 24 | scalar
            next.partialRemaining = remaining
            return true
        }
        guard scalar >= smallest, scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar) else { return false }
        next.removeAll()
        for i in 0..<set.count {
            let b = set.bounds(i)
            guard !b.isEmpty else { continue }
            let top = set.entries[b.upperBound - 1]
            guard grammar.matches(top, scalar) else { continue }
            let depth = b.count - 1
            if scratch.count < depth + 64 { scratch += [Int32](repeating: 0, count: depth + 64) }
            for j in 0..<depth { scratch[j] = set.entries[b.lowerBound + j] }
            expand(into: &next, depth: depth, position: top + 1)
        }
        return !next.isEmpty
    }

    /// Feeds a whole byte string; false when some byte is refused.
    mutating func advance(_ set: inout StackSet, bytes: some Sequence<UInt8>, spare: inout StackSet) -> Bool {
        for byte in bytes {
            guard advance(set, byte: byte, into: &spare) else { return false }
            swap(&set, &spare)
        }
        return true
    }

    /// The fewest code points that complete a sentence from `set` (`unreachable` if none can).
    func minRemaining(_ set: borrowing StackSet) -> Int32 {
        var best = Self.unreachable
        for i in 0..<set.count {
            var total: Int32 = 0
            for j in set.bounds(i) { total += minTail[Int(set.entries[j])] }
            best = min(best, total)
        }
        return set.partialRemaining > 0 ? best : best  // the pending code point is inside the top's count
    }

    // MARK: - Expansion

    /// Adds to `set` every stack `scratch[0..<depth] + [position]` becomes once rule references
    /// are entered and finished alternatives return, so that each top is a character set (or the
    /// stack is empty).
    private mutating func expand(into set: inout StackSet, depth: Int, position: Int32) {
        let e = grammar.elements[Int(position)]
        switch e.kind {
        case .chars, .negatedChars:
            if scratch.count <= depth { scratch += [Int32](repeating: 0, count: depth + 64) }
            scratch[depth] = position
            scratch.withUnsafeBufferPointer { set.add(UnsafeBufferPointer(rebasing: $0[0...depth])) }
        case .end:
            if depth == 0 {
                set.add(UnsafeBufferPointer(start: nil, count: 0))
            } else {
                // Return to the entry below; restore it after, for the caller's other alternatives.
                let saved = scratch[depth - 1]
                expand(into: &set, depth: depth - 1, position: saved)
                scratch[depth - 1] = saved
            }
        case .rule:
            // A reference last in its alternative leaves no return entry (a tail call), so
            // right recursion (repetition) keeps the stack flat.
            var d = depth
            if grammar.elements[Int(position) + 1].kind != .end {
                if scratch.count <= d { scratch += [Int32](repeating: 0, count: d + 64) }
                scratch[d] = position + 1
                d += 1
            }
            for alternative in grammar.alternatives[Int(e.a)] { expand(into: &set, depth: d, position: alternative) }
        }
    }

    /// Whether some stack's top could match a code point in `low...high`.
    private func mayMatch(_ set: borrowing StackSet, _ low: UInt32, _ high: UInt32) -> Bool {
        for i in 0..<set.count {
            let b = set.bounds(i)
            guard !b.isEmpty else { continue }
            let e = grammar.elements[Int(set.entries[b.upperBound - 1])]
            var covered = false, overlaps = false
            for r in Int(e.a)..<Int(e.b) {
                let range = grammar.ranges[r]
                if range.lowerBound <= high && low <= range.upperBound { overlaps = true }
                if range.lowerBound <= low && high <= range.upperBound { covered = true }
            }
            if e.kind == .chars ? overlaps : !covered { return true }
        }
        return false
    }

    /// `minTail` for every position: a fixed point, since rules may recurse.
    private static func minimalTails(_ g: Grammar) -> [Int32] {
        var rule = [Int32](repeating: unreachable, count: g.alternatives.count)
        var tail = [Int32](repeating: unreachable, count: g.elements.count)
        var changed = true
        while changed {
            changed = false
            for r in 0..<g.alternatives.count {
                for start in g.alternatives[r] {
                    // Tails of this alternative, back to front.
                    var end = Int(start)
                    while g.elements[end].kind != .end { end += 1 }
                    var t: Int32 = 0
                    tail[end] = 0
                    var p = end - 1
                    while p >= Int(start) {
                        let e = g.elements[p]
                        t = min(unreachable, t + (e.kind == .rule ? rule[Int(e.a)] : 1))
                        if t < tail[p] { tail[p] = t; changed = true }
                        p -= 1
                    }
                    if t < rule[r] { rule[r] = t; changed = true }
                }
            }
        }
        return tail
    }
}

extension Grammar {
    /// Whether `text` is a whole sentence of the grammar.
    public func accepts(_ text: String) -> Bool {
        var matcher = GrammarMatcher(self)
        var set = StackSet(), spare = StackSet()
        matcher.start(into: &set)
        return matcher.advance(&set, bytes: text.utf8, spare: &spare) && set.isAccepting
    }

    /// Whether `text` can begin a sentence of the grammar.
    public func acceptsPrefix(_ text: String) -> Bool {
        var matcher = GrammarMatcher(self)
        var set = StackSet(), spare = StackSet()
        matcher.start(into: &set)
        return matcher.advance(&set, bytes: text.utf8, spare: &spare)
    }
}
