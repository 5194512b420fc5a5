import Testing
@testable import Engine

/// Rendering against llama.cpp's `tests/test-chat-template.cpp`: the same conversation
/// (system, user, assistant, user, an assistant turn with surrounding spaces, user) and the
/// outputs it expects from `llm_chat_apply_template` with the generation prompt.
@Suite struct ChatTemplateRenderingTests {
    static let conversation: [ChatMessage] = [
        ChatMessage(role: "system", content: "You are a helpful assistant"),
        ChatMessage(role: "user", content: "Hello"),
        ChatMessage(role: "assistant", content: "Hi there"),
        ChatMessage(role: "user", content: "Who are you"),
        ChatMessage(role: "assistant", content: "   I am an assistant   "),
        ChatMessage(role: "user", content: "Another question"),
    ]

    struct Case: Sendable, CustomTestStringConvertible {
        let template: ChatTemplate
        let expected: String
        var testDescription: String { template.description }
    }

    static let cases: [Case] = [
        // teknium/OpenHermes-2.5-Mistral-7B
        Case(template: .chatML(), expected: "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\nHi there<|im_end|>\n<|im_start|>user\nWho are you<|im_end|>\n<|im_start|>assistant\n   I am an assistant   <|im_end|>\n<|im_start|>user\nAnother question<|im_end|>\n<|im_start|>assistant\n"),
        // mistralai/Mistral-7B-Instruct-v0.2 (old template without a system prompt)
        Case(template: .mistral, expected: "[INST] You are a helpful assistant\nHello [/INST]Hi there</s>[INST] Who are you [/INST]   I am an assistant   </s>[INST] Another question [/INST]"),
        // TheBloke/FusionNet_34Bx2_MoE-AWQ
        Case(template: .llama2(.systemBOS), expected: "[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST]Hi there</s><s>[INST] Who are you [/INST]   I am an assistant   </s><s>[INST] Another question [/INST]"),
        // bofenghuang/vigogne-2-70b-chat
        Case(template: .llama2(.systemStrip), expected: "[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST]Hi there</s>[INST] Who are you [/INST]I am an assistant</s>[INST] Another question [/INST]"),
        // llama2-sys: the two above without <s> in the history and without trimming.
        Case(template: .llama2(.system), expected: "[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST]Hi there</s>[INST] Who are you [/INST]   I am an assistant   </s>[INST] Another question [/INST]"),
        // Llama-3
        Case(template: .llama3, expected: "<|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWho are you<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nI am an assistant<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nAnother question<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"),
        // Phi-3-small
        Case(template: .zephyr(endOfTurn: "<|end|>"), expected: "<|system|>\nYou are a helpful assistant<|end|>\n<|user|>\nHello<|end|>\n<|assistant|>\nHi there<|end|>\n<|user|>\nWho are you<|end|>\n<|assistant|>\n   I am an assistant   <|end|>\n<|user|>\nAnother question<|end|>\n<|assistant|>\n"),
        // llama.cpp's zephyr (stabilityai/stablelm-2-zephyr-1_6b)
        Case(template: .zephyr(endOfTurn: "<|endoftext|>"), expected: "<|system|>\nYou are a helpful assistant<|endoftext|>\n<|user|>\nHello<|endoftext|>\n<|assistant|>\nHi there<|endoftext|>\n<|user|>\nWho are you<|endoftext|>\n<|assistant|>\n   I am an assistant   <|endoftext|>\n<|user|>\nAnother question<|endoftext|>\n<|assistant|>\n"),
        // HuggingFaceH4/zephyr-7b-beta's Jinja template with eos_token = </s>
        Case(template: .zephyr(endOfTurn: "</s>"), expected: "<|system|>\nYou are a helpful assistant</s>\n<|user|>\nHello</s>\n<|assistant|>\nHi there</s>\n<|user|>\nWho are you</s>\n<|assistant|>\n   I am an assistant   </s>\n<|user|>\nAnother question</s>\n<|assistant|>\n"),
        // mistralai/Mistral-7B-Instruct-v0.2 (mistralai 'v1' template with a system prompt)
        Case(template: .mistralOfficial(.v1), expected: " [INST] You are a helpful assistant\n\nHello [/INST] Hi there</s> [INST] Who are you [/INST]    I am an assistant   </s> [INST] Another question [/INST]"),
        // Mistral-Large-Instruct-2407 ('v3')
        Case(template: .mistralOfficial(.v3), expected: "[INST] You are a helpful assistant\n\nHello[/INST] Hi there</s>[INST] Who are you[/INST] I am an assistant</s>[INST] Another question[/INST]"),
        // Mistral-Nemo-Instruct-2407 ('v3-tekken')
        Case(template: .mistralOfficial(.v3Tekken), expected: "[INST]You are a helpful assistant\n\nHello[/INST]Hi there</s>[INST]Who are you[/INST]   I am an assistant   </s>[INST]Another question[/INST]"),
        // mistralai/Mistral-Large-Instruct-2411 ('v7')
        Case(template: .mistralOfficial(.v7), expected: "[SYSTEM_PROMPT] You are a helpful assistant[/SYSTEM_PROMPT][INST] Hello[/INST] Hi there</s>[INST] Who are you[/INST]    I am an assistant   </s>[INST] Another question[/INST]"),
        // The fallback: llama.cpp's rwkv-world layout.
        Case(template: .transcript, expected: "System: You are a helpful assistant\n\nUser: Hello\n\nAssistant: Hi there\n\nUser: Who are you\n\nAssistant: I am an assistant\n\nUser: Another question\n\nAssistant:"),
    ]

