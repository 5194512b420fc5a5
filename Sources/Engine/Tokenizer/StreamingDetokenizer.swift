/// Turns a stream of tokens into text that is always valid UTF-8: the bytes of an unfinished
/// multi-byte character (split across byte-fallback tokens, e.g. `<0xF0><0x9F><0x98><0x81>`)
/// are held until it completes, then released together.
///
/// llama2.c's convention for SentencePiece with a dummy prefix: a piece that directly follows
/// BOS loses its leading space (`"▁Once"` after BOS prints `"Once"`). Nothing else is
/// stripped; in particular a stream whose `previous` is nil or not BOS keeps every space, so
/// pass the last prompt token as `previous` when printing a continuation.
public struct StreamingDetokenizer: Sendable {
    public let tokenizer: Tokenizer
    private var previous: TokenID?
    /// Bytes of an unfinished character (at most 3 between calls).
    private var pending: [UInt8] = []

    public init(tokenizer: Tokenizer, previous: TokenID? = nil) {
        self.tokenizer = tokenizer
        self.previous = previous
        pending.reserveCapacity(64)
    }

    /// The text that `token` completes; empty while a character is unfinished.
    public mutating func append(_ token: TokenID) -> String {
        let afterBOS = tokenizer.stripsDummyPrefix && previous != nil && previous == tokenizer.vocabulary.bos
        previous = token
        tokenizer.pieces.withPiece(token) { piece in
            if afterBOS, let first = piece.first, first == 0x20 {
                pending.append(contentsOf: piece.dropFirst())
            } else {
                pending.append(contentsOf: piece)
            }
        }
        let held = pending.withUnsafeBufferPointer { UTF8Scalars.incompleteSuffixLength($0) }
        let ready = pending.count - held
        guard ready > 0 else { return "" }
        let text = pending.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[..<ready]), as: UTF8.self) }
        pending.removeFirst(ready)
        return text
    }

    /// Whatever is still held, with an unfinished character repaired to U+FFFD.
    public mutating func finish() -> String {
        let text = String(decoding: pending, as: UTF8.self)
        pending.removeAll(keepingCapacity: true)
        return text
    }
}
