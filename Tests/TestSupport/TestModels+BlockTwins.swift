import Engine
import StrataRuntime

#if canImport(Glibc)
import Glibc
#endif

extension TestModels {
    /// The shape of block twins: every width a whole number of 256-element blocks.
    public static let blockTwinConfig = LlamaConfig(dim: 256, hiddenDim: 512, layers: 2, heads: 4, kvHeads: 2,
                                                    vocabularySize: 512, contextLength: 256)

    /// Two random-weight Llamas with the same values: one stores its matrices as random blocks of
    /// `type` (every bit pattern of the quants, scales for an RMS of 0.02), the other as F32 holding
    /// exactly the values those blocks decode to. Their logits differ only by what quantizing
    /// activations to 8 bits costs: a check of the whole block path (kernels, activation
    /// formats, panels, decode rows) against the float path on one model.
    public static func blockTwins(_ type: DType, seed: UInt64 = 11) throws -> (blocks: LoadedModel, floats: LoadedModel) {
        let c = blockTwinConfig
        let vocabulary = try GGUFFile(path: Fixtures.model("stories260K.gguf"))
        var random = TestRandom(seed: seed)
        var shapes: [(name: String, columns: Int, rows: Int)] = [("token_embd.weight", c.dim, c.vocabularySize)]
        for l in 0..<c.layers {
            let p = "blk.\(l)."
            shapes += [(p + "attn_q.weight", c.dim, c.dim), (p + "attn_k.weight", c.dim, c.kvDim),
                       (p + "attn_v.weight", c.dim, c.kvDim), (p + "attn_output.weight", c.dim, c.dim),
                       (p + "ffn_gate.weight", c.dim, c.hiddenDim), (p + "ffn_up.weight", c.dim, c.hiddenDim),
                       (p + "ffn_down.weight", c.hiddenDim, c.dim)]
        }
        shapes.append(("output.weight", c.dim, c.vocabularySize))
        var blocks: [String: [UInt8]] = [:], floats: [String: [Float]] = [:]
        for s in shapes {
            let bytes = RandomBlocks.bytes(type, count: s.columns * s.rows / type.blockElements, random: &random)
            var values = [Float](repeating: 0, count: s.columns * s.rows)
            bytes.withUnsafeBytes { Quantization.dequantize($0.baseAddress!, dtype: type, count: values.count, into: &values) }
            blocks[s.name] = bytes
            floats[s.name] = values
        }
        func write(_ matrixType: DType, _ path: String) throws {
            var w = GGUFWriter()
            w.add("general.architecture", .string("llama"))
            w.add("general.name", .string("block twin \(type) as \(matrixType)"))
            for (key, value) in [("context_length", c.contextLength), ("embedding_length", c.dim), ("feed_forward_length", c.hiddenDim),
                                 ("block_count", c.layers), ("attention.head_count", c.heads), ("attention.head_count_kv", c.kvHeads)] {
                w.add("llama.\(key)", .uint32(UInt32(value)))
            }
            w.add("llama.attention.layer_norm_rms_epsilon", .float32(c.normEpsilon))
            for key in vocabulary.metadataKeys where key.hasPrefix("tokenizer.") { w.add(key, vocabulary.metadata[key]!) }
            for s in shapes { try w.addTensor(s.name, dims: [s.columns, s.rows], type: GGMLType(matrixType)) }
            for l in 0..<c.layers {
                try w.addTensor("blk.\(l).attn_norm.weight", dims: [c.dim], type: GGMLType(.f32))
                try w.addTensor("blk.\(l).ffn_norm.weight", dims: [c.dim], type: GGMLType(.f32))
            }
            try w.addTensor("output_norm.weight", dims: [c.dim], type: GGMLType(.f32))
            try w.write(to: path) { info, buffer in
                if let bytes = blocks[info.name], matrixType == type {
                    buffer.copyMemory(from: UnsafeRawBufferPointer(start: bytes, count: bytes.count))
                } else if let values = floats[info.name] {
                    values.withUnsafeBytes { buffer.copyMemory(from: $0) }
                } else {
                    buffer.withMemoryRebound(to: Float.self) { $0.initialize(repeating: 1) }  // norms
                }
            }
        }
        let blockPath = Fixtures.temporaryPath("twin-\(type).gguf"), floatPath = Fixtures.temporaryPath("twin-\(type)-f32.gguf")
        defer { unlink(blockPath); unlink(floatPath) }
        try write(type, blockPath)
        try write(.f32, floatPath)
        return (try ModelLoader.load(path: blockPath), try ModelLoader.load(path: floatPath))
    }
}
