import Testing
@testable import Engine

/// `encode(_:addBOS:parseSpecial:)` against llama.cpp's `tokenizer_st_partition` and its
/// SentencePiece fragment handling (`llama_vocab::impl::tokenize`, `is_prev_special`).
@Suite struct TokenizerSpecialTokenTests {
    // MARK: llama-spm: <unk> 0 (unknown), <s> 1 and </s> 2 (control)

    @Test func llamaSPMParsesControlTokens() throws {
        let t = try TokenizerFixtures.llamaSPM.get()
        let hello = t.encode("Hello", addBOS: false)
        #expect(t.encode("<s>Hello</s>", addBOS: false, parseSpecial: true) == [1] + hello + [2])
        #expect(t.encode("<s>Hello</s>", addBOS: true, parseSpecial: true) == [1, 1] + hello + [2])
        // Without parsing, "<s>" is text.
        let plain = t.encode("<s>Hello</s>", addBOS: false, parseSpecial: false)
        #expect(plain == t.encode("<s>Hello</s>", addBOS: false))
        #expect(!plain.contains(1) && !plain.contains(2))
    }

    /// llama.cpp prefixes the dummy space to every text fragment that starts the text or
    /// follows a special token (`is_prev_special`), not only to the first.
    @Test func llamaSPMPrefixesEveryFragmentAfterASpecialToken() throws {
        let t = try TokenizerFixtures.llamaSPM.get()
        let ids = t.encode("Hi</s>there</s> x", addBOS: false, parseSpecial: true)
        #expect(ids == t.encode("Hi", addBOS: false) + [2] + t.encode("there", addBOS: false) + [2] + t.encode(" x", addBOS: false))
        #expect(t.pieceBytes(ids[ids.firstIndex(of: 2)! + 1]).first == 0x20)
    }

    /// llama.cpp's special-token cache includes the unknown token.
    @Test func llamaSPMParsesTheUnknownToken() throws {
        let t = try TokenizerFixtures.llamaSPM.get()
        #expect(t.encode("<unk>", addBOS: false, parseSpecial: true) == [0])
        #expect(t.isSpecial(0) && t.isSpecial(1) && t.isSpecial(2) && !t.isSpecial(3))
    }

    @Test func onlySpecialTokensAndEmptyText() throws {
        let t = try TokenizerFixtures.llamaSPM.get()
        #expect(t.encode("</s></s><s>", addBOS: false, parseSpecial: true) == [2, 2, 1])
        #expect(t.encode("", addBOS: true, parseSpecial: true) == [1])
        #expect(t.encode("", addBOS: false, parseSpecial: true) == [])
    }

    /// With no special text in the input, parsing changes nothing (llama.cpp's goldens).
    @Test func goldenCasesEncodeTheSameWithParsing() throws {
        for (tokenizer, cases) in [(try TokenizerFixtures.llamaSPM.get(), TokenizerFixtures.llamaSPMCases),
                                   (try TokenizerFixtures.gpt2.get(), TokenizerFixtures.gpt2Cases)] {
            let specials = tokenizer.vocabulary.tokens.indices.filter { tokenizer.isSpecial(TokenID($0)) }
                .map { tokenizer.vocabulary.tokens[$0] }
            #expect(!specials.isEmpty)
            for c in cases where !specials.contains(where: { c.text.contains($0) }) {
                #expect(tokenizer.encode(c.text, addBOS: false, parseSpecial: true) == c.ids, "\(c.testDescription)")
            }
        }
    }

    // MARK: gpt-2: <|endoftext|> 50256 (control)

    @Test func gpt2ParsesEndOfText() throws {
        let t = try TokenizerFixtures.gpt2.get()
        let ids = t.encode("Hello<|endoftext|> world", addBOS: false, parseSpecial: true)
        #expect(ids == t.encode("Hello", addBOS: false) + [50256] + t.encode(" world", addBOS: false))
        #expect(!t.encode("Hello<|endoftext|>", addBOS: false).contains(50256))
        // A partial special text stays text.
        #expect(!t.encode("<|endoftext|", addBOS: false, parseSpecial: true).contains(50256))
    }