    @Test(arguments: cases)
    func rendersLikeLlamaCpp(_ c: Case) throws {
        #expect(try c.template.render(Self.conversation) == c.expected)
    }

    /// Without the generation prompt, the families that have one end after the last turn;
    /// Llama 2 and Mistral have none and render the same either way.
    @Test func generationPromptIsOptional() throws {
        let chat = [ChatMessage(role: "system", content: "S"), ChatMessage(role: "user", content: "U")]
        #expect(try ChatTemplate.chatML().render(chat, addGenerationPrompt: false) == "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n")
        #expect(try ChatTemplate.llama3.render(chat, addGenerationPrompt: false) == "<|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nU<|eot_id|>")
        #expect(try ChatTemplate.zephyr(endOfTurn: "</s>").render(chat, addGenerationPrompt: false) == "<|system|>\nS</s>\n<|user|>\nU</s>\n")
        #expect(try ChatTemplate.transcript.render(chat, addGenerationPrompt: false) == "System: S\n\nUser: U\n\n")
        for t: ChatTemplate in [.mistral, .llama2(.system), .mistralOfficial(.v3)] {
            #expect(try t.render(chat, addGenerationPrompt: false) == t.render(chat, addGenerationPrompt: true))
        }
        #expect(try ChatTemplate.mistral.render(chat) == "[INST] S\nU [/INST]")
    }

    @Test func trimsAsciiWhitespaceOnly() throws {
        #expect(ChatTemplate.trimmed(" \t\n\u{0B}\u{0C}\r x y \r\n") == "x y")
        #expect(ChatTemplate.trimmed("\u{A0}é\u{A0}") == "\u{A0}é\u{A0}")
        #expect(ChatTemplate.trimmed("   ") == "")
        #expect(ChatTemplate.trimmed("日本") == "日本")
    }

    @Test(arguments: cases.map(\.template))
    func rejectsInvalidChats(_ template: ChatTemplate) {
        #expect(throws: ChatTemplateError.noMessages) { try template.render([]) }
        #expect(throws: ChatTemplateError.unknownRole("tool")) {
            try template.render([ChatMessage(role: "user", content: "a"), ChatMessage(role: "tool", content: "b")])
        }
        #expect(throws: ChatTemplateError.unknownRole("User")) { try template.render([ChatMessage(role: "User", content: "a")]) }
        #expect(throws: ChatTemplateError.invalidOrder("a system message may only come first, but message 1 is one")) {
            try template.render([ChatMessage(role: "user", content: "a"), ChatMessage(role: "system", content: "b")])
        }
    }

    @Test func namesRoundTrip() {
        for c in Self.cases where c.template != .zephyr(endOfTurn: "</s>") {
            #expect(ChatTemplate(name: c.template.description) == c.template)
        }
        #expect(ChatTemplate(name: "gemma") == nil)
        #expect(ChatTemplate.zephyr(endOfTurn: "</s>").description == "zephyr(</s>)")
    }

    @Test func noFamilyWritesBOS() {
        for c in Self.cases { #expect(!c.template.addsBOS) }
        #expect(ChatTemplate.transcript.stopStrings == ["\nUser:"])
        #expect(ChatTemplate.chatML().stopStrings.isEmpty)
    }
}
