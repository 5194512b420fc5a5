import Testing
@testable import Engine
import TestSupport

/// ChatML templates that write a default system message when the conversation has none:
/// the built-in family reads the text from the template (no Jinja evaluated) and renders as
/// llama.cpp's Jinja engine renders the template; the template run as Jinja (what
/// `ChatTemplate(gguf:vocabulary:)` now chooses) renders the same.
@Suite struct ChatTemplateSystemDefaultTests {
    static let smolLM2Default = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"

    /// SmolLM2's template, as its GGUF stores it (`models/vocab/ggml-vocab-smollm2.gguf`).
    static func smolLM2Template() throws -> String {
        let file = try GGUFFile(path: Fixtures.model("vocab/ggml-vocab-smollm2.gguf"))
        return try #require(file.metadata[ChatTemplate.metadataKey]?.string)
    }

    @Test func smolLM2TemplateIsChatMLWithItsDefault() throws {
        let jinja = try Self.smolLM2Template()
        #expect(ChatTemplate.systemDefault(inChatML: jinja) == .text(Self.smolLM2Default))
        let vocabulary = try TokenizerFixtures.smollm2.get().vocabulary
        #expect(ChatTemplate.builtIn(for: jinja, vocabulary: vocabulary) == .chatML(defaultSystemPrompt: Self.smolLM2Default))
        guard case .jinja(let template) = ChatTemplate(gguf: jinja, vocabulary: vocabulary) else {
            Issue.record("SmolLM2's template should run as Jinja")
            return
        }
        #expect(template.bosToken == "<|im_start|>" && template.eosToken == "<|im_end|>")
    }

    /// The reference's three chats render to exactly the prompt llama.cpp's Jinja engine
    /// made from the same template; the default system message appears only in the chat
    /// without one.
    @Test(arguments: ["user_only", "system_user", "multi_turn"])
    func smolLM2RendersLikeLlamaCppJinja(name: String) throws {
        let chat = try #require(SmolLM2Reference.shared.chat[name])
        let tokenizer = try TokenizerFixtures.smollm2.get()
        let template = ChatTemplate(gguf: try Self.smolLM2Template(), vocabulary: tokenizer.vocabulary)
        #expect(template.description == "jinja")
        #expect(try template.render(chat.chatMessages) == chat.renderedPrompt)
        // The built-in ChatML with the default it reads renders the same text.
        let builtIn = ChatTemplate.builtIn(for: try Self.smolLM2Template(), vocabulary: tokenizer.vocabulary)
        #expect(try builtIn.render(chat.chatMessages) == chat.renderedPrompt)
        #expect(chat.renderedPrompt.contains(Self.smolLM2Default) == (name == "user_only"))
        // Special tokens become tokens, and the turn's end is SmolLM2's end of generation.
        let ids = try tokenizer.encodeChat(chat.chatMessages, template: template)
        #expect(ids.first == 1 && tokenizer.vocabulary.tokens[1] == "<|im_start|>")
        #expect(tokenizer.isEndOfGeneration(2) && tokenizer.vocabulary.tokens[2] == "<|im_end|>")
        #expect(tokenizer.decode(ids, renderSpecial: true) == chat.renderedPrompt)
    }