    // MARK: round trips

    @Test(arguments: [
        "<s>Hello</s>", "Hi</s>there", "</s> leading space", "a<s>b<s>c", "<s></s>", "no specials at all",
        "  two spaces</s>  after", "émoji 😀</s>日本語", "<unk>?", "<s", "s></s>>",
    ])
    func llamaSPMRoundTrips(_ text: String) throws {
        let t = try TokenizerFixtures.llamaSPM.get()
        let ids = t.encode(text, addBOS: false, parseSpecial: true)
        #expect(Array(t.decode(ids, renderSpecial: true).utf8) == Array(text.utf8))
    }

    @Test(arguments: ["Hello<|endoftext|> world", "<|endoftext|><|endoftext|>", "x<|endoftext|>", "ünï<|endoftext|>\n"])
    func gpt2RoundTrips(_ text: String) throws {
        let t = try TokenizerFixtures.gpt2.get()
        let ids = t.encode(text, addBOS: false, parseSpecial: true)
        #expect(t.decode(ids, renderSpecial: true) == text)
        #expect(t.decode(ids) == text.replacingAll("<|endoftext|>", with: ""))
    }

    // MARK: the partition itself, on a made-up vocabulary

    /// Control `<|im_start|>`, `<|im_end|>`, `xy`, `yzw`; user-defined `<|im`; normal the rest.
    static func partitioner() throws -> SpecialTokenPartitioner {
        let tokens = ["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>", "<|im", "xy", "yzw", "a", "b"]
        let types: [TokenType] = [.unknown, .control, .control, .control, .control, .userDefined, .control, .control, .normal, .normal]
        let vocabulary = try Vocabulary(kind: .llama, tokens: tokens, types: types, bos: 1, eos: 2, unknown: 0, addBOS: true, addSpacePrefix: true)
        return SpecialTokenPartitioner(vocabulary: vocabulary)
    }

    static func partition(_ text: String) throws -> [SpecialTokenPartitioner.Fragment] {
        let p = try partitioner()
        return Array(text.utf8).withUnsafeBufferPointer { p.partition($0) }
    }

    @Test func longestSpecialTextWins() throws {
        #expect(try Self.partition("<|im_start|>a") == [.token(3), .text(12..<13)])
        #expect(try Self.partition("<|imb") == [.token(5), .text(4..<5)])
        #expect(try Self.partition("a<|im_end|><|im") == [.text(0..<1), .token(4), .token(5)])
    }

    /// llama.cpp applies longer tokens first over the whole text, not leftmost-first:
    /// in `"xyzw"` the longer `yzw` claims its bytes before `xy` is looked for.
    @Test func longerTokensClaimTheirOccurrencesFirst() throws {
        #expect(try Self.partition("xyzw") == [.text(0..<1), .token(7)])
        #expect(try Self.partition("xyxyzw") == [.token(6), .text(2..<3), .token(7)])
    }

    @Test func occurrencesDoNotOverlap() throws {
        // "yzwzw": one yzw, then text. "xyyzw": xy? no, yzw first at 2, then "xy" at 0.
        #expect(try Self.partition("yzwzw") == [.token(7), .text(3..<5)])
        #expect(try Self.partition("xyyzw") == [.token(6), .token(7)])
        #expect(try Self.partition("ab") == [.text(0..<2)])
        #expect(try Self.partition("") == [])
    }

    /// Many special tokens in a long text come out in order, each once.
    @Test func longInputWithManySpecialTokens() throws {
        let t = try TokenizerFixtures.llamaSPM.get()
        let text = String(repeating: "<s>word </s>", count: 2000)
        let ids = t.encode(text, addBOS: false, parseSpecial: true)
        #expect(ids.filter { $0 == 1 }.count == 2000)
        #expect(ids.filter { $0 == 2 }.count == 2000)
        #expect(t.decode(ids, renderSpecial: true) == text)
    }
}

private extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
