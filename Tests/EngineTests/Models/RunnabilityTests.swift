import Engine
import Foundation
import StrataRuntime
import Testing
import TestSupport

/// `strata inspect`'s verdict: a file Strata can run says so with its shape; one it cannot
/// names every reason (architecture, tensor types, tokenizer, layout), from the header alone.
@Suite struct RunnabilityTests {
    typealias TinyLlama = LlamaArchitectureValidationTests.TinyLlama

    /// The tiny llama with a 64-token SentencePiece vocabulary.
    static let runnable: TinyLlama = {
        let tokens = ["<unk>", "<s>", "</s>"] + (3..<64).map { "▁t\($0)" }
        return TinyLlama.valid
            .setting("tokenizer.ggml.model", .string("llama"))
            .setting("tokenizer.ggml.tokens", .array(elementType: .string, values: tokens.map { .string($0) }))
            .setting("tokenizer.ggml.scores", .array(elementType: .float32, values: tokens.indices.map { .float32(-Float($0)) }))
            .setting("tokenizer.ggml.token_type", .array(elementType: .int32, values: tokens.indices.map { .int32($0 < 3 ? 3 : 1) }))
    }()

    static func verdict(_ model: TinyLlama) throws -> Runnability {
        try withTemporaryFile("runnability.gguf", contents: model.encoded()) { path in Runnability(gguf: try GGUFFile(path: path)) }
    }

    @Test func aRunnableFileSaysWhatItRunsAs() throws {
        let r = try Self.verdict(Self.runnable)
        #expect(r.canRun, "\(r.problems)")
        #expect(r.report.hasPrefix("runnable: yes\n"))
        #expect(r.report.contains("llama: 2 layers, width 32, 4 heads (2 kv) of 8"))
        #expect(r.report.contains("64 tokens"))
    }

    @Test func everyReasonIsNamed() throws {
        // An unknown architecture, two unsupported tensor types and an unknown tokenizer model at once.
        let model = Self.runnable
            .setting("general.architecture", .string("mamba"))
            .tensor("blk.0.attn_q.weight", [256, 32], GGMLType(id: 16)!)   // IQ2_XXS (blocks of 256)
            .tensor("blk.1.attn_q.weight", [256, 32], GGMLType(id: 16)!)
            .tensor("blk.0.ffn_up.weight", [256, 256], GGMLType(id: 34)!)   // TQ1_0
            .setting("tokenizer.ggml.model", .string("rwkv"))
        let r = try Self.verdict(model)
        #expect(!r.canRun)
        #expect(r.report.hasPrefix("runnable: no\n"))
        #expect(r.problems.count == 3, "\(r.problems)")
        let text = r.problems.map(\.description)
        #expect(text.contains { $0.hasPrefix("architecture:") && $0.contains("mamba") && $0.contains("gemma3") })
        #expect(text.contains { $0.hasPrefix("tensor types:") && $0.contains("iq2_xxs (2 tensors, e.g. blk.0.attn_q.weight)") && $0.contains("tq1_0 (1 tensors") })
        #expect(text.contains { $0.hasPrefix("tokenizer:") && $0.contains("rwkv") })
    }

    @Test func aWrongLayoutIsNamedOnceTheRestPasses() throws {
        let r = try Self.verdict(Self.runnable.tensor("blk.1.ffn_down.weight", nil))
        #expect(r.problems == [.layout(ModelFileError.missingTensor("blk.1.ffn_down.weight").description)])
        let vocab = try Self.verdict(Self.runnable.tensor("token_embd.weight", [32, 65]).tensor("output.weight", [32, 65]))
        #expect(vocab.problems.count == 1 && vocab.problems[0].description.contains("64 tokens"), "\(vocab.problems)")
    }
}
