import Foundation
import Testing
@testable import Engine
import TestSupport

/// `Vocabulary(gguf:)`: the `tokenizer.ggml.*` keys, llama.cpp's defaults, and typed errors.
@Suite struct TokenizerVocabularyTests {
    /// Writes a tensor-less GGUF with `metadata` and reads its vocabulary.
    static func vocabulary(_ metadata: [(String, GGUFValue)]) throws -> Vocabulary {
        var writer = GGUFWriter()
        for (key, value) in metadata { writer.add(key, value) }
        let path = Fixtures.temporaryPath("vocab.gguf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try writer.write(to: path) { _, _ in }
        return try Vocabulary(gguf: GGUFFile(path: path))
    }

    static func strings(_ values: [String]) -> GGUFValue { .array(elementType: .string, values: values.map { .string($0) }) }
    static func int32s(_ values: [Int32]) -> GGUFValue { .array(elementType: .int32, values: values.map { .int32($0) }) }
    static func floats(_ values: [Float]) -> GGUFValue { .array(elementType: .float32, values: values.map { .float32($0) }) }

    static let llamaTokens = strings(["<unk>", "<s>", "</s>", "▁", "a", "▁a", "<0x0A>"])

    @Test func llamaDefaults() throws {
        let v = try Self.vocabulary([("tokenizer.ggml.model", .string("llama")), ("tokenizer.ggml.tokens", Self.llamaTokens)])
        #expect(v.kind == .llama && v.count == 7)
        #expect(v.bos == 1 && v.eos == 2 && v.unknown == 0 && v.padding == nil)
        #expect(v.addBOS && !v.addEOS && v.addSpacePrefix)
        #expect(v.scores == Array(repeating: 0, count: 7))
        #expect(v.types == Array(repeating: .normal, count: 7))
        #expect(v.merges.isEmpty && v.endOfGeneration == [2])
        // Without types, "<0x0A>" is still found by text for byte fallback.
        let tokenizer = try Tokenizer(vocabulary: v)
        #expect(tokenizer.encode("a\n", addBOS: true) == [1, 5, 6])
    }

    @Test func storedKeysOverrideDefaults() throws {
        let v = try Self.vocabulary([
            ("tokenizer.ggml.model", .string("llama")),
            ("tokenizer.ggml.tokens", Self.llamaTokens),
            ("tokenizer.ggml.scores", Self.int32s([0, 0, 0, -1, -2, -3, 0])),
            ("tokenizer.ggml.token_type", Self.int32s([2, 3, 3, 1, 1, 1, 6])),
            ("tokenizer.ggml.bos_token_id", .uint32(2)),
            ("tokenizer.ggml.eos_token_id", .uint32(1)),
            ("tokenizer.ggml.padding_token_id", .uint32(0xFFFF_FFFF)),  // out of range: ignored
            ("tokenizer.ggml.unknown_token_id", .int32(-1)),  // out of range: default kept
            ("tokenizer.ggml.eot_token_id", .uint32(4)),
            ("tokenizer.ggml.add_bos_token", .bool(false)),
            ("tokenizer.ggml.add_space_prefix", .bool(false)),
        ])
        #expect(v.scores == [0, 0, 0, -1, -2, -3, 0])
        #expect(v.types == [.unknown, .control, .control, .normal, .normal, .normal, .byte])
        #expect(v.bos == 2 && v.eos == 1 && v.unknown == 0 && v.padding == nil)
        #expect(!v.addBOS && !v.addSpacePrefix)
        #expect(v.endOfGeneration == [1, 2, 4], "EOS, EOT, and </s> by its text")
        let tokenizer = try Tokenizer(vocabulary: v)
        #expect(tokenizer.encode("a", addBOS: false) == [4], "no dummy prefix")
        #expect(tokenizer.decode([5]) == " a", "nothing to strip without a dummy prefix")
    }

    @Test func gpt2Defaults() throws {
        let tokens = (0..<12).map { "t\($0)" } + ["a", "b", "ab"]
        let v = try Self.vocabulary([
            ("tokenizer.ggml.model", .string("gpt2")),
            ("tokenizer.ggml.tokens", Self.strings(tokens)),
            ("tokenizer.ggml.merges", Self.strings(["a b"])),
        ])
        #expect(v.kind == .gpt2 && v.bos == 11 && v.eos == 11 && v.unknown == nil)
        #expect(!v.addBOS && !v.addSpacePrefix)
        #expect(try Tokenizer(vocabulary: v).encode("ab", addBOS: false) == [14])
    }

    @Test func missingAndMistypedKeysThrow() throws {
        #expect(throws: ModelFileError.missingKey("tokenizer.ggml.model")) {
            try Self.vocabulary([("tokenizer.ggml.tokens", Self.llamaTokens)])
        }
        #expect(throws: ModelFileError.missingKey("tokenizer.ggml.tokens")) {
            try Self.vocabulary([("tokenizer.ggml.model", .string("llama"))])
        }
        #expect(throws: ModelFileError.missingKey("tokenizer.ggml.merges")) {
            try Self.vocabulary([("tokenizer.ggml.model", .string("gpt2")), ("tokenizer.ggml.tokens", Self.llamaTokens)])
        }
        #expect(throws: ModelFileError.wrongKeyType(key: "tokenizer.ggml.tokens", expected: "an array of strings")) {
            try Self.vocabulary([("tokenizer.ggml.model", .string("llama")), ("tokenizer.ggml.tokens", Self.int32s([1, 2]))])
        }
        #expect(throws: ModelFileError.wrongKeyType(key: "tokenizer.ggml.model", expected: "a string")) {
            try Self.vocabulary([("tokenizer.ggml.model", .int32(1)), ("tokenizer.ggml.tokens", Self.llamaTokens)])
        }
        #expect(throws: ModelFileError.wrongKeyType(key: "tokenizer.ggml.bos_token_id", expected: "an integer token id")) {
            try Self.vocabulary([("tokenizer.ggml.model", .string("llama")), ("tokenizer.ggml.tokens", Self.llamaTokens),
                                 ("tokenizer.ggml.bos_token_id", .string("1"))])
        }
        #expect(throws: ModelFileError.wrongKeyType(key: "tokenizer.ggml.add_bos_token", expected: "a bool")) {
            try Self.vocabulary([("tokenizer.ggml.model", .string("llama")), ("tokenizer.ggml.tokens", Self.llamaTokens),
                                 ("tokenizer.ggml.add_bos_token", .uint8(1))])
        }
        #expect(throws: ModelFileError.wrongKeyType(key: "tokenizer.ggml.scores", expected: "an array of f32 or i32")) {
            try Self.vocabulary([("tokenizer.ggml.model", .string("llama")), ("tokenizer.ggml.tokens", Self.llamaTokens),
                                 ("tokenizer.ggml.scores", Self.llamaTokens)])
        }
    }

    @Test func inconsistentDataThrows() throws {
        #expect(throws: ModelFileError.invalidTokenizer("tokenizer model 'bert' is not supported (supported: llama, gpt2)")) {
            try Self.vocabulary([("tokenizer.ggml.model", .string("bert")), ("tokenizer.ggml.tokens", Self.llamaTokens)])
        }
        let supported = Vocabulary.preTokenizers.keys.sorted().joined(separator: ", ")
        #expect(throws: ModelFileError.invalidTokenizer("pre-tokenizer 'tekken' is not supported (supported: \(supported))")) {
            try Self.vocabulary([("tokenizer.ggml.model", .string("gpt2")), ("tokenizer.ggml.pre", .string("tekken")),
                                 ("tokenizer.ggml.tokens", Self.llamaTokens), ("tokenizer.ggml.merges", Self.strings(["a b"]))])
        }
        // A byte-level file that names no pre-tokenizer gets llama.cpp's `default`.
        let unnamed = try Self.vocabulary([("tokenizer.ggml.model", .string("gpt2")),
                                           ("tokenizer.ggml.tokens", Self.llamaTokens), ("tokenizer.ggml.merges", Self.strings(["a b"]))])
        #expect(unnamed.preTokenizer == .bpeDefault)
        #expect(throws: ModelFileError.invalidTokenizer("3 scores for 7 tokens")) {
            try Self.vocabulary([("tokenizer.ggml.model", .string("llama")), ("tokenizer.ggml.tokens", Self.llamaTokens),
                                 ("tokenizer.ggml.scores", Self.floats([0, 0, 0]))])
        }
        #expect(throws: ModelFileError.duplicate(what: "token", name: "a")) {
            try Self.vocabulary([("tokenizer.ggml.model", .string("llama")), ("tokenizer.ggml.tokens", Self.strings(["<unk>", "<s>", "</s>", "a", "a"]))])
        }
        // add_bos_token with no BOS in range.
        #expect(throws: ModelFileError.invalidTokenizer("prompts should start with BOS, but the vocabulary has none")) {
            try Self.vocabulary([("tokenizer.ggml.model", .string("llama")), ("tokenizer.ggml.tokens", Self.strings(["<unk>"]))])
        }
        #expect(throws: ModelFileError.invalidTokenizer("the vocabulary has no tokens")) {
            try Self.vocabulary([("tokenizer.ggml.model", .string("llama")), ("tokenizer.ggml.tokens", Self.strings([]))])
        }
        #expect(throws: ModelFileError.invalidTokenizer("merge 0 'ab' is not two pieces separated by a space")) {
            try Tokenizer(vocabulary: Self.vocabulary([
                ("tokenizer.ggml.model", .string("gpt2")), ("tokenizer.ggml.tokens", Self.strings(["a", "b", "ab"])),
                ("tokenizer.ggml.merges", Self.strings(["ab"]))]))
        }
    }

    /// Texts compare byte for byte: precomposed and decomposed é are different tokens.
    @Test func canonicallyEquivalentTokensAreDistinct() throws {
        let v = try Self.vocabulary([("tokenizer.ggml.model", .string("llama")),
                                     ("tokenizer.ggml.tokens", Self.strings(["<unk>", "<s>", "</s>", "\u{E9}", "e\u{301}", "e", "\u{301}"]))])
        let tokenizer = try Tokenizer(vocabulary: v)
        #expect(tokenizer.vocabulary.addSpacePrefix)
        let noPrefix = try Tokenizer(vocabulary: Vocabulary(
            kind: .llama, tokens: v.tokens, bos: 1, eos: 2, unknown: 0, addBOS: false, addSpacePrefix: false))
        #expect(noPrefix.encode("\u{E9}", addBOS: false) == [3])
        #expect(noPrefix.encode("e\u{301}", addBOS: false) == [4])
    }

    /// Empty texts become `[EMPTY_<id>]`, as in llama.cpp.
    @Test func emptyTokensAreRenamed() throws {
        let v = try Self.vocabulary([("tokenizer.ggml.model", .string("llama")),
                                     ("tokenizer.ggml.tokens", Self.strings(["<unk>", "<s>", "</s>", ""]))])
        #expect(v.tokens[3] == "[EMPTY_3]")
    }

    @Test func controlTextIsPlainText() throws {
        let llama = try TokenizerFixtures.llamaSPM.get()
        let ids = llama.encode("<s>hi</s>", addBOS: false)
        #expect(!ids.contains(1) && !ids.contains(2))
        #expect(llama.decode(ids) == "<s>hi</s>")
    }
}
