import Testing
@testable import Engine

/// llama.cpp's vocabulary goldens: every case must encode to exactly Hugging Face's ids and
/// decode back to its text, byte for byte.
@Suite struct TokenizerGoldenTests {
    @Test func goldenFilesHave46CasesEach() {
        #expect(TokenizerFixtures.llamaSPMCases.count == 46)
        #expect(TokenizerFixtures.gpt2Cases.count == 46)
        #expect(TokenizerFixtures.smollm2Cases.count == 46)
    }

    @Test(arguments: TokenizerFixtures.llamaSPMCases)
    func llamaSPMEncodesLikeHuggingFace(_ c: TokenizerFixtures.Case) throws {
        let tokenizer = try TokenizerFixtures.llamaSPM.get()
        #expect(tokenizer.encode(c.text, addBOS: false) == c.ids)
    }

    /// Decoding drops the dummy-prefix space that encoding added (Hugging Face's
    /// `Strip(" ", 1, 0)` decoder, llama.cpp's `remove_space`), so every case round-trips,
    /// with and without BOS.
    @Test(arguments: TokenizerFixtures.llamaSPMCases)
    func llamaSPMRoundTrips(_ c: TokenizerFixtures.Case) throws {
        let tokenizer = try TokenizerFixtures.llamaSPM.get()
        #expect(Array(tokenizer.decode(c.ids).utf8) == Array(c.text.utf8))
        #expect(Array(tokenizer.decode(tokenizer.encode(c.text, addBOS: true)).utf8) == Array(c.text.utf8))
    }

    @Test(arguments: TokenizerFixtures.gpt2Cases)
    func gpt2EncodesLikeHuggingFace(_ c: TokenizerFixtures.Case) throws {
        let tokenizer = try TokenizerFixtures.gpt2.get()
        #expect(tokenizer.encode(c.text, addBOS: false) == c.ids)
    }

    /// No `clean_up_tokenization_spaces`: llama.cpp applies it for gpt2 (`" ?"` -> `"?"`),
    /// which would break the round trip of cases such as #32 (`"you 😁 ?"`).
    @Test(arguments: TokenizerFixtures.gpt2Cases)
    func gpt2RoundTrips(_ c: TokenizerFixtures.Case) throws {
        let tokenizer = try TokenizerFixtures.gpt2.get()
        #expect(Array(tokenizer.decode(c.ids).utf8) == Array(c.text.utf8))
    }

    /// SmolLM2 (`smollm`: digits isolated, then GPT-2's pattern), against llama.cpp b11312's
    /// `llama-tokenize --ids --no-bos --no-parse-special`.
    @Test(arguments: TokenizerFixtures.smollm2Cases)
    func smollm2EncodesLikeLlamaCpp(_ c: TokenizerFixtures.Case) throws {
        let tokenizer = try TokenizerFixtures.smollm2.get()
        #expect(tokenizer.vocabulary.preTokenizer == .isolatedDigits)
        #expect(tokenizer.encode(c.text, addBOS: false) == c.ids)
    }

    /// Decoding round-trips every case (llama.cpp's `smollm` does not clean up spaces either).
    @Test(arguments: TokenizerFixtures.smollm2Cases)
    func smollm2RoundTrips(_ c: TokenizerFixtures.Case) throws {
        let tokenizer = try TokenizerFixtures.smollm2.get()
        #expect(Array(tokenizer.decode(c.ids).utf8) == Array(c.text.utf8))
    }

    /// The Llama 2 vocabulary from llama2.c's `tokenizer.bin` is the GGUF one, converted.
    @Test func llama2cVocabularyEqualsGGUF() throws {
        let bin = try TokenizerFixtures.llama2c.get().vocabulary
        let gguf = try TokenizerFixtures.llamaSPM.get().vocabulary
        #expect(bin.tokens == gguf.tokens)
        #expect(bin.scores == gguf.scores)
        #expect(bin.types == gguf.types)
        #expect(bin.bos == gguf.bos && bin.eos == gguf.eos && bin.unknown == gguf.unknown)
        #expect(bin.addBOS == gguf.addBOS && bin.addSpacePrefix == gguf.addSpacePrefix)
    }

    @Test(arguments: TokenizerFixtures.llamaSPMCases)
    func llama2cEncodesLikeGGUF(_ c: TokenizerFixtures.Case) throws {
        let bin = try TokenizerFixtures.llama2c.get()
        let gguf = try TokenizerFixtures.llamaSPM.get()
        #expect(bin.encode(c.text, addBOS: false) == c.ids)
        #expect(bin.encode(c.text, addBOS: true) == gguf.encode(c.text, addBOS: true))
    }
}
