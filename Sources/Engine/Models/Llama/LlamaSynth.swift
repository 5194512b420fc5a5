import StrataRuntime

/// Writes random-weight Llama GGUF files of a given shape, for speed and memory work.
/// Weights are uniform with a standard deviation of 0.02 (norms are 1), so activations stay
/// in a realistic range; the tokenizer metadata is copied from a real vocabulary file.
public enum LlamaSynth {
    /// Writes a model of `config` with 2-D weights in `type` to `path`.
    /// `vocabulary` supplies the `tokenizer.*` keys and must have `config.vocabularySize` tokens.
    public static func write(config c: LlamaConfig, tiedOutput: Bool, type: DType, vocabulary: GGUFFile,
                             name: String, seed: UInt64, to path: String,
                             progress: (Int, Int) -> Void = { _, _ in }) throws {
        try c.validate()
        guard let fileType = fileType(type), Quantization.canQuantize(to: type) else {
            throw ModelFileError.invalidHyperparameter(name: "type", value: "\(type)", reason: "random weights cannot be written in this type")
        }
        let tokens = vocabulary.metadata["tokenizer.ggml.tokens"]?.array?.count ?? 0
        guard tokens == c.vocabularySize else {
            throw ModelFileError.invalidTokenizer("the vocabulary file has \(tokens) tokens, the shape needs \(c.vocabularySize)")
        }
        var w = GGUFWriter()
        w.add("general.architecture", .string("llama"))
        w.add("general.name", .string(name))
        w.add("general.file_type", .uint32(fileType))
        w.add("llama.context_length", .uint32(UInt32(c.contextLength)))
        w.add("llama.embedding_length", .uint32(UInt32(c.dim)))
        w.add("llama.feed_forward_length", .uint32(UInt32(c.hiddenDim)))
        w.add("llama.block_count", .uint32(UInt32(c.layers)))
        w.add("llama.attention.head_count", .uint32(UInt32(c.heads)))
        w.add("llama.attention.head_count_kv", .uint32(UInt32(c.kvHeads)))
        w.add("llama.attention.layer_norm_rms_epsilon", .float32(c.normEpsilon))
        w.add("llama.rope.freq_base", .float32(c.ropeBase))
        w.add("llama.rope.dimension_count", .uint32(UInt32(c.ropeDimensions)))
        for key in vocabulary.metadataKeys where key.hasPrefix("tokenizer.") {
            w.add(key, vocabulary.metadata[key]!)
        }
        let matrix = GGMLType(type), f32 = GGMLType(.f32)
        let q = c.heads * c.headDim
        try w.addTensor("token_embd.weight", dims: [c.dim, c.vocabularySize], type: matrix)
        for l in 0..<c.layers {
            let p = "blk.\(l)."
            try w.addTensor(p + "attn_norm.weight", dims: [c.dim], type: f32)
            try w.addTensor(p + "attn_q.weight", dims: [c.dim, q], type: matrix)
            try w.addTensor(p + "attn_k.weight", dims: [c.dim, c.kvDim], type: matrix)
            try w.addTensor(p + "attn_v.weight", dims: [c.dim, c.kvDim], type: matrix)
            try w.addTensor(p + "attn_output.weight", dims: [q, c.dim], type: matrix)
            try w.addTensor(p + "ffn_norm.weight", dims: [c.dim], type: f32)
            try w.addTensor(p + "ffn_gate.weight", dims: [c.dim, c.hiddenDim], type: matrix)
            try w.addTensor(p + "ffn_down.weight", dims: [c.hiddenDim, c.dim], type: matrix)
            try w.addTensor(p + "ffn_up.weight", dims: [c.dim, c.hiddenDim], type: matrix)
        }
        try w.addTensor("output_norm.weight", dims: [c.dim], type: f32)
        if !tiedOutput { try w.addTensor("output.weight", dims: [c.dim, c.vocabularySize], type: matrix) }

        var random = SeededGenerator(seed: seed)
        let amplitude: Float = 0.02 * Float(3).squareRoot()
        let rowFloats = UnsafeMutablePointer<Float>.allocate(capacity: w.tensors.map(\.columns).max() ?? 1)
        defer { rowFloats.deallocate() }
        let total = w.tensors.count
        var done = 0
        try w.write(to: path) { info, bytes in
            let isNorm = info.dims.count == 1
            let rowBytes = info.type.dtype!.rowBytes(info.columns)!
            for r in 0..<info.rows {
                for i in 0..<info.columns {
                    rowFloats[i] = isNorm ? 1 : (random.nextUnitFloat() * 2 - 1) * amplitude
                }
                Quantization.quantize(rowFloats, count: info.columns, to: info.type.dtype!,
                                      into: bytes.baseAddress! + r * rowBytes)
            }
            done += 1
            progress(done, total)
        }
    }

    /// llama.cpp's `general.file_type` (`llama_ftype`) for a model whose matrices are all
    /// `type` (`LlamaFileType(mostly:)`); nil for Q8_K, which no model stores.
    public static func fileType(_ type: DType) -> UInt32? {
        LlamaFileType(mostly: type)?.rawValue
    }
}
