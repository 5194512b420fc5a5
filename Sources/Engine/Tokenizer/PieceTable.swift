/// The decoded bytes of every token, computed once by a `PieceDecoder` and stored back to
/// back, so decoding a token is a slice, not a string operation.
struct PieceTable: Sendable {
    /// All pieces, back to back.
    private let bytes: [UInt8]
    /// Start of token i's piece; `count + 1` entries.
    private let offsets: [Int]

    init(vocabulary: Vocabulary, decoder: some PieceDecoder) {
        var bytes: [UInt8] = []
        var offsets: [Int] = [0]
        offsets.reserveCapacity(vocabulary.count + 1)
        for token in 0..<vocabulary.count {
            bytes.append(contentsOf: decoder.bytes(of: token, in: vocabulary))
            offsets.append(bytes.count)
        }
        self.bytes = bytes
        self.offsets = offsets
    }

    /// Lends token's bytes (empty for ids outside the vocabulary). Must not escape `body`.
    func withPiece<R>(_ token: TokenID, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let t = Int(token)
        guard t >= 0, t + 1 < offsets.count else { return body(UnsafeBufferPointer(start: nil, count: 0)) }
        return bytes.withUnsafeBufferPointer { all in
            body(UnsafeBufferPointer(rebasing: all[offsets[t]..<offsets[t + 1]]))
        }
    }
}
