import StrataRuntime

extension LlamaConfig {
    /// Reads the hyperparameters of a `llama` GGUF file (keys prefixed by the architecture name).
    public init(gguf: GGUFFile) throws(ModelFileError) {
        guard let arch = gguf.architecture else { throw .missingKey("general.architecture") }
        guard LlamaConfig.architectures.contains(arch) else { throw .unsupportedArchitecture(arch) }
        func int(_ key: String) throws(ModelFileError) -> Int? {
            guard let v = gguf.metadata["\(arch).\(key)"] else { return nil }
            guard let i = v.int else { throw .wrongKeyType(key: "\(arch).\(key)", expected: "an integer") }
            return i
        }
        func required(_ key: String) throws(ModelFileError) -> Int {
            guard let v = try int(key) else { throw .missingKey("\(arch).\(key)") }
            return v
        }
        func float(_ key: String) throws(ModelFileError) -> Float? {
            guard let v = gguf.metadata["\(arch).\(key)"] else { return nil }
            guard let d = v.double else { throw .wrongKeyType(key: "\(arch).\(key)", expected: "a number") }
            return Float(d)
        }
        let dim = try required("embedding_length")
        let heads = try required("attention.head_count")
        // The vocabulary size is the embedding's row count; the key is optional in GGUF.
        guard let embedding = gguf.tensor(named: "token_embd.weight") else { throw .missingTensor("token_embd.weight") }
        self.init(
            dim: dim,
            hiddenDim: try required("feed_forward_length"),
            layers: try required("block_count"),
            heads: heads,
            kvHeads: try int("attention.head_count_kv") ?? heads,
            vocabularySize: try int("vocab_size") ?? embedding.rows,
            contextLength: try required("context_length"),
            normEpsilon: try float("attention.layer_norm_rms_epsilon") ?? 1e-5,
            ropeBase: try float("rope.freq_base") ?? 10000,
            ropeDimensions: try int("rope.dimension_count"),
            ropeStyle: .normal)
        if heads > 0, try int("attention.key_length").map({ $0 != dim / heads }) ?? false {
            throw .invalidHyperparameter(name: "attention.key_length", value: "\(try int("attention.key_length")!)",
                                         reason: "head sizes other than embedding_length / head_count are not supported")
        }
        try validate()
    }

    /// GGUF architecture names that run on this implementation (llama.cpp's LLM_ARCH_LLAMA family, normal RoPE).
    static let architectures: Set<String> = ["llama"]
}
