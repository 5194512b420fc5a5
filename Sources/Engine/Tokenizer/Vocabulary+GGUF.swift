extension Vocabulary {
    /// The `tokenizer.ggml.*` metadata keys.
    enum GGUFKey {
        static let model = "tokenizer.ggml.model"
        static let preTokenizer = "tokenizer.ggml.pre"
        static let tokens = "tokenizer.ggml.tokens"
        static let scores = "tokenizer.ggml.scores"
        static let types = "tokenizer.ggml.token_type"
        static let merges = "tokenizer.ggml.merges"
        static let bos = "tokenizer.ggml.bos_token_id"
        static let eos = "tokenizer.ggml.eos_token_id"
        static let unknown = "tokenizer.ggml.unknown_token_id"
        static let padding = "tokenizer.ggml.padding_token_id"
        static let eot = "tokenizer.ggml.eot_token_id"
        static let eom = "tokenizer.ggml.eom_token_id"
        static let addBOS = "tokenizer.ggml.add_bos_token"
        static let addEOS = "tokenizer.ggml.add_eos_token"
        static let addSpacePrefix = "tokenizer.ggml.add_space_prefix"
    }

    /// `tokenizer.ggml.pre` values by the pre-tokenizer llama.cpp applies for them
    /// (`llama_vocab::load` and `llm_tokenizer_bpe` in `llama-vocab.cpp`); names mapped to
    /// the same regex list share a kind. Checked against llama.cpp's vocabulary tests for
    /// `gpt-2`, `llama-bpe`, `qwen2`, `smollm` and `default`.
    static let preTokenizers: [String: PreTokenizerKind] = {
        var table: [String: PreTokenizerKind] = [:]
        for name in ["gpt-2", "phi-2", "mpt", "olmo", "jais", "jina-es", "jina-de", "jina-v2-es", "jina-v2-de",
                     "gigachat", "a.x-4.0", "mellum", "modern-bert", "exaone4", "trillion", "granite-docling"] {
            table[name] = .gpt2
        }
        for name in ["smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva-7b", "mellum2"] {
            table[name] = .isolatedDigits
        }
        // Only the names for which llama.cpp also ignores merges and adds BOS.
        for name in ["llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano"] {
            table[name] = .llama3
        }
        for name in ["qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "megrez", "stablelm2", "hunyuan", "solar-open", "grok-2"] {
            table[name] = .qwen2
        }
        table["default"] = .bpeDefault
        return table
    }()

    /// Reads the tokenizer from GGUF metadata as llama.cpp's `llama_vocab::load` does:
    /// `tokenizer.ggml.model` (`llama` or `gpt2`) and `tokenizer.ggml.tokens` are required,
    /// `merges` too for gpt2. Optional keys take llama.cpp's defaults: scores 0, types
    /// normal; llama: BOS 1, EOS 2, unknown 0, add BOS, add space prefix; gpt2: BOS = EOS = 11
    /// (llama.cpp's placeholder, overridden by every real file), no unknown, no BOS added
    /// (but for Llama 3's pre-tokenizer), no space prefix, the `default` pre-tokenizer. A default or stored special id outside the vocabulary is ignored (as
    /// llama.cpp does with its warning), e.g. a padding id of 0xFFFFFFFF. Empty token texts
    /// become `[EMPTY_<id>]`.
    public init(gguf: GGUFFile) throws(ModelFileError) {
        try self.init(metadata: gguf.metadata)
    }

    /// Reads the tokenizer from GGUF metadata already parsed (`init(gguf:)`).
    public init(metadata: [String: GGUFValue]) throws(ModelFileError) {
        func value(_ key: String) -> GGUFValue? { metadata[key] }

        guard let modelValue = value(GGUFKey.model) else { throw .missingKey(GGUFKey.model) }
        guard let modelName = modelValue.string else { throw .wrongKeyType(key: GGUFKey.model, expected: "a string") }
        let kind: TokenizerKind
        switch modelName {
        case "llama": kind = .llama
        case "gpt2": kind = .gpt2
        default: throw .invalidTokenizer("tokenizer model '\(modelName)' is not supported (supported: llama, gpt2)")
        }
        // A byte-level file without the key gets llama.cpp's `default` list, as llama.cpp does.
        var preTokenizer = kind == .gpt2 ? PreTokenizerKind.bpeDefault : .gpt2
        if kind == .gpt2, let pre = value(GGUFKey.preTokenizer) {
            guard let name = pre.string else { throw .wrongKeyType(key: GGUFKey.preTokenizer, expected: "a string") }
            guard let known = Vocabulary.preTokenizers[name] else {
                throw .invalidTokenizer(
                    "pre-tokenizer '\(name)' is not supported (supported: \(Vocabulary.preTokenizers.keys.sorted().joined(separator: ", ")))")
            }
            preTokenizer = known
        }

        guard let tokensValue = value(GGUFKey.tokens) else { throw .missingKey(GGUFKey.tokens) }
        guard var tokens = tokensValue.strings else { throw .wrongKeyType(key: GGUFKey.tokens, expected: "an array of strings") }
        let n = tokens.count
        for i in tokens.indices where tokens[i].isEmpty { tokens[i] = "[EMPTY_\(i)]" }

        var scores: [Float] = []
        if let v = value(GGUFKey.scores) {
            guard let all = v.floats, case .array(let t, _) = v, t == .float32 || t == .int32 else {
                throw .wrongKeyType(key: GGUFKey.scores, expected: "an array of f32 or i32")
            }
            guard all.count >= n else { throw .invalidTokenizer("\(all.count) scores for \(n) tokens") }
            scores = Array(all.prefix(n))
        }

        var types: [TokenType] = []
        if let v = value(GGUFKey.types) {
            guard let all = v.ints, case .array(let t, _) = v, t == .int32 else {
                throw .wrongKeyType(key: GGUFKey.types, expected: "an array of i32")
            }
            guard all.count >= n else { throw .invalidTokenizer("\(all.count) token types for \(n) tokens") }
            types = all.prefix(n).map { TokenType(rawValue: Int32(truncatingIfNeeded: $0)) ?? .undefined }
        }

        var merges: [String] = []
        if kind == .gpt2 {
            guard let v = value(GGUFKey.merges) else { throw .missingKey(GGUFKey.merges) }
            guard let all = v.strings else { throw .wrongKeyType(key: GGUFKey.merges, expected: "an array of strings") }
            merges = all
        }

        func tokenID(_ key: String, default fallback: TokenID?) throws(ModelFileError) -> TokenID? {
            let inRange = { (id: Int) in id >= 0 && id < n }
            let base = fallback.flatMap { inRange(Int($0)) ? $0 : nil }
            guard let v = value(key) else { return base }
            guard let id = v.int else { throw .wrongKeyType(key: key, expected: "an integer token id") }
            return inRange(id) ? TokenID(id) : base
        }
        func flag(_ key: String, default fallback: Bool) throws(ModelFileError) -> Bool {
            guard let v = value(key) else { return fallback }
            guard let b = v.bool else { throw .wrongKeyType(key: key, expected: "a bool") }
            return b
        }

        let isLlama = kind == .llama
        let bos = try tokenID(GGUFKey.bos, default: isLlama ? 1 : 11)
        let eos = try tokenID(GGUFKey.eos, default: isLlama ? 2 : 11)
        let unknown = try tokenID(GGUFKey.unknown, default: isLlama ? 0 : nil)
        let padding = try tokenID(GGUFKey.padding, default: nil)
        let eot = try tokenID(GGUFKey.eot, default: nil)
        let eom = try tokenID(GGUFKey.eom, default: nil)
        // llama.cpp also adds BOS by default for Llama 3's pre-tokenizer.
        let addBOS = try flag(GGUFKey.addBOS, default: isLlama || preTokenizer == .llama3)
        let addEOS = try flag(GGUFKey.addEOS, default: false)
        let addSpacePrefix = try flag(GGUFKey.addSpacePrefix, default: isLlama)

        var endOfGeneration = [eos, eot, eom].compactMap { $0 }
        for (i, text) in tokens.enumerated() where Vocabulary.endOfGenerationTexts.contains(text) {
            endOfGeneration.append(TokenID(i))
        }

        try self.init(
            kind: kind, preTokenizer: preTokenizer, tokens: tokens, scores: scores, types: types, merges: merges,
            bos: bos, eos: eos, unknown: unknown, padding: padding,
            addBOS: addBOS, addEOS: addEOS, addSpacePrefix: addSpacePrefix, endOfGeneration: endOfGeneration)
    }
}
