import Testing
@testable import Engine
import TestSupport

/// Recognising the built-in family from the Jinja text in `tokenizer.chat_template` (abridged
/// versions of the models' published templates), and the fallback when there is none.
/// (`ChatTemplate(gguf:vocabulary:)` prefers the template itself, as Jinja, when it can run
/// it: `ChatTemplateJinjaTests`; the built-in family is what it falls back to.)
@Suite struct ChatTemplateDetectionTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let model: String
        let jinja: String
        let expected: ChatTemplate
        /// Detect with the GPT-2 vocabulary (EOS `<|endoftext|>`) instead of Llama's (`</s>`).
        var gpt2 = false
        var testDescription: String { model }
    }

    static let cases: [Case] = [
        Case(model: "Qwen2.5-Instruct (ChatML)", jinja: """
            {%- for message in messages %}{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}{%- endfor %}\
            {%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}
            """, expected: .chatML()),
        Case(model: "Llama-2-chat", jinja: """
            {% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}\
            {% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}\
            {% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}\
            {% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}\
            {% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}
            """, expected: .llama2(.systemStrip)),
        Case(model: "Llama 2 style with <<SYS>>, BOS in history", jinja: """
            {%- for idx in range(0, messages|length) -%}{%- if messages[idx]['role'] == 'user' -%}{%- if idx > 1 -%}\
            {{- bos_token + '[INST] ' + messages[idx]['content'] + ' [/INST]' -}}{%- else -%}{{- messages[idx]['content'] + ' [/INST]' -}}{%- endif -%}\
            {% elif messages[idx]['role'] == 'system' %}{{- '[INST] <<SYS>>\\n' + messages[idx]['content'] + '\\n<</SYS>>\\n\\n' -}}\
            {%- elif messages[idx]['role'] == 'assistant' -%}{{- ' '  + messages[idx]['content'] + ' ' + eos_token -}}{% endif %}{% endfor %}
            """, expected: .llama2(.systemBOS)),
        Case(model: "Llama 2 style with <<SYS>>", jinja: """
            {% for message in messages %}{% if message['role'] == 'system' %}{{ '<<SYS>>\\n' + message['content'] + '\\n<</SYS>>\\n\\n' }}\
            {% elif message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% else %}{{ message['content'] + eos_token }}{% endif %}{% endfor %}
            """, expected: .llama2(.system)),
        Case(model: "Mistral-7B-Instruct-v0.2", jinja: """
            {{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}\
            {{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}\
            {% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}\
            {% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% endif %}{% endfor %}
            """, expected: .mistral),
        Case(model: "Mistral v1 with a system prompt", jinja: """
            {%- if messages[0]['role'] == 'system' %}{%- set system_message = messages[0]['content'] %}{%- set loop_messages = messages[1:] %}\
            {%- else %}{%- set loop_messages = messages %}{%- endif %}{{- bos_token }}{%- for message in loop_messages %}\
            {%- if message['role'] == 'user' %}{%- if loop.first and system_message is defined %}\
            {{- ' [INST] ' + system_message + '\\n\\n' + message['content'] + ' [/INST]' }}{%- else %}{{- ' [INST] ' + message['content'] + ' [/INST]' }}{%- endif %}\
            {%- elif message['role'] == 'assistant' %}{{- ' ' + message['content'] + eos_token}}{%- endif %}{%- endfor %}
            """, expected: .mistralOfficial(.v1)),
        Case(model: "Mistral-Large-Instruct-2407 (v3)", jinja: """
            {%- for message in loop_messages %}{%- if message["role"] == "user" %}{%- if tools is not none and (message == user_messages[-1]) %}\
            {{- "[AVAILABLE_TOOLS] [" }}{%- endif %}{{- "[INST] " + message["content"] + "[/INST]" }}\
            {%- elif message["role"] == "assistant" %}{{- " " + message["content"]|trim + eos_token}}{%- endif %}{%- endfor %}
            """, expected: .mistralOfficial(.v3)),
        Case(model: "Mistral-Nemo-Instruct-2407 (v3-tekken)", jinja: """
            {%- for message in loop_messages %}{%- if message["role"] == "user" %}{%- if tools is not none and (message == user_messages[-1]) %}\
            {{- "[AVAILABLE_TOOLS][" }}{%- endif %}{{- "[INST]" + message["content"] + "[/INST]" }}\
            {%- elif message["role"] == "assistant" %}{{- message["content"] + eos_token}}{%- endif %}{%- endfor %}
            """, expected: .mistralOfficial(.v3Tekken)),
        Case(model: "Mistral-Large-Instruct-2411 (v7)", jinja: """
            {{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + '[/INST]' }}\
            {% elif message['role'] == 'system' %}{{ '[SYSTEM_PROMPT] ' + message['content'] + '[/SYSTEM_PROMPT]' }}\
            {% elif message['role'] == 'assistant' %}{{ ' ' + message['content'] + eos_token }}{% endif %}{% endfor %}
            """, expected: .mistralOfficial(.v7)),
        Case(model: "Meta-Llama-3-8B-Instruct", jinja: """
            {% set loop_messages = messages %}{% for message in loop_messages %}\
            {% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}\
            {% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}\
            {% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}
            """, expected: .llama3),
        Case(model: "zephyr-7b-beta (eos_token is </s>)", jinja: """
            {% for message in messages %}
            {% if message['role'] == 'user' %}
            {{ '<|user|>\\n' + message['content'] + eos_token }}
            {% elif message['role'] == 'system' %}
            {{ '<|system|>\\n' + message['content'] + eos_token }}
            {% elif message['role'] == 'assistant' %}
            {{ '<|assistant|>\\n'  + message['content'] + eos_token }}
            {% endif %}
            {% if loop.last and add_generation_prompt %}
            {{ '<|assistant|>' }}
            {% endif %}
            {% endfor %}
            """, expected: .zephyr(endOfTurn: "</s>")),
        Case(model: "StableLM Zephyr", jinja: """
            {% for message in messages %}{% if message['role'] == 'user' %}{{ '<|user|>\\n' + message['content'] + '<|endoftext|>\\n' }}\
            {% elif message['role'] == 'assistant' %}{{ '<|assistant|>\\n' + message['content'] + '<|endoftext|>\\n' }}{% endif %}{% endfor %}\
            {% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}
            """, expected: .zephyr(endOfTurn: "<|endoftext|>")),
        Case(model: "a Zephyr template writing eos_token, on a vocabulary whose EOS is <|endoftext|>", jinja: """
            {% for message in messages %}{% if message['role'] == 'user' %}{{ '<|user|>\\n' + message['content'] + eos_token }}\
            {% elif message['role'] == 'assistant' %}{{ '<|assistant|>\\n' + message['content'] + eos_token }}{% endif %}{% endfor %}
            """, expected: .zephyr(endOfTurn: "<|endoftext|>"), gpt2: true),
        Case(model: "Phi-3-mini", jinja: """
            {{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') %}{{'<|user|>' + '\\n' + message['content'] + '<|end|>' + '\\n' + '<|assistant|>' + '\\n'}}\
            {% elif (message['role'] == 'assistant') %}{{message['content'] + '<|end|>' + '\\n'}}{% endif %}{% endfor %}
            """, expected: .zephyr(endOfTurn: "<|end|>")),
        Case(model: "a built-in name", jinja: "llama3", expected: .llama3),
    ]

    @Test(arguments: cases)
    func recognisesTheFamily(_ c: Case) throws {
        let vocabulary = try (c.gpt2 ? TokenizerFixtures.gpt2 : TokenizerFixtures.llamaSPM).get().vocabulary
        #expect(ChatTemplate.builtIn(for: c.jinja, vocabulary: vocabulary) == c.expected)
    }

    /// Families llama.cpp knows but this type does not render fall back.
    @Test(arguments: [
        "{% for message in messages %}{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}{% endfor %}",
        "{% for message in messages %}{{'<|im_start|>' + message['role'] + '<|im_sep|>' + message['content'] + '<|im_end|>'}}{% endfor %}",
        "[gMASK]<sop>{% for item in messages %}<|{{ item['role'] }}|>\\n{{ item['content'] }}{% endfor %}<|assistant|>",
        "{{ messages }}",
        "",
    ])
    func unrecognisedTemplatesFallBack(_ jinja: String) throws {
        let spm = try TokenizerFixtures.llamaSPM.get().vocabulary
        #expect(ChatTemplate.builtIn(for: jinja, vocabulary: spm) == .transcript)
        #expect(ChatTemplate.builtIn(for: jinja, vocabulary: try Self.chatMLVocabulary()) == .chatML())
    }

    /// The committed models carry no `tokenizer.chat_template`: they get the fallback.
    @Test func committedModelsHaveNoTemplate() throws {
        for name in ["stories260K.gguf", "vocab/ggml-vocab-llama-spm.gguf", "vocab/ggml-vocab-gpt-2.gguf"] {
            let file = try GGUFFile(path: Fixtures.model(name))
            #expect(file.metadata[ChatTemplate.metadataKey] == nil)
            let vocabulary = try Vocabulary(gguf: file)
            #expect(ChatTemplate(gguf: file, vocabulary: vocabulary) == .transcript)
        }
        #expect(ChatTemplate(gguf: nil, vocabulary: try Self.chatMLVocabulary()) == .chatML())
    }

    /// A small SentencePiece vocabulary with ChatML's control tokens.
    static func chatMLVocabulary() throws -> Vocabulary {
        let tokens = ["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>", "▁", "a"]
        let types: [TokenType] = [.unknown, .control, .control, .control, .control, .normal, .normal]
        return try Vocabulary(kind: .llama, tokens: tokens, types: types, bos: 1, eos: 2, unknown: 0, addBOS: false, addSpacePrefix: true)
    }
}
