/// Everything a tokenizer needs, read from GGUF metadata (`Vocabulary+GGUF.swift`) or a
/// llama2.c tokenizer file (`Vocabulary+Llama2C.swift`). Both sources end in the same
/// conventions (SentencePiece pieces use `▁` for spaces, byte tokens are `<0xNN>` with type
/// `.byte`), so one tokenizer serves both.
public struct Vocabulary: Sendable {
    public let kind: TokenizerKind
    /// gpt2 only: how text is split into words before merging (`.gpt2` for `.llama`, unused).
    public let preTokenizer: PreTokenizerKind
    /// Token texts, by id.
    public let tokens: [String]
    /// One per token; SentencePiece merges prefer higher scores. Zeros when the file has none.
    public let scores: [Float]
    /// One per token.
    public let types: [TokenType]
    /// gpt2 only: `"left right"` merge rules in rank order (rank 0 merges first).
    public let merges: [String]
    public let bos: TokenID?
    public let eos: TokenID?
    public let unknown: TokenID?
    public let padding: TokenID?
    /// Whether prompts for this model should start with BOS (`tokenizer.ggml.add_bos_token`).
    public let addBOS: Bool
    /// Whether the model expects EOS after a prompt (informational; `encode` never adds it).
    public let addEOS: Bool
    /// SentencePiece's dummy prefix: text is encoded as if it began with a space, and decoding
    /// removes that space again. Only `.llama` vocabularies use it.
    public let addSpacePrefix: Bool
    /// Tokens that end generation, sorted: EOS, EOT/EOM when the file names them, and tokens
    /// whose text llama.cpp treats as end-of-generation (`<|endoftext|>`, `<|im_end|>`, ...).
    public let endOfGeneration: [TokenID]

    /// The number of tokens.
    public var count: Int { tokens.count }

    /// Token texts that end generation whatever their id (the list llama.cpp uses).
    static let endOfGenerationTexts: Set<String> = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "</s>",
        "<|eom_id|>", "<EOT>", "_<EOT>", "<|end_of_text|>", "<end_of_utterance>",
    ]

    /// A vocabulary from its parts, validated: `scores` and `types` are empty (zeros and
    /// `.normal`) or one per token, special ids lie in the vocabulary, texts are non-empty
    /// and unique (byte for byte), gpt2 has merges. `endOfGeneration` nil means EOS plus the
    /// tokens whose text is in llama.cpp's end-of-generation list.
    public init(
        kind: TokenizerKind, preTokenizer: PreTokenizerKind = .gpt2, tokens: [String], scores: [Float] = [], types: [TokenType] = [],
        merges: [String] = [], bos: TokenID?, eos: TokenID?, unknown: TokenID?, padding: TokenID? = nil,
        addBOS: Bool, addEOS: Bool = false, addSpacePrefix: Bool, endOfGeneration: [TokenID]? = nil
    ) throws(ModelFileError) {
        guard !tokens.isEmpty else { throw .invalidTokenizer("the vocabulary has no tokens") }
        guard tokens.count <= Int(Int32.max) else {
            throw .absurdCount(what: "vocabulary size", count: UInt64(tokens.count), limit: UInt64(Int32.max))
        }
        guard scores.isEmpty || scores.count == tokens.count else {
            throw .invalidTokenizer("\(scores.count) scores for \(tokens.count) tokens")
        }
        guard types.isEmpty || types.count == tokens.count else {
            throw .invalidTokenizer("\(types.count) token types for \(tokens.count) tokens")
        }
        if kind == .gpt2, merges.isEmpty {
            throw .invalidTokenizer("a gpt2 vocabulary needs merges")
        }
        for (name, id) in [("BOS", bos), ("EOS", eos), ("unknown", unknown), ("padding", padding)] {
            if let id, id < 0 || Int(id) >= tokens.count {
                throw .invalidTokenizer("\(name) token id \(id) is outside the vocabulary of \(tokens.count)")
            }
        }
        if addBOS, bos == nil { throw .invalidTokenizer("prompts should start with BOS, but the vocabulary has none") }
        if addEOS, eos == nil { throw .invalidTokenizer("prompts should end with EOS, but the vocabulary has none") }
        if let i = tokens.firstIndex(where: \.isEmpty) { throw .invalidTokenizer("token \(i) is empty") }
        if let duplicate = PieceIndex.firstDuplicate(in: tokens) {
            throw .duplicate(what: "token", name: duplicate)
        }

        var endOfGenerationIDs: Set<TokenID> = []
        if let explicit = endOfGeneration {
            for id in explicit {
                guard id >= 0, Int(id) < tokens.count else {
                    throw .invalidTokenizer("end-of-generation token id \(id) is outside the vocabulary of \(tokens.count)")
                }
                endOfGenerationIDs.insert(id)
            }
        } else {
            if let eos { endOfGenerationIDs.insert(eos) }
            for (i, text) in tokens.enumerated() where Vocabulary.endOfGenerationTexts.contains(text) {
                endOfGenerationIDs.insert(TokenID(i))
            }
        }

        self.kind = kind
        self.preTokenizer = preTokenizer
        self.tokens = tokens
        self.scores = scores.isEmpty ? Array(repeating: 0, count: tokens.count) : scores
        self.types = types.isEmpty ? Array(repeating: .normal, count: tokens.count) : types
        self.merges = merges
        self.bos = bos
        self.eos = eos
        self.unknown = unknown
        self.padding = padding
        self.addBOS = addBOS
        self.addEOS = addEOS
        self.addSpacePrefix = addSpacePrefix
        self.endOfGeneration = endOfGenerationIDs.sorted()
    }
}
