/// Token texts by their UTF-8 bytes: an open-addressing hash table over one contiguous byte
/// store, so a lookup hashes a borrowed byte range and never builds a `String`. Keys compare
/// byte for byte (a `Dictionary<String, _>` would treat canonically equivalent texts, such
/// as precomposed `é` and `e` + U+0301, as one key).
struct PieceIndex: Sendable {
    /// All indexed texts, back to back.
    private let bytes: [UInt8]
    /// Per entry: start in `bytes`, length, token id.
    private let starts: [Int]
    private let lengths: [Int]
    private let ids: [TokenID]
    /// Entry index per slot, -1 when empty; the count is a power of two at least twice the entries.
    private let slots: [Int32]
    private let mask: Int

    /// Indexes the tokens for which `include(id)` is true. When two texts are equal the
    /// first id wins (`Vocabulary` rejects duplicates, so this does not arise in practice).
    init(tokens: [String], include: (Int) -> Bool = { _ in true }) {
        var bytes: [UInt8] = []
        var starts: [Int] = []
        var lengths: [Int] = []
        var ids: [TokenID] = []
        for (id, text) in tokens.enumerated() where include(id) {
            starts.append(bytes.count)
            bytes.append(contentsOf: text.utf8)
            lengths.append(bytes.count - starts[starts.count - 1])
            ids.append(TokenID(id))
        }
        var capacity = 16
        while capacity < ids.count * 2 { capacity <<= 1 }
        var slots = [Int32](repeating: -1, count: capacity)
        let mask = capacity - 1
        bytes.withUnsafeBufferPointer { all in
            for entry in 0..<ids.count {
                let key = UnsafeBufferPointer(rebasing: all[starts[entry]..<(starts[entry] + lengths[entry])])
                var slot = PieceIndex.hash(key) & mask
                while slots[slot] >= 0 {
                    let other = Int(slots[slot])
                    if PieceIndex.equal(key, UnsafeBufferPointer(rebasing: all[starts[other]..<(starts[other] + lengths[other])])) {
                        break
                    }
                    slot = (slot &+ 1) & mask
                }
                if slots[slot] < 0 { slots[slot] = Int32(entry) }
            }
        }
        self.bytes = bytes
        self.starts = starts
        self.lengths = lengths
        self.ids = ids
        self.slots = slots
        self.mask = mask
    }

    /// The id of the indexed token whose text is exactly `key`.
    /// - Complexity: O(key.count) expected.
    func lookup(_ key: UnsafeBufferPointer<UInt8>) -> TokenID? {
        bytes.withUnsafeBufferPointer { all in
            var slot = PieceIndex.hash(key) & mask
            while true {
                let entry = Int(slots[slot])
                if entry < 0 { return nil }
                if lengths[entry] == key.count,
                   PieceIndex.equal(key, UnsafeBufferPointer(rebasing: all[starts[entry]..<(starts[entry] + key.count)])) {
                    return ids[entry]
                }
                slot = (slot &+ 1) & mask
            }
        }
    }

    /// The id of the indexed token whose text is `text`.
    func lookup(_ text: String) -> TokenID? {
        var text = text
        return text.withUTF8 { lookup($0) }
    }

    /// The id of the indexed token whose text is these bytes.
    func lookup(_ key: [UInt8]) -> TokenID? {
        key.withUnsafeBufferPointer { lookup($0) }
    }

    /// The first text that repeats an earlier one byte for byte, if any.
    static func firstDuplicate(in tokens: [String]) -> String? {
        let index = PieceIndex(tokens: tokens)
        for (id, text) in tokens.enumerated() where index.lookup(text) != TokenID(id) {
            return text
        }
        return nil
    }

    /// FNV-1a with a final avalanche (the low bits pick the slot).
    private static func hash(_ key: UnsafeBufferPointer<UInt8>) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key {
            h = (h ^ UInt64(b)) &* 0x100_0000_01b3
        }
        h ^= h >> 29
        h = h &* 0xbf58_476d_1ce4_e5b9
        h ^= h >> 32
        return Int(truncatingIfNeeded: h)
    }

    private static func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        for i in 0..<a.count where a[i] != b[i] { return false }
        return true
    }
}
