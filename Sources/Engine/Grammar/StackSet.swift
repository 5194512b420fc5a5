/// The matcher's state: every way the grammar can continue, each a stack of positions in
/// `Grammar.elements` (the top is a character set to match next; the entries below are where to
/// resume when the alternative above ends). An empty stack means the text so far is complete.
/// Storage is kept between uses (counts reset, elements overwritten): it grows only when a set
/// outgrows it, never in steady state.
struct StackSet {
    /// Stacks back to back in `entries[0..<entryCount]`; stack i is `entries[starts[i]..<starts[i + 1]]`.
    private(set) var entries: [Int32]
    private(set) var entryCount = 0
    private(set) var starts: [Int32]
    /// Stacks held (`starts` has one more element in use).
    private(set) var count = 0
    /// A code point begun by earlier bytes: its length and bits so far, and how many bytes it still needs.
    var partial: UInt32 = 0
    var partialRemaining: UInt8 = 0
    /// Stacks a set holds at most: a grammar ambiguous beyond it loses the extra ways to continue
    /// (stricter, never looser).
    static let maxStacks = 512

    init(capacity: Int = 256) {
        entries = [Int32](repeating: 0, count: capacity)
        starts = [Int32](repeating: 0, count: 65)
    }

    var isEmpty: Bool { count == 0 }

    mutating func removeAll() {
        entryCount = 0
        count = 0
        partial = 0
        partialRemaining = 0
    }

    mutating func copy(from other: StackSet) {
        if entries.count < other.entryCount { entries += [Int32](repeating: 0, count: other.entryCount - entries.count) }
        if starts.count < other.count + 1 { starts += [Int32](repeating: 0, count: other.count + 1 - starts.count) }
        entries.withUnsafeMutableBufferPointer { to in
            other.entries.withUnsafeBufferPointer { from in
                for i in 0..<other.entryCount { to[i] = from[i] }
            }
        }
        starts.withUnsafeMutableBufferPointer { to in
            other.starts.withUnsafeBufferPointer { from in
                for i in 0...other.count { to[i] = from[i] }
            }
        }
        entryCount = other.entryCount
        count = other.count
        partial = other.partial
        partialRemaining = other.partialRemaining
    }

    /// Adds `stack` unless an equal one is there.
    mutating func add(_ stack: UnsafeBufferPointer<Int32>) {
        let duplicate = entries.withUnsafeBufferPointer { e in
            starts.withUnsafeBufferPointer { s in
                var i = 0
                while i < count {
                    let lower = Int(s[i]), upper = Int(s[i + 1])
                    if upper - lower == stack.count {
                        var j = 0
                        while j < stack.count, e[lower + j] == stack[j] { j += 1 }
                        if j == stack.count { return true }
                    }
                    i += 1
                }
                return false
            }
        }
        if duplicate { return }
        guard count < Self.maxStacks else { return }
        if entries.count < entryCount + stack.count { entries += [Int32](repeating: 0, count: max(entries.count, stack.count)) }
        if starts.count < count + 2 { starts += [Int32](repeating: 0, count: starts.count) }
        entries.withUnsafeMutableBufferPointer { e in
            for j in 0..<stack.count { e[entryCount + j] = stack[j] }
        }
        entryCount += stack.count
        count += 1
        starts[count] = Int32(entryCount)
    }

    /// Whether one stack is empty: the text so far is a whole sentence.
    var isAccepting: Bool {
        guard partialRemaining == 0 else { return false }
        for i in 0..<count where starts[i] == starts[i + 1] { return true }
        return false
    }

    /// A 64-bit hash of the whole state (for the mask cache).
    func hash() -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(partial) ^ (UInt64(partialRemaining) << 40)
        for i in 0..<entryCount { h = (h ^ UInt64(UInt32(bitPattern: entries[i]))) &* 0x100_0000_01b3 }
        for i in 0...count { h = (h ^ UInt64(UInt32(bitPattern: starts[i])) ^ 0x9e37_79b9) &* 0x100_0000_01b3 }
        return h
    }

    /// Whether `other` is the same state.
    func equals(_ other: StackSet) -> Bool {
        guard partial == other.partial, partialRemaining == other.partialRemaining, entryCount == other.entryCount,
              count == other.count else { return false }
        for i in 0..<entryCount where entries[i] != other.entries[i] { return false }
        for i in 0...count where starts[i] != other.starts[i] { return false }
        return true
    }
}
