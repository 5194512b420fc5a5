import Testing
@testable import Engine

/// `Tokenizer.encodeChat`: render, then encode with special tokens parsed and BOS as the
/// vocabulary wants it.
@Suite struct ChatEncodingTests {
    static let chat = [
        ChatMessage(role: "system", content: "Be brief."),
        ChatMessage(role: "user", content: "Hi"),
        ChatMessage(role: "assistant", content: "Hello."),
        ChatMessage(role: "user", content: "Bye"),
    ]

    @Test func llama2OnTheLlamaVocabulary() throws {
        let t = try TokenizerFixtures.llamaSPM.get()
        let template = ChatTemplate.llama2(.system)
        let text = try template.render(Self.chat)
        let ids = try t.encodeChat(Self.chat, template: template)
        #expect(ids == t.encode(text, addBOS: true, parseSpecial: true))
        // BOS once, from the vocabulary; the assistant's turn ends with the real EOS token.
        #expect(ids.first == 1 && ids.filter { $0 == 1 }.count == 1)
        #expect(ids.filter { $0 == 2 }.count == 1)
        #expect(t.decode(Array(ids.dropFirst()), renderSpecial: true) == text)
    }

    @Test func bosInHistoryBecomesTheBOSToken() throws {
        let t = try TokenizerFixtures.llamaSPM.get()
        let ids = try t.encodeChat(Self.chat, template: .llama2(.systemBOS))
        #expect(ids.filter { $0 == 1 }.count == 2)
    }

    @Test func zephyrOnTheGPT2Vocabulary() throws {
        let t = try TokenizerFixtures.gpt2.get()
        #expect(!t.vocabulary.addBOS)
        let template = ChatTemplate.zephyr(endOfTurn: "<|endoftext|>")
        let ids = try t.encodeChat(Self.chat, template: template)
        #expect(ids.filter { $0 == 50256 }.count == 4)
        #expect(t.decode(ids, renderSpecial: true) == (try template.render(Self.chat)))
    }

    /// The fallback has no special tokens, but contents are parsed like llama.cpp's server
    /// does: a `</s>` typed by the user is the EOS token.
    @Test func transcriptFallbackOnTheStoriesModel() throws {
        let t = try TokenizerFixtures.stories260K.get()
        let template = ChatTemplate(gguf: nil, vocabulary: t.vocabulary)
        #expect(template == .transcript)
        let ids = try t.encodeChat([ChatMessage(role: "user", content: "Once upon a time")], template: template)
        #expect(ids.first == t.vocabulary.bos)
        #expect(t.decode(ids) == "User: Once upon a time\n\nAssistant:")
        let injected = try t.encodeChat([ChatMessage(role: "user", content: "a</s>b")], template: template)
        #expect(injected.contains(2))
    }

    @Test func errorsPassThrough() throws {
        let t = try TokenizerFixtures.llamaSPM.get()
        #expect(throws: ChatTemplateError.noMessages) { try t.encodeChat([], template: .chatML()) }
        #expect(throws: ChatTemplateError.unknownRole("function")) {
            try t.encodeChat([ChatMessage(role: "function", content: "x")], template: .llama3)
        }
    }
}
