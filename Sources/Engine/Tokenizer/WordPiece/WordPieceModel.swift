/// WordPiece (Hugging Face `WordPiece` model): each word becomes the longest vocabulary entries
/// that cover it from the left, pieces after the first carrying the continuation prefix (`##`);
/// a word with an uncoverable part, or longer than `maxInputCharacters`, is one unknown token.
///
/// Pieces are looked up by their UTF-8 bytes (as Hugging Face compares them: `e` + U+0301 is not
/// `é`) through a hash of the bytes, without building a string per candidate; candidates are
/// never longer than the longest entry. A word of w characters costs O(w * longest entry).
struct WordPieceModel: TokenizationModel {
    let table: PieceBytesTable
    let unknown: TokenID
    let continuationPrefix: [UInt8]
    let maxInputCharacters: Int

    init(table: PieceBytesTable, unknown: TokenID, continuationPrefix: String, maxInputCharacters: Int) {
        self.table = table
        self.unknown = unknown
        self.continuationPrefix = Array(continuationPrefix.utf8)
        self.maxInputCharacters = maxInputCharacters
    }

    func encode(_ text: UnsafeBufferPointer<UInt8>, words: [Range<Int>], into output: inout [TokenID]) {
        var candidate: [UInt8] = []
        var boundaries: [Int] = []
        var pieces: [TokenID] = []
        for word in words {
            encodeWord(UnsafeBufferPointer(rebasing: text[word]), candidate: &candidate, boundaries: &boundaries,
                       pieces: &pieces, into: &output)
        }
    }

    /// One word's pieces; `candidate`, `boundaries` and `pieces` are scratch shared across words.
    func encodeWord(_ word: UnsafeBufferPointer<UInt8>, candidate: inout [UInt8], boundaries: inout [Int],
                    pieces: inout [TokenID], into output: inout [TokenID]) {
        // Character (scalar) boundaries: a piece starts and ends on one.
        boundaries.removeAll(keepingCapacity: true)
        for (offset, byte) in word.enumerated() where byte & 0xC0 != 0x80 { boundaries.append(offset) }
        guard boundaries.count <= maxInputCharacters else {
            output.append(unknown)
            return
        }
        boundaries.append(word.count)
        pieces.removeAll(keepingCapacity: true)
        var start = 0  // index into boundaries
        while start < boundaries.count - 1 {
            let prefix = start > 0 ? continuationPrefix : []
            let from = boundaries[start]
            candidate.removeAll(keepingCapacity: true)
            candidate.append(contentsOf: prefix)
            candidate.append(contentsOf: UnsafeBufferPointer(rebasing: word[from..<min(word.count, from + table.longest)]))
            var end = boundaries.count - 1
            var found: TokenID? = nil
            while end > start {
                let length = boundaries[end] - from
                if length <= table.longest, let id = candidate.withUnsafeBufferPointer({
                    table.lookup(UnsafeBufferPointer(rebasing: $0[0..<(prefix.count + length)]))
                }) {
                    found = id
                    break
                }
                end -= 1
            }
            guard let id = found else {
                output.append(unknown)
                return
            }
            pieces.append(id)
            start = end
        }
        output.append(contentsOf: pieces)
    }
}

/// Byte strings to ids: an open hash table of FNV-1a hashes, each hit verified against the
/// stored bytes.
struct PieceBytesTable: Sendable {
    /// [capacity] id + 1 of the entry in each slot, 0 for empty.
    private let slots: [Int32]
    private let hashes: [UInt64]
    /// Entry bytes, back to back, and where each entry's bytes start and end.
    private let bytes: [UInt8]
    private let ranges: [Range<Int32>]
    private let ids: [TokenID]
    private let mask: Int
    /// Bytes of the longest entry.
    let longest: Int

    init(_ entries: [([UInt8], TokenID)]) {
        var capacity = 16
        while capacity < entries.count * 2 { capacity *= 2 }
        var slots = [Int32](repeating: 0, count: capacity)
        var hashes = [UInt64](repeating: 0, count: capacity)
        var bytes: [UInt8] = []
        var ranges: [Range<Int32>] = []
        var ids: [TokenID] = []
        var longest = 0
        for (piece, id) in entries {
            let hash = piece.withUnsafeBufferPointer(Self.hash)
            var slot = Int(truncatingIfNeeded: hash) & (capacity - 1)
            while slots[slot] != 0 { slot = (slot + 1) & (capacity - 1) }
            ranges.append(Int32(bytes.count)..<Int32(bytes.count + piece.count))
            bytes += piece
            ids.append(id)
            slots[slot] = Int32(ids.count)
            hashes[slot] = hash
            longest = max(longest, piece.count)
        }
        self.slots = slots
        self.hashes = hashes
        self.bytes = bytes
        self.ranges = ranges
        self.ids = ids
        self.mask = capacity - 1
        self.longest = longest
    }

    /// The id of the entry spelled exactly `key`, if any.
    func lookup(_ key: UnsafeBufferPointer<UInt8>) -> TokenID? {
        let hash = Self.hash(key)
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 {
            if hashes[slot] == hash {
                let entry = Int(slots[slot]) - 1
                let range = ranges[entry]
                if range.count == key.count, bytes[Int(range.lowerBound)..<Int(range.upperBound)].elementsEqual(key) {
                    return ids[entry]
                }
            }
            slot = (slot + 1) & mask
        }
        return nil
    }

    static func hash(_ key: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key {
            h ^= UInt64(byte)
            h &*= 0x100_0000_01b3
        }
        return h
    }
}
