/// The matcher's state: every way the grammar can continue, each a stack of positions in
/// `Grammar.elements` (the top is a character set to match next; the entries below are where to
/// resume when the alternative above ends). An empty stack means the text so far is complete.
/// Storage grows only when a set outgrows it (never in steady state).
struct StackSet {
    /// Stacks back to back; stack i is `entries[starts[i]..<starts[i + 1]]`.
    private(set) var entries: [Int32] = []
    private(set) var starts: [Int32] = [0]
    /// A code point begun by earlier bytes: its bits so far and how many bytes it still needs.
    var partial: UInt32 = 0
    var partialRemaining: UInt8 = 0
    /// Set when a grammar's ambiguity produced more stacks than `maxStacks` (some were dropped).
    var overflowed = false

    static let maxStacks = 512

    init(capacity: Int = 256) {
        entries.reserveCapacity(capacity)
        starts.reserveCapacity(64)
    }

    var count: Int { starts.count - 1 }
    var isEmpty: Bool { starts.count == 1 }

    mutating func removeAll() {
        entries.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        starts.append(0)
        partial = 0
        partialRemaining = 0
        overflowed = false
    }

    mutating func copy(from other: StackSet) {
        entries.removeAll(keepingCapacity: true)
        entries.append(contentsOf: other.entries)
        starts.removeAll(keepingCapacity: true)
        starts.append(contentsOf: other.starts)
        partial = other.partial
        partialRemaining = other.partialRemaining
        overflowed = other.overflowed
    }

    @inline(__always) func bounds(_ i: Int) -> Range<Int> { Int(starts[i])..<Int(starts[i + 1]) }

    /// Adds `stack` unless an equal one is there.
    mutating func add(_ stack: UnsafeBufferPointer<Int32>) {
        var i = 0
        while i < count {
            let b = bounds(i)
            if b.count == stack.count {
                var same = true
                var j = 0
                while j < stack.count {
                    if entries[b.lowerBound + j] != stack[j] { same = false; break }
                    j += 1
                }
                if same { return }
            }
            i += 1
        }
        guard count < Self.maxStacks else {
            overflowed = true
            return
        }
        entries.append(contentsOf: stack)
        starts.append(Int32(entries.count))
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
        for e in entries { h = (h ^ UInt64(UInt32(bitPattern: e))) &* 0x100_0000_01b3 }
        for s in starts { h = (h ^ UInt64(UInt32(bitPattern: s)) ^ 0x9e37_79b9) &* 0x100_0000_01b3 }
        return h
    }

    /// Whether `other` is the same state.
    func equals(_ other: StackSet) -> Bool {
        partial == other.partial && partialRemaining == other.partialRemaining && entries == other.entries && starts == other.starts
    }
}
