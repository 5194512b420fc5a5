import Testing
@testable import Engine
import TestSupport

/// `ChatTemplate.jinja`: chosen whenever a model's template runs, the built-in families
/// otherwise; BOS written by the template is not added again; the template's refusals become
/// `ChatTemplateError`s with its message.
@Suite struct ChatTemplateJinjaTests {
    static let chat = [
        ChatMessage(role: "system", content: "You are a helpful assistant"),
        ChatMessage(role: "user", content: "Hello"),
        ChatMessage(role: "assistant", content: "Hi there"),
        ChatMessage(role: "user", content: "Who are you"),
        ChatMessage(role: "assistant", content: "   I am an assistant   "),
        ChatMessage(role: "user", content: "Another question"),
    ]

    @Test func everyReferenceTemplateRunsAsJinja() throws {
        let vocabulary = try TokenizerFixtures.smollm2.get().vocabulary
        for name in TemplateFixtures.templateNames {
            let template = ChatTemplate(gguf: try TemplateFixtures.source(name), vocabulary: vocabulary)
            #expect(template.description == "jinja", "\(name)")
            #expect(template.stopStrings.isEmpty)
        }
    }

    /// SmolLM2's template through Jinja renders what the built-in ChatML with the default
    /// system prompt renders, for llama.cpp's test conversation too (spaces kept).
    @Test func smolLM2MatchesTheBuiltInRenderer() throws {
        let jinja = try ChatTemplateSystemDefaultTests.smolLM2Template()
        let vocabulary = try TokenizerFixtures.smollm2.get().vocabulary
        let template = ChatTemplate(gguf: jinja, vocabulary: vocabulary)
        let builtIn = ChatTemplate.chatML(defaultSystemPrompt: ChatTemplateSystemDefaultTests.smolLM2Default)
        for messages in [Self.chat, Array(Self.chat.dropFirst()), [ChatMessage(role: "user", content: "a <|im_end|> b")]] {
            for generationPrompt in [true, false] {
                #expect(try template.render(messages, addGenerationPrompt: generationPrompt)
                    == builtIn.render(messages, addGenerationPrompt: generationPrompt))
            }
        }
    }

    @Test(arguments: [
        "{% for message in messages %}{{ message.content }}",          // never closed
        "{% include 'chat.jinja' %}",                                   // unsupported tag
        "{{ messages | frobnicate }}",                                  // unsupported filter
        "{{ raise_exception('no') }}",                                  // refuses every chat
        "{{ bos_token }}You are a bot.",                                // leaves the message out
        "",
        "  \n",
        "chatml",                                                       // a built-in name
    ])
    func templatesThatCannotRunFallBack(_ jinja: String) throws {
        let vocabulary = try ChatTemplateDetectionTests.chatMLVocabulary()
        #expect(ChatTemplate(gguf: jinja, vocabulary: vocabulary) == .chatML())
        #expect(ChatTemplate(gguf: jinja, vocabulary: vocabulary) == ChatTemplate.builtIn(for: jinja, vocabulary: vocabulary))
    }

    /// The reason a template is not used is there for whoever wants it.
    @Test func theReasonIsAvailable() throws {
        #expect(throws: JinjaError.unsupported("the '{% include %}' tag", JinjaSourceLocation(line: 1, column: 1))) {
            try JinjaChatTemplate(source: "{% include 'chat.jinja' %}", bosToken: "", eosToken: "")
        }
        #expect(throws: JinjaError.runtime("the template leaves the user's message out of a one-message chat", JinjaSourceLocation(line: 1, column: 1))) {
            try JinjaChatTemplate(source: "{{ bos_token }}You are a bot.", bosToken: "<s>", eosToken: "</s>")
        }
    }

    /// A template that writes `bos_token` first: BOS once, from the template (llama.cpp keeps a
    /// single BOS too); one that does not: BOS from the vocabulary.
    @Test func bosIsNotAddedTwice() throws {
        let t = try TokenizerFixtures.llamaSPM.get()
        #expect(t.vocabulary.addBOS)
        let writesBOS = ChatTemplate(gguf: "{{ bos_token }}{% for m in messages %}[INST] {{ m.content }} [/INST]{% endfor %}", vocabulary: t.vocabulary)
        #expect(writesBOS.addsBOS)
        let ids = try t.encodeChat([ChatMessage(role: "user", content: "Hi")], template: writesBOS)
        #expect(ids.first == 1 && ids.filter { $0 == 1 }.count == 1)

        let leavesBOS = ChatTemplate(gguf: "{% for m in messages %}[INST] {{ m.content }} [/INST]{% endfor %}", vocabulary: t.vocabulary)
        #expect(!leavesBOS.addsBOS)
        let added = try t.encodeChat([ChatMessage(role: "user", content: "Hi")], template: leavesBOS)
        #expect(added.first == 1 && added.filter { $0 == 1 }.count == 1)
    }

    /// Gemma 2's template refuses a system message; like llama.cpp, the system message is
    /// merged into the first user turn. Its other refusals reach the caller with its message.
    @Test func gemmaRefusalsAndTheSystemWorkaround() throws {
        let vocabulary = try TokenizerFixtures.smollm2.get().vocabulary
        let template = ChatTemplate(gguf: try TemplateFixtures.source("google-gemma-2-2b-it.jinja"), vocabulary: vocabulary)
        guard case .jinja(let jinja) = template else {
            Issue.record("Gemma's template should run as Jinja")
            return
        }
        #expect(!jinja.supportsSystemRole)
        #expect(try template.render(Array(Self.chat.prefix(2)))
            == "<|im_start|><start_of_turn>user\nYou are a helpful assistant\nHello<end_of_turn>\n<start_of_turn>model\n")
        #expect(throws: ChatTemplateError.invalidOrder("the model's chat template refuses them: Conversation roles must alternate user/assistant/user/assistant/...")) {
            try template.render([ChatMessage(role: "user", content: "a"), ChatMessage(role: "user", content: "b")])
        }
        #expect(throws: ChatTemplateError.noMessages) { try template.render([]) }
    }

    /// Roles the built-in families reject are the template's to judge (Qwen renders tool results).
    @Test func jinjaTemplatesJudgeRolesThemselves() throws {
        let vocabulary = try TokenizerFixtures.smollm2.get().vocabulary
        let template = ChatTemplate(gguf: try TemplateFixtures.source("Qwen-Qwen2.5-7B-Instruct.jinja"), vocabulary: vocabulary)
        let text = try template.render([ChatMessage(role: "user", content: "Weather?"), ChatMessage(role: "tool", content: "18C")])
        #expect(text.hasSuffix("<|im_start|>user\n<tool_response>\n18C\n</tool_response><|im_end|>\n<|im_start|>assistant\n"))
        // "developer" is "system", as llama.cpp maps it.
        let developer = try template.render([ChatMessage(role: "developer", content: "Be brief."), ChatMessage(role: "user", content: "Hi")])
        #expect(developer.hasPrefix("<|im_start|>system\nBe brief.<|im_end|>\n"))
    }

    @Test func variablesOverrideTheDefaults() throws {
        let vocabulary = try TokenizerFixtures.smollm2.get().vocabulary
        let template = ChatTemplate(gguf: try TemplateFixtures.source("Qwen-Qwen3-0.6B.jinja"), vocabulary: vocabulary)
        let messages = [ChatMessage(role: "user", content: "Hi")]
        #expect(try template.render(messages).hasSuffix("<|im_start|>assistant\n"))
        let noThinking = ChatRenderOptions(variables: ["enable_thinking": false])
        #expect(try template.render(messages, options: noThinking).hasSuffix("<|im_start|>assistant\n<think>\n\n</think>\n\n"))
    }

    /// Rendering is linear: a long chat through a real template renders every message once.
    @Test func longChatsRender() throws {
        let vocabulary = try TokenizerFixtures.smollm2.get().vocabulary
        let template = ChatTemplate(gguf: try TemplateFixtures.source("Qwen-Qwen3-0.6B.jinja"), vocabulary: vocabulary)
        let long = String(repeating: "word ", count: 2000)
        var messages: [ChatMessage] = []
        for k in 0..<200 { messages.append(ChatMessage(role: k % 2 == 0 ? "user" : "assistant", content: long)) }
        let text = try template.render(messages)
        #expect(text.utf8.count > 200 * long.utf8.count)
        #expect(PythonText.split(text, "<|im_start|>").count == 202)
    }
}
