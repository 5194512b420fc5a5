import Memory

/// A llama2.c tokenizer file (`tokenizer.bin`, `tok512.bin`), read and validated:
///
///     int32 max_token_length
///     vocab_size × { f32 score, int32 length, length bytes (no terminator) }
///
/// The token count is not in the file: it is the model header's `vocab_size`. Pieces are
/// stored as llama2.c exported them (spaces, not `▁`; BOS as `"\n<s>\n"`); see
/// `Vocabulary(llama2cTokenizerAt:vocabularySize:)` for the conversion. Every length is
/// checked against the bytes that remain before anything is allocated.
public struct Llama2CTokenizerFile: Sendable {
    /// The longest piece, in bytes, as the header declares it.
    public let maxTokenLength: Int
    /// Per token.
    public let scores: [Float]
    /// Per token, the raw bytes.
    public let pieces: [[UInt8]]

    /// Reads the first `vocabularySize` tokens of the file at `path`.
    public init(path: String, vocabularySize: Int) throws(ModelFileError) {
        let file = try MappedFile.modelFile(path)
        try self.init(bytes: file.unsafeBytes, vocabularySize: vocabularySize)
    }

    /// Reads the first `vocabularySize` tokens from `bytes` (trailing bytes are ignored, as
    /// llama2.c does).
    public init(bytes: UnsafeRawBufferPointer, vocabularySize: Int) throws(ModelFileError) {
        var r = ByteReader(bytes, section: "llama2.c tokenizer header")
        let declaredMax = try r.read(Int32.self)
        guard declaredMax > 0 else {
            throw .invalidTokenizer("max_token_length is \(declaredMax); it must be positive")
        }
        guard vocabularySize > 0 else {
            throw .invalidTokenizer("vocabulary size is \(vocabularySize); it must be positive")
        }
        // Each token takes at least 8 bytes (score and length).
        let limit = r.remaining / 8
        guard vocabularySize <= limit else {
            throw .absurdCount(what: "vocabulary size", count: UInt64(vocabularySize), limit: UInt64(limit))
        }
        var scores: [Float] = []
        var pieces: [[UInt8]] = []
        scores.reserveCapacity(vocabularySize)
        pieces.reserveCapacity(vocabularySize)
        for i in 0..<vocabularySize {
            r.section = "llama2.c tokenizer token \(i)"
            scores.append(try r.readFloat())
            let length = try r.read(Int32.self)
            guard length >= 0 else { throw .invalidTokenizer("token \(i) has length \(length)") }
            guard length <= declaredMax else {
                throw .invalidTokenizer("token \(i) has length \(length), more than max_token_length \(declaredMax)")
            }
            pieces.append(Array(try r.readBytes(Int(length))))
        }
        self.maxTokenLength = Int(declaredMax)
        self.scores = scores
        self.pieces = pieces
    }
}
