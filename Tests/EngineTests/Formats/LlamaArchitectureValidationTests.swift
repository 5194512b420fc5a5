import Engine
import Foundation
import StrataRuntime
import Testing
import TestSupport

/// A well-formed GGUF file can still be no runnable llama: `LlamaConfig(gguf:)` and
/// `LlamaModel(table:config:)` refuse wrong hyperparameters and wrong tensors with a
/// `ModelFileError` naming the key or tensor, before anything runs.
@Suite struct LlamaArchitectureValidationTests {
    /// A tiny llama described as metadata and a tensor table (dim 32, 4 heads of 8, 2 KV
    /// heads, FFN 256, 2 layers, vocabulary 64), editable before it is encoded.
    struct TinyLlama {
        var metadata: [(key: String, value: GGUFValue)]
        var tensors: [(name: String, dims: [Int], type: GGMLType)]

        static let dim = 32, heads = 4, kvHeads = 2, hidden = 256, layers = 2, vocabulary = 64, context = 128
        static let headDim = dim / heads, kvDim = kvHeads * headDim
        static let f32 = GGMLType(.f32)

        static let valid: TinyLlama = {
            var tensors: [(String, [Int], GGMLType)] = [
                ("token_embd.weight", [dim, vocabulary], f32),
                ("output_norm.weight", [dim], f32),
            ]
            for l in 0..<layers {
                let p = "blk.\(l)."
                tensors += [
                    (p + "attn_norm.weight", [dim], f32),
                    (p + "attn_q.weight", [dim, dim], f32),
                    (p + "attn_k.weight", [dim, kvDim], f32),
                    (p + "attn_v.weight", [dim, kvDim], f32),
                    (p + "attn_output.weight", [dim, dim], f32),
                    (p + "ffn_norm.weight", [dim], f32),
                    (p + "ffn_gate.weight", [dim, hidden], f32),
                    (p + "ffn_down.weight", [hidden, dim], f32),
                    (p + "ffn_up.weight", [dim, hidden], f32),
                ]
            }
            return TinyLlama(
                metadata: [
                    ("general.architecture", .string("llama")),
                    ("general.name", .string("tiny")),
                    ("llama.context_length", .uint32(UInt32(context))),
                    ("llama.embedding_length", .uint32(UInt32(dim))),
                    ("llama.feed_forward_length", .uint32(UInt32(hidden))),
                    ("llama.block_count", .uint32(UInt32(layers))),
                    ("llama.attention.head_count", .uint32(UInt32(heads))),
                    ("llama.attention.head_count_kv", .uint32(UInt32(kvHeads))),
                    ("llama.rope.dimension_count", .uint32(UInt32(headDim))),
                    ("llama.attention.layer_norm_rms_epsilon", .float32(1e-5)),
                ],
                tensors: tensors)
        }()

        /// This model with `key` set to `value` (appended if absent), or removed when nil.
        func setting(_ key: String, _ value: GGUFValue?) -> TinyLlama {
            var copy = self
            if let i = copy.metadata.firstIndex(where: { $0.key == key }) {
                if let value { copy.metadata[i].value = value } else { copy.metadata.remove(at: i) }
            } else if let value {
                copy.metadata.append((key, value))
            }
            return copy
        }

        /// This model with tensor `name` given `dims` and `type` (appended if absent), or removed when `dims` is nil.
        func tensor(_ name: String, _ dims: [Int]?, _ type: GGMLType = f32) -> TinyLlama {
            var copy = self
            if let i = copy.tensors.firstIndex(where: { $0.name == name }) {
                if let dims { copy.tensors[i] = (name, dims, type) } else { copy.tensors.remove(at: i) }
            } else if let dims {
                copy.tensors.append((name, dims, type))
            }
            return copy
        }

        /// This model with tensor `name` stored as `type`, its shape unchanged.
        func storing(_ name: String, as type: GGMLType) -> TinyLlama {
            tensor(name, tensors.first { $0.name == name }!.dims, type)
        }

