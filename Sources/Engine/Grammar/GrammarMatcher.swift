/// Matches text against a `Grammar` one byte at a time (UTF-8 decoded to code points), keeping
/// every way the grammar can continue (`StackSet`). Knows, for any state, the fewest code points
/// that complete a sentence (so a token budget can be honoured).
final class GrammarMatcher {
    let grammar: Grammar
    /// Per element position: the fewest code points that finish its alternative from there.
    private let minTail: [Int32]
    /// The stack being built during expansion (a prefix shared by recursive calls), and its room.
    private var scratch: UnsafeMutablePointer<Int32>
    private var scratchCount = 1024

    static let unreachable = Int32.max / 4

    init(_ grammar: Grammar) {
        self.grammar = grammar
        self.minTail = Self.minimalTails(grammar)
        self.scratch = .allocate(capacity: scratchCount)
    }

    deinit { scratch.deallocate() }

    /// Makes `scratch` hold at least `count` entries (rare: only deeper nesting than seen before).
    private func reserveScratch(_ count: Int) {
        guard count > scratchCount else { return }
        let bigger = UnsafeMutablePointer<Int32>.allocate(capacity: count * 2)
        bigger.update(from: scratch, count: scratchCount)
        scratch.deallocate()
        scratch = bigger
        scratchCount = count * 2
    }

    /// The state before any text.
    func start(into set: inout StackSet) {
        set.removeAll()
        var k = 0
        while k < grammar.alternatives[0].count {
            expand(into: &set, depth: 0, position: grammar.alternatives[0][k])
            k += 1
        }
    }

    /// Feeds one byte; false (and `next` undefined) when no continuation accepts it.
    func advance(_ set: borrowing StackSet, byte: UInt8, into next: inout StackSet) -> Bool {
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
        guard scalar >= smallest, scalar <= 0x10FFFF, scalar < 0xD800 || scalar > 0xDFFF else { return false }
        next.removeAll()
        for i in 0..<set.count {
            let lower = Int(set.starts[i]), upper = Int(set.starts[i + 1])
            guard upper > lower else { continue }
            let top = set.entries[upper - 1]
            guard grammar.matches(top, scalar) else { continue }
            let depth = upper - lower - 1
            reserveScratch(depth + 1)
            for j in 0..<depth { scratch[j] = set.entries[lower + j] }
            expand(into: &next, depth: depth, position: top + 1)
        }
        return !next.isEmpty
    }

    /// Feeds a whole byte string; false when some byte is refused.
    /// (An index loop: iterating an array allocates in debug builds, and this runs every step.)
    func advance(_ set: inout StackSet, bytes: [UInt8], spare: inout StackSet) -> Bool {
        var i = 0
        while i < bytes.count {
            guard advance(set, byte: bytes[i], into: &spare) else { return false }
            swap(&set, &spare)
            i += 1
        }
        return true
    }

    /// The fewest code points that complete a sentence from `set` (`unreachable` if none can).
    func minRemaining(_ set: borrowing StackSet) -> Int32 {
        // (A pending partial code point is counted in its top's tail.)
        var best = Self.unreachable
        for i in 0..<set.count {
            var total: Int32 = 0
            var j = Int(set.starts[i])
            while j < Int(set.starts[i + 1]) {
                total += minTail[Int(set.entries[j])]
                j += 1
            }
            if total < best { best = total }
        }
        return best
    }

    // MARK: - Expansion

    /// Adds to `set` every stack `scratch[0..<depth] + [position]` becomes once rule references
    /// are entered and finished alternatives return, so that each top is a character set (or the
    /// stack is empty).
    private func expand(into set: inout StackSet, depth: Int, position: Int32) {
        let e = grammar.elements[Int(position)]
        switch e.kind {
        case .chars, .negatedChars:
            reserveScratch(depth + 1)
            scratch[depth] = position
            set.add(UnsafeBufferPointer(start: scratch, count: depth + 1))
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
            // right recursion (repetition) keeps the stack flat. (Index loops: iterating an
            // array allocates in debug builds, and this runs for every byte of a walk.)
            var d = depth
            if grammar.elements[Int(position) + 1].kind != .end {
                reserveScratch(d + 1)
                scratch[d] = position + 1
                d += 1
            }
            let rule = Int(e.a)
            var k = 0
            while k < grammar.alternatives[rule].count {
                expand(into: &set, depth: d, position: grammar.alternatives[rule][k])
                k += 1
            }
        }
    }

    /// Whether some stack's top could match a code point in `low...high`.
    private func mayMatch(_ set: borrowing StackSet, _ low: UInt32, _ high: UInt32) -> Bool {
        for i in 0..<set.count {
            let upper = Int(set.starts[i + 1])
            guard upper > Int(set.starts[i]) else { continue }
            let e = grammar.elements[Int(set.entries[upper - 1])]
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
        let matcher = GrammarMatcher(self)
        var set = StackSet(), spare = StackSet()
        matcher.start(into: &set)
        return matcher.advance(&set, bytes: Array(text.utf8), spare: &spare) && set.isAccepting
    }

    /// Whether `text` can begin a sentence of the grammar.
    public func acceptsPrefix(_ text: String) -> Bool {
        let matcher = GrammarMatcher(self)
        var set = StackSet(), spare = StackSet()
        matcher.start(into: &set)
        return matcher.advance(&set, bytes: Array(text.utf8), spare: &spare)
    }
}