    /// Qwen2.5-Instruct's template (without its tools branch): the default sits in the
    /// `else` of `messages[0]['role'] == 'system'`. Expected renders by llama.cpp b11312's
    /// Jinja engine (`models/templates/rendered.json` of the shared reference data).
    @Test func qwen25DefaultIsReadToo() throws {
        let jinja = """
            {%- if messages[0]['role'] == 'system' %}
                {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}
            {%- else %}
                {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}
            {%- endif %}
            {%- for message in messages %}
                {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}
                    {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}
                {%- endif %}
            {%- endfor %}
            {%- if add_generation_prompt %}
                {{- '<|im_start|>assistant\\n' }}
            {%- endif %}
            """
        let qwen = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."
        #expect(ChatTemplate.systemDefault(inChatML: jinja) == .text(qwen))
        let vocabulary = try TokenizerFixtures.smollm2.get().vocabulary
        #expect(ChatTemplate.builtIn(for: jinja, vocabulary: vocabulary) == .chatML(defaultSystemPrompt: qwen))
        for template in [ChatTemplate.builtIn(for: jinja, vocabulary: vocabulary), ChatTemplate(gguf: jinja, vocabulary: vocabulary)] {
            #expect(try template.render([ChatMessage(role: "user", content: "What is the capital of France?")])
                == "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n")
            #expect(try template.render([ChatMessage(role: "system", content: "You are a terse assistant."), ChatMessage(role: "user", content: "Name three primary colors.")])
                == "<|im_start|>system\nYou are a terse assistant.<|im_end|>\n<|im_start|>user\nName three primary colors.<|im_end|>\n<|im_start|>assistant\n")
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let jinja: String
        let expected: ChatTemplate.SystemDefault
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "plain ChatML (no default)", jinja: """
            {% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}
            """, expected: .absent),
        Case(name: "Qwen3: the system turn holds only the conversation's own message", jinja: """
            {%- if tools %}{{- '<|im_start|>system\\n' }}{%- if messages[0].role == 'system' %}{{- messages[0].content + '\\n\\n' }}{%- endif %}\
            {%- else %}{%- if messages[0].role == 'system' %}{{- '<|im_start|>system\\n' + messages[0].content + '<|im_end|>\\n' }}{%- endif %}{%- endif %}
            """, expected: .absent),
        Case(name: "double quotes, ~ joins, whitespace control and messages[0].role", jinja: """
            {%- if messages[0].role != "system" -%}{{- "<|im_start|>system\\n" ~ "Be \\"brief\\"." + '<|im_end|>\\n' -}}{%- endif -%}
            """, expected: .text("Be \"brief\".")),
        Case(name: "two different defaults", jinja: """
            {% if messages[0]['role'] != 'system' %}{% if x %}{{ '<|im_start|>system\\nA<|im_end|>\\n' }}{% else %}{{ '<|im_start|>system\\nB<|im_end|>\\n' }}{% endif %}{% endif %}
            """, expected: .unrecognised("it writes 2 different system turns")),
        Case(name: "a system turn written without a role test", jinja: """
            {{ '<|im_start|>system\\nAlways.<|im_end|>\\n' }}{% for message in messages %}{{ message['content'] }}{% endfor %}
            """, expected: .unrecognised("it writes a system turn without testing the first message's role")),
        Case(name: "a default joined to a variable", jinja: """
            {% if messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nToday is ' + date + '<|im_end|>\\n' }}{% endif %}
            """, expected: .unrecognised("a system turn with text is not a constant output (it is joined to other values or filtered)")),
        Case(name: "a filter makes it not a constant", jinja: """
            {% if messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nHi<|im_end|>\\n' | trim }}{% endif %}
            """, expected: .unrecognised("a system turn with text is not a constant output (it is joined to other values or filtered)")),
        Case(name: "a comment and raw text are not Jinja strings", jinja: """
            {# '<|im_start|>system\\nNo<|im_end|>\\n' #}It's '<|im_start|>system\\nNo<|im_end|>\\n'{% if messages[0]['role'] != 'system' %}{% endif %}
            """, expected: .absent),
    ]

    @Test(arguments: cases)
    func readsTheDefault(_ c: Case) {
        #expect(ChatTemplate.systemDefault(inChatML: c.jinja) == c.expected)
    }

    /// A template whose default is not read renders as plain ChatML, never a guess.
    @Test func unrecognisedDefaultsRenderAsPlainChatML() throws {
        let vocabulary = try TokenizerFixtures.smollm2.get().vocabulary
        for c in Self.cases where c.expected.text == nil {
            #expect(ChatTemplate.builtIn(for: c.jinja, vocabulary: vocabulary) == .chatML(), "\(c.name)")
        }
    }

    @Test func aSystemMessageReplacesTheDefault() throws {
        let template = ChatTemplate.chatML(defaultSystemPrompt: "D")
        #expect(try template.render([ChatMessage(role: "system", content: "S"), ChatMessage(role: "user", content: "U")], addGenerationPrompt: false)
            == "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n")
        #expect(try template.render([ChatMessage(role: "user", content: "U")], addGenerationPrompt: false)
            == "<|im_start|>system\nD<|im_end|>\n<|im_start|>user\nU<|im_end|>\n")
        #expect(template.description == "chatml")
    }
}
