/// Splits text at the special tokens it spells, as llama.cpp's `tokenizer_st_partition` does
/// with `parse_special`: `"<s>Hi</s>"` becomes `[token <s>, text "Hi", token </s>]`.
///
/// The special tokens are the control, user-defined and unknown tokens (llama.cpp's
/// `cache_special_tokens`), plus tokens whose text llama.cpp treats as end-of-generation
/// (`<|im_end|>`, `<|eot_id|>`, ...), which it re-types as control whatever the file says.
///
/// llama.cpp takes the special tokens longest first and splits every remaining text
/// fragment at each token's leftmost non-overlapping occurrences, then goes on with the next
/// token in the fragments that are left. This type produces exactly that partition without
/// scanning the text once per special token: one pass over the text with a trie finds which
/// special tokens occur and where; only those are then applied, in llama.cpp's order.
/// (llama.cpp's per-model LSTRIP/RSTRIP attributes, which GGUF does not store, are not
/// modelled.)
struct SpecialTokenPartitioner: Sendable {
    /// A piece of the partitioned text.
    enum Fragment: Equatable {
        /// Bytes of the input to encode as ordinary text.
        case text(Range<Int>)
        case token(TokenID)
    }

    /// Special tokens in llama.cpp's order: longer texts first, then lower ids.
    private let ids: [TokenID]
    /// Byte length of each, by rank.
    private let lengths: [Int]
    /// The trie over the special texts' bytes: node 0 is the root.
    /// Per node: the rank of the special token ending there, -1 if none.
    private let terminal: [Int32]
    /// Per node: its children's edges, `edgeStart[n]..<edgeStart[n + 1]` in `edgeBytes` and
    /// `edgeTargets`, sorted by byte.
    private let edgeStart: [Int32]
    private let edgeBytes: [UInt8]
    private let edgeTargets: [Int32]
    /// The root's child for each first byte, -1 for none (the common case: one table lookup
    /// per text byte rejects most positions).
    private let rootChild: [Int32]

    /// Per token: whether it is special.
    private let isSpecial: [Bool]

    /// Whether the vocabulary has any special token (when not, partitioning is the identity).
    var isEmpty: Bool { ids.isEmpty }

    /// Whether `token` is one of the special tokens.
    func contains(_ token: TokenID) -> Bool {
        token >= 0 && Int(token) < isSpecial.count && isSpecial[Int(token)]
    }

    /// With `userDefinedOnly`, only the user-defined tokens that llama.cpp does not re-type
    /// as control: those it splits out even without `parse_special` (Hugging Face's added
    /// tokens that are not special), such as Gemma's runs of newlines and spaces.
    init(vocabulary: Vocabulary, userDefinedOnly: Bool = false) {
        var specials: [(id: TokenID, bytes: [UInt8])] = []
        for (id, text) in vocabulary.tokens.enumerated() {
            let isSpecial: Bool
            switch vocabulary.types[id] {
            case .userDefined: isSpecial = !userDefinedOnly || !Vocabulary.endOfGenerationTexts.contains(text)
            case .control, .unknown: isSpecial = !userDefinedOnly
            default: isSpecial = !userDefinedOnly && Vocabulary.endOfGenerationTexts.contains(text)
            }
            if isSpecial { specials.append((TokenID(id), Array(text.utf8))) }
        }
        specials.sort { $0.bytes.count != $1.bytes.count ? $0.bytes.count > $1.bytes.count : $0.id < $1.id }
        var isSpecial = [Bool](repeating: false, count: vocabulary.count)
        for special in specials { isSpecial[Int(special.id)] = true }
        self.isSpecial = isSpecial
        ids = specials.map(\.id)
        lengths = specials.map(\.bytes.count)

        // Build with per-node dictionaries, then flatten.
        var children: [[UInt8: Int32]] = [[:]]
        var terminal: [Int32] = [-1]
        for (rank, special) in specials.enumerated() {
            var node = 0
            for b in special.bytes {
                if let next = children[node][b] {
                    node = Int(next)
                } else {
                    children.append([:])
                    terminal.append(-1)
                    children[node][b] = Int32(children.count - 1)
                    node = children.count - 1
                }
            }
            if terminal[node] < 0 { terminal[node] = Int32(rank) }
        }
        var edgeStart: [Int32] = [0]
        var edgeBytes: [UInt8] = []
        var edgeTargets: [Int32] = []
        for node in children.indices {
            for (b, target) in children[node].sorted(by: { $0.key < $1.key }) {
                edgeBytes.append(b)
                edgeTargets.append(target)
            }
            edgeStart.append(Int32(edgeBytes.count))
        }
        var rootChild = [Int32](repeating: -1, count: 256)
        for (b, target) in children[0] { rootChild[Int(b)] = target }
        self.terminal = terminal
        self.edgeStart = edgeStart
        self.edgeBytes = edgeBytes
        self.edgeTargets = edgeTargets
        self.rootChild = rootChild
    }

    /// The partition of `text`: text ranges (never empty) and special tokens, in order,
    /// covering it. Empty text gives no fragments.
    /// - Complexity: O(n · d + k · n) for n bytes, d the deepest trie walk (bounded by the
    ///   longest special text, and in practice a byte or two), k the distinct special tokens
    ///   that occur.
    func partition(_ text: UnsafeBufferPointer<UInt8>) -> [Fragment] {
        guard !text.isEmpty else { return [] }
        let occurrences = findOccurrences(in: text)
        guard !occurrences.isEmpty else { return [.text(0..<text.count)] }

        var fragments: [Fragment] = [.text(0..<text.count)]
        var next: [Fragment] = []
        for (rank, starts) in occurrences.sorted(by: { $0.key < $1.key }) {
            let length = lengths[rank]
            let id = ids[rank]
            next.removeAll(keepingCapacity: true)
            var k = 0
            for fragment in fragments {
                guard case .text(let range) = fragment else {
                    next.append(fragment)
                    continue
                }
                // Leftmost non-overlapping occurrences that lie wholly in this fragment.
                var cursor = range.lowerBound
                while k < starts.count, starts[k] < range.lowerBound { k += 1 }
                var j = k
                while j < starts.count, starts[j] + length <= range.upperBound {
                    let start = starts[j]
                    j += 1
                    guard start >= cursor else { continue }
                    if start > cursor { next.append(.text(cursor..<start)) }
                    next.append(.token(id))
                    cursor = start + length
                }
                if cursor < range.upperBound { next.append(.text(cursor..<range.upperBound)) }
                k = j
            }
            swap(&fragments, &next)
        }
        return fragments
    }

    /// Every position where each special token occurs (overlaps included), by rank.
    private func findOccurrences(in text: UnsafeBufferPointer<UInt8>) -> [Int: [Int]] {
        var found: [Int: [Int]] = [:]
        for start in 0..<text.count {
            var node = Int(rootChild[Int(text[start])])
            var i = start &+ 1
            while node >= 0 {
                let rank = terminal[node]
                if rank >= 0 { found[Int(rank), default: []].append(start) }
                guard i < text.count else { break }
                node = child(of: node, byte: text[i])
                i &+= 1
            }
        }
        return found
    }

    /// The child of `node` along `byte`, -1 for none.
    @inline(__always)
    private func child(of node: Int, byte: UInt8) -> Int {
        var e = Int(edgeStart[node])
        let end = Int(edgeStart[node &+ 1])
        while e < end {
            let b = edgeBytes[e]
            if b == byte { return Int(edgeTargets[e]) }
            if b > byte { return -1 }
            e &+= 1
        }
        return -1
    }
}