        func encoded() -> [UInt8] {
            var writer = GGUFWriter()
            for (key, value) in metadata { writer.add(key, value) }
            for t in tensors { try! writer.addTensor(t.name, dims: t.dims, type: t.type) }
            return writer.encode { _, buffer in buffer.initializeMemory(as: UInt8.self, repeating: 0x3C) }
        }
    }

    /// Opens `file` as a llama the way the loader does: parse, read the config, resolve the weights.
    static func loadLlama(_ file: GGUFFile) throws(ModelFileError) -> LlamaModel {
        // Through the registry, as files load: it refuses architectures before the config is read.
        try ModelRegistry.decoder(file) as! LlamaModel
    }

    static func loadError(_ model: TinyLlama) throws -> ModelFileError? {
        try withTemporaryFile("tiny-llama.gguf", contents: model.encoded()) { path in
            modelFileError { () throws(ModelFileError) in _ = try loadLlama(GGUFFile(path: path)) }
        }
    }

    // MARK: - Valid models

    @Test func tinyLlamaLoadsWithItsConfigAndViewsIntoTheFile() throws {
        try withTemporaryFile("tiny-llama.gguf", contents: TinyLlama.valid.encoded()) { path in
            let file = try GGUFFile(path: path)
            let model = try Self.loadLlama(file)
            #expect(model.config == LlamaConfig(dim: 32, hiddenDim: 256, layers: 2, heads: 4, kvHeads: 2,
                                                vocabularySize: 64, contextLength: 128, normEpsilon: 1e-5,
                                                ropeBase: 10000, ropeDimensions: 8))
            #expect(model.source === file)
            let w = model.weights
            #expect(w.tiedOutput)
            #expect(w.output.data == w.tokenEmbedding.data)
            #expect(w.layers.count == 2)
            func at(_ name: String) -> UnsafeRawPointer { file.unsafeData(of: file.tensor(named: name)!) }
            #expect(w.tokenEmbedding.data == at("token_embd.weight"))
            #expect(w.tokenEmbedding.columns == 32 && w.tokenEmbedding.rows == 64)
            #expect(UnsafeRawPointer(w.outputNorm) == at("output_norm.weight"))
            for (l, layer) in w.layers.enumerated() {
                let p = "blk.\(l)."
                #expect(UnsafeRawPointer(layer.attention.norm) == at(p + "attn_norm.weight"))
                #expect(UnsafeRawPointer(layer.ffn.norm) == at(p + "ffn_norm.weight"))
                let matrices: [(Tensor, String, Int, Int)] = [
                    (layer.attention.wq, "attn_q", 32, 32), (layer.attention.wk, "attn_k", 32, 16), (layer.attention.wv, "attn_v", 32, 16),
                    (layer.attention.wo, "attn_output", 32, 32), (layer.ffn.gate, "ffn_gate", 32, 256), (layer.ffn.up, "ffn_up", 32, 256),
                    (layer.ffn.down, "ffn_down", 256, 32),
                ]
                for (tensor, name, columns, rows) in matrices {
                    #expect(tensor.data == at(p + name + ".weight"), "\(p + name)")
                    #expect(tensor.columns == columns && tensor.rows == rows && tensor.dtype == .f32, "\(p + name)")
                }
            }
        }
    }

    @Test func separateOutputMatrixIsUsedWhenPresent() throws {
        let model = TinyLlama.valid.tensor("output.weight", [32, 64])
        try withTemporaryFile("tiny-llama.gguf", contents: model.encoded()) { path in
            let file = try GGUFFile(path: path)
            let weights = try Self.loadLlama(file).weights
            #expect(!weights.tiedOutput)
            #expect(weights.output.data == file.unsafeData(of: file.tensor(named: "output.weight")!))
        }
    }

    @Test(arguments: [DType.f16, .bf16, .q8_0, .q4_0])
    func matricesOfEverySupportedTypeLoad(dtype: DType) throws {
        var model = TinyLlama.valid
        for t in model.tensors where t.dims.count == 2 { model = model.storing(t.name, as: GGMLType(dtype)) }
        try withTemporaryFile("tiny-llama.gguf", contents: model.encoded()) { path in
            let weights = try Self.loadLlama(GGUFFile(path: path)).weights
            #expect(weights.tokenEmbedding.dtype == dtype)
            #expect(weights.layers.allSatisfy { $0.attention.wq.dtype == dtype && $0.ffn.down.dtype == dtype })
        }
    }

    /// Optional keys take their defaults: KV heads = heads, RoPE over the whole head,
    /// epsilon 1e-5, base 10000, vocabulary from the embedding.
    @Test func optionalKeysTakeTheirDefaults() throws {
        var model = TinyLlama.valid
        for key in ["llama.attention.head_count_kv", "llama.rope.dimension_count", "llama.attention.layer_norm_rms_epsilon"] {
            model = model.setting(key, nil)
        }
        model = model.tensor("blk.0.attn_k.weight", [32, 32]).tensor("blk.0.attn_v.weight", [32, 32])
            .tensor("blk.1.attn_k.weight", [32, 32]).tensor("blk.1.attn_v.weight", [32, 32])
        try withTemporaryFile("tiny-llama.gguf", contents: model.encoded()) { path in
            let config = try LlamaConfig(gguf: GGUFFile(path: path))
            #expect(config.kvHeads == 4)
            #expect(config.ropeDimensions == 8)
            #expect(config.normEpsilon == 1e-5)
            #expect(config.ropeBase == 10000)
            #expect(config.vocabularySize == 64)
        }
    }

    // MARK: - Refusals

    struct Refusal: Sendable, CustomTestStringConvertible {
        let name: String
        let bytes: [UInt8]
        let expected: ExpectedError
        var testDescription: String { name }
    }

    static func invalid(_ name: String, _ value: String) -> ExpectedError {
        .matching(.invalidHyperparameter) {
            guard case .invalidHyperparameter(let n, let v, let reason) = $0 else { return false }
            return n == name && v == value && !reason.isEmpty
        }
    }

    static let refusals: [Refusal] = {
        let v = TinyLlama.valid
        var out: [Refusal] = []
        func add(_ name: String, _ model: TinyLlama, _ expected: ExpectedError) {
            out.append(Refusal(name: name, bytes: model.encoded(), expected: expected))
        }
        // Architecture.
        add("no general.architecture", v.setting("general.architecture", nil), .exactly(.missingKey("general.architecture")))
        add("architecture gpt2", v.setting("general.architecture", .string("gpt2")), .exactly(.unsupportedArchitecture("gpt2")))
        add("architecture LLaMA", v.setting("general.architecture", .string("LLaMA")), .exactly(.unsupportedArchitecture("LLaMA")))
        add("architecture empty", v.setting("general.architecture", .string("")), .exactly(.unsupportedArchitecture("")))
        add("architecture not a string", v.setting("general.architecture", .uint32(1)), .oneOf([.missingKey, .wrongKeyType]))

        // Missing and mistyped keys.
        for key in ["embedding_length", "feed_forward_length", "block_count", "attention.head_count", "context_length"] {
            add("no llama.\(key)", v.setting("llama.\(key)", nil), .exactly(.missingKey("llama.\(key)")))
        }
        add("embedding_length a string", v.setting("llama.embedding_length", .string("32")),
            .exactly(.wrongKeyType(key: "llama.embedding_length", expected: "an integer")))
        add("block_count a float", v.setting("llama.block_count", .float32(2)),
            .exactly(.wrongKeyType(key: "llama.block_count", expected: "an integer")))
        add("head_count an array", v.setting("llama.attention.head_count", .array(elementType: .uint32, values: [.uint32(4)])),
            .exactly(.wrongKeyType(key: "llama.attention.head_count", expected: "an integer")))
        add("head_count_kv a bool", v.setting("llama.attention.head_count_kv", .bool(true)),
            .exactly(.wrongKeyType(key: "llama.attention.head_count_kv", expected: "an integer")))
        add("epsilon a string", v.setting("llama.attention.layer_norm_rms_epsilon", .string("1e-5")),
            .exactly(.wrongKeyType(key: "llama.attention.layer_norm_rms_epsilon", expected: "a number")))
        add("rope.freq_base a bool", v.setting("llama.rope.freq_base", .bool(true)),
            .exactly(.wrongKeyType(key: "llama.rope.freq_base", expected: "a number")))
        add("embedding_length UInt64.max", v.setting("llama.embedding_length", .uint64(.max)), .oneOf([.wrongKeyType, .invalidHyperparameter]))

        // Hyperparameters out of range or inconsistent.
        add("head_count 3 does not divide 32", v.setting("llama.attention.head_count", .uint32(3)), invalid("head_count", "3"))
        add("head_count_kv 3 does not divide 4 heads", v.setting("llama.attention.head_count_kv", .uint32(3)), invalid("head_count_kv", "3"))
        add("head_count_kv 8 above 4 heads", v.setting("llama.attention.head_count_kv", .uint32(8)), invalid("head_count_kv", "8"))
        add("zero layers", v.setting("llama.block_count", .uint32(0)), invalid("block_count", "0"))
        add("negative layers", v.setting("llama.block_count", .int32(-1)), invalid("block_count", "-1"))
        add("zero heads", v.setting("llama.attention.head_count", .uint32(0)), invalid("head_count", "0"))
        add("zero kv heads", v.setting("llama.attention.head_count_kv", .uint32(0)), invalid("head_count_kv", "0"))
        add("zero width", v.setting("llama.embedding_length", .uint32(0)), invalid("embedding_length", "0"))
        add("width 2^21", v.setting("llama.embedding_length", .uint32(1 << 21)), invalid("embedding_length", "\(1 << 21)"))
        add("zero FFN width", v.setting("llama.feed_forward_length", .uint32(0)), invalid("feed_forward_length", "0"))
        add("zero context", v.setting("llama.context_length", .uint32(0)), invalid("context_length", "0"))
        add("context UInt32.max", v.setting("llama.context_length", .uint32(.max)), invalid("context_length", "\(UInt32.max)"))
        add("vocab_size 0", v.setting("llama.vocab_size", .uint32(0)), invalid("vocab_size", "0"))
        for dims: UInt32 in [0, 7, 16] {
            add("rope dimensions \(dims)", v.setting("llama.rope.dimension_count", .uint32(dims)), invalid("rope.dimension_count", "\(dims)"))
        }
        for eps: Float in [0, -1e-5, 1.5, .nan, .infinity] {
            add("epsilon \(eps)", v.setting("llama.attention.layer_norm_rms_epsilon", .float32(eps)), .kind(.invalidHyperparameter))
        }
        for base: Float in [1, 0.5, -10000, .infinity] {
            add("rope base \(base)", v.setting("llama.rope.freq_base", .float32(base)), .kind(.invalidHyperparameter))
        }
        // A stated head width other than dim / heads is honoured: the Q matrix must then have heads x 16 rows.
        add("key_length 16 for heads of 8", v.setting("llama.attention.key_length", .uint32(16)), .kind(.wrongShape))
        add("value_length unlike key_length", v.setting("llama.attention.value_length", .uint32(16)), invalid("attention.value_length", "16"))

        // Tensors.
        for name in ["token_embd.weight", "output_norm.weight", "blk.0.attn_q.weight", "blk.0.attn_norm.weight",
                     "blk.1.ffn_up.weight", "blk.1.ffn_norm.weight", "blk.1.attn_output.weight"] {
            add("no \(name)", v.tensor(name, nil), .exactly(.missingTensor(name)))
        }
        add("block_count 3 with 2 blocks of tensors", v.setting("llama.block_count", .uint32(3)), .exactly(.missingTensor("blk.2.attn_norm.weight")))
        add("vocab_size 65 against a 64-row embedding", v.setting("llama.vocab_size", .uint32(65)),
            .exactly(.wrongShape(tensor: "token_embd.weight", expected: [32, 65], found: [32, 64])))
        // attn_q is square ([dim, heads × headDim]), so swapping its dims changes nothing: attn_k and the FFN show it.
        add("attn_k dims swapped", v.tensor("blk.0.attn_k.weight", [16, 32]),
            .exactly(.wrongShape(tensor: "blk.0.attn_k.weight", expected: [32, 16], found: [16, 32])))
        add("ffn_gate dims swapped", v.tensor("blk.1.ffn_gate.weight", [256, 32]),
            .exactly(.wrongShape(tensor: "blk.1.ffn_gate.weight", expected: [32, 256], found: [256, 32])))
        add("ffn_down dims swapped", v.tensor("blk.0.ffn_down.weight", [32, 256]),
            .exactly(.wrongShape(tensor: "blk.0.ffn_down.weight", expected: [256, 32], found: [32, 256])))
        add("attn_q of rank 3", v.tensor("blk.0.attn_q.weight", [32, 32, 1]),
            .exactly(.wrongShape(tensor: "blk.0.attn_q.weight", expected: [32, 32], found: [32, 32, 1])))
        add("attn_q too narrow", v.tensor("blk.0.attn_q.weight", [32, 16]),
            .exactly(.wrongShape(tensor: "blk.0.attn_q.weight", expected: [32, 32], found: [32, 16])))
        add("output.weight with 63 rows", v.tensor("output.weight", [32, 63]),
            .exactly(.wrongShape(tensor: "output.weight", expected: [32, 64], found: [32, 63])))
        add("attn_norm of 33", v.tensor("blk.0.attn_norm.weight", [33]),
            .exactly(.wrongShape(tensor: "blk.0.attn_norm.weight", expected: [32], found: [33])))
        add("attn_norm as a [32, 1] matrix", v.tensor("blk.0.attn_norm.weight", [32, 1]),
            .exactly(.wrongShape(tensor: "blk.0.attn_norm.weight", expected: [32], found: [32, 1])))
        add("ffn_down in iq2_xxs", v.storing("blk.0.ffn_down.weight", as: GGMLType(id: 16)!),
            .exactly(.unsupportedTensorType(tensor: "blk.0.ffn_down.weight", type: "iq2_xxs")))
        add("ffn_down in q8_K (an activation format)", v.storing("blk.0.ffn_down.weight", as: GGMLType(.q8_K)),
            .exactly(.unsupportedTensorType(tensor: "blk.0.ffn_down.weight", type: "q8_K")))
        add("attn_q in q8_1", v.storing("blk.1.attn_q.weight", as: GGMLType(id: 9)!),
            .exactly(.unsupportedTensorType(tensor: "blk.1.attn_q.weight", type: "q8_1")))
        add("token_embd in i32", v.storing("token_embd.weight", as: GGMLType(id: 26)!),
            .exactly(.unsupportedTensorType(tensor: "token_embd.weight", type: "i32")))
        add("attn_norm in f16", v.storing("blk.0.attn_norm.weight", as: GGMLType(.f16)),
            .exactly(.unsupportedTensorType(tensor: "blk.0.attn_norm.weight", type: "f16 (norm weights must be f32)")))
        add("output_norm in bf16", v.storing("output_norm.weight", as: GGMLType(.bf16)),
            .exactly(.unsupportedTensorType(tensor: "output_norm.weight", type: "bf16 (norm weights must be f32)")))
        return out
    }()

    @Test func theUneditedTinyLlamaLoads() throws {
        #expect(try Self.loadError(TinyLlama.valid) == nil)
    }

    @Test(arguments: refusals)
    func unrunnableModelIsRefusedWithATypedError(_ refusal: Refusal) throws {
        let error = try withTemporaryFile("tiny-llama.gguf", contents: refusal.bytes) { path in
            modelFileError { () throws(ModelFileError) in _ = try Self.loadLlama(GGUFFile(path: path)) }
        }
        let thrown = try #require(error, "\(refusal.name): loaded without an error")
        #expect(refusal.expected.accepts(thrown), "\(refusal.name): expected \(refusal.expected), got \(thrown)")
    }

    /// GGUFFile accepts `general.alignment` 1 (as llama.cpp does), so F32 norm data can sit
    /// at any address; `LlamaWeights.vector` hands it out as `UnsafePointer<Float>`
    /// assuming 4-byte alignment. It must refuse such a file or not rely on the assumption.
    @Test func normWeightsInAFileAlignedTo1AreFloatAlignedOrRefused() throws {
        var writer = GGUFWriter(alignment: 1)
        for (key, value) in TinyLlama.valid.metadata { writer.add(key, value) }
        try writer.addTensor("pad", dims: [1], type: GGMLType(id: 24)!)  // one i8: shifts what follows by a byte
        for t in TinyLlama.valid.tensors { try writer.addTensor(t.name, dims: t.dims, type: t.type) }
        let bytes = writer.encode { _, buffer in buffer.initializeMemory(as: UInt8.self, repeating: 1) }
        try withTemporaryFile("aligned-1.gguf", contents: bytes) { path in
            let file = try GGUFFile(path: path)
            let result = Result { () throws(ModelFileError) in try Self.loadLlama(file) }
            switch result {
            case .failure(let error):
                #expect(error.kind == .misalignedTensor)
            case .success(let model):
                let norms = [model.weights.outputNorm] + model.weights.layers.flatMap { [$0.attention.norm, $0.ffn.norm] }
                #expect(norms.allSatisfy { Int(bitPattern: $0) % MemoryLayout<Float>.alignment == 0 })
            }
        }
    }

    // MARK: - Real files

    @Test func stories260KLoadsAsALlama() throws {
        let file = try GGUFFile(path: Fixtures.model("stories260K.gguf"))
        let model = try Self.loadLlama(file)
        #expect(model.config == LlamaConfig(dim: 64, hiddenDim: 172, layers: 5, heads: 8, kvHeads: 4, vocabularySize: 512,
                                            contextLength: 2048, normEpsilon: 1e-5, ropeBase: 10000, ropeDimensions: 8))
        #expect(!model.weights.tiedOutput)
        #expect(model.weights.output.data == file.unsafeData(of: file.tensor(named: "output.weight")!))
        #expect(model.weights.layers[4].ffn.down.data == file.unsafeData(of: file.tensor(named: "blk.4.ffn_down.weight")!))
    }

    @Test func vocabOnlyFilesAreNotRunnableModels() throws {
        let gpt2 = try GGUFFile(path: Fixtures.model("vocab/ggml-vocab-gpt-2.gguf"))
        #expect(throws: ModelFileError.unsupportedArchitecture("gpt2")) { _ = try ModelRegistry.decoder(gpt2) }
        let spm = try GGUFFile(path: Fixtures.model("vocab/ggml-vocab-llama-spm.gguf"))
        #expect(spm.tensors.isEmpty)
        #expect(throws: ModelFileError.missingTensor("token_embd.weight")) { _ = try ModelRegistry.decoder(spm) }
    }
}

/// Norm weights that are not numbers poison every output: refused at load, naming the tensor.
@Suite struct NonFiniteNormTests {
    @Test(arguments: [Float.nan, .infinity])
    func aNormWithANonFiniteValueIsALoadError(_ value: Float) throws {
        let source = Fixtures.model("stories260K.gguf")
        let path = Fixtures.temporaryPath("nonfinite-norm.gguf")
        try FileManager.default.copyItem(atPath: source, toPath: path)
        defer { unlink(path) }
        let original = try GGUFFile(path: source)
        let norm = try #require(original.tensor(named: "blk.1.ffn_norm.weight"))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seek(toOffset: UInt64(original.dataOffset) + UInt64(norm.offset) + 4 * 5)
        try handle.write(contentsOf: withUnsafeBytes(of: value.bitPattern.littleEndian) { Data($0) })
        try handle.close()
        #expect(throws: ModelFileError.nonFiniteValues(tensor: "blk.1.ffn_norm.weight", index: 5)) {
            _ = try ModelLoader.load(path: path)
        }
    }
}
