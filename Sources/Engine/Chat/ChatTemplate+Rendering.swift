extension ChatTemplate {
    /// The chat as one prompt. A Jinja template renders it as llama.cpp's Jinja engine does
    /// (`JinjaChatTemplate`), with `options` (tools, date, more variables); it decides itself
    /// which roles and orders it accepts, and its refusals (`raise_exception`) and failures are
    /// `.invalidOrder` with its message. A built-in family renders exactly as llama.cpp's
    /// `llm_chat_apply_template` does (the end-of-sequence text written after assistant turns
    /// is `</s>` for the Llama 2 and Mistral families, as there) and ignores `options`; its
    /// messages need roles `system`, `user` or `assistant`, and a system message only first.
    /// Messages must be non-empty.
    ///
    /// With `addGenerationPrompt` the text ends with the opening of the assistant's turn
    /// (`<|im_start|>assistant\n`, ...). The built-in Llama 2 and Mistral families have none:
    /// their text ends after `[/INST]` either way, as in llama.cpp.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool = true,
                       options: ChatRenderOptions = ChatRenderOptions()) throws(ChatTemplateError) -> String {
        if case .jinja(let template) = self {
            guard !messages.isEmpty else { throw .noMessages }
            do {
                return try template.render(messages.map(\.jinjaValue), addGenerationPrompt: addGenerationPrompt, options: options)
            } catch {
                throw ChatTemplateError(error)
            }
        }
        try ChatTemplate.validate(messages)
        var out = ""
        switch self {
        case .jinja:
            preconditionFailure("rendered above")

        case .chatML(let defaultSystemPrompt):
            if let defaultSystemPrompt, messages[0].role != "system" {
                out += "<|im_start|>system\n" + defaultSystemPrompt + "<|im_end|>\n"
            }
            for m in messages { out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n" }
            if addGenerationPrompt { out += "<|im_start|>assistant\n" }

        case .llama2(let variant):
            renderLlama2(messages, systemBlock: true, bosInHistory: variant == .systemBOS,
                         strip: variant == .systemStrip, into: &out)

        case .mistral:
            renderLlama2(messages, systemBlock: false, bosInHistory: false, strip: false, into: &out)

        case .mistralOfficial(.v7):
            for m in messages {
                switch m.role {
                case "system": out += "[SYSTEM_PROMPT] " + m.content + "[/SYSTEM_PROMPT]"
                case "user": out += "[INST] " + m.content + "[/INST]"
                default: out += " " + m.content + "</s>"
                }
            }

        case .mistralOfficial(let version):
            let leading = version == .v1 ? " " : ""
            let trailing = version == .v3Tekken ? "" : " "
            var insideTurn = false
            for m in messages {
                if !insideTurn {
                    out += leading + "[INST]" + trailing
                    insideTurn = true
                }
                switch m.role {
                case "system": out += m.content + "\n\n"
                case "user": out += m.content + leading + "[/INST]"
                default:
                    out += trailing + (version == .v3 ? ChatTemplate.trimmed(m.content) : m.content) + "</s>"
                    insideTurn = false
                }
            }

        case .llama3:
            for m in messages {
                out += "<|start_header_id|>" + m.role + "<|end_header_id|>\n\n" + ChatTemplate.trimmed(m.content) + "<|eot_id|>"
            }
            if addGenerationPrompt { out += "<|start_header_id|>assistant<|end_header_id|>\n\n" }

        case .zephyr(let endOfTurn):
            for m in messages { out += "<|" + m.role + "|>\n" + m.content + endOfTurn + "\n" }
            if addGenerationPrompt { out += "<|assistant|>\n" }

        case .transcript:
            for m in messages {
                let speaker = m.role == "system" ? "System" : m.role == "user" ? "User" : "Assistant"
                out += speaker + ": " + ChatTemplate.trimmed(m.content) + "\n\n"
            }
            if addGenerationPrompt { out += "Assistant:" }
        }
        return out
    }

    /// Llama 2 layout (llama.cpp's `llama2*`): the text opens with `[INST] `; a system
    /// message is a `<<SYS>>` block (or, without `systemBlock`, its content and `\n`) inside
    /// the first turn; `user [/INST]` closes a turn's instruction; `assistant</s>` ends the
    /// turn, and the next user message opens a new `[INST] ` (`<s>[INST] ` with `bosInHistory`).
    private func renderLlama2(_ messages: [ChatMessage], systemBlock: Bool, bosInHistory: Bool, strip: Bool, into out: inout String) {
        out += "[INST] "
        var insideTurn = true
        for m in messages {
            let content = strip ? ChatTemplate.trimmed(m.content) : m.content
            if !insideTurn {
                insideTurn = true
                out += bosInHistory ? "<s>[INST] " : "[INST] "
            }
            switch m.role {
            case "system": out += systemBlock ? "<<SYS>>\n" + content + "\n<</SYS>>\n\n" : content + "\n"
            case "user": out += content + " [/INST]"
            default:
                out += content + "</s>"
                insideTurn = false
            }
        }
    }

    /// Checks what every family needs: at least one message, known roles, a system message
    /// only first.
    static func validate(_ messages: [ChatMessage]) throws(ChatTemplateError) {
        guard !messages.isEmpty else { throw .noMessages }
        for (i, m) in messages.enumerated() {
            switch m.role {
            case "system":
                guard i == 0 else { throw .invalidOrder("a system message may only come first, but message \(i) is one") }
            case "user", "assistant":
                break
            default:
                throw .unknownRole(m.role)
            }
        }
    }

    /// `text` without leading and trailing ASCII whitespace (C's `isspace`: space, `\t`,
    /// `\n`, `\v`, `\f`, `\r`), as llama.cpp's `trim`.
    static func trimmed(_ text: String) -> String {
        let utf8 = text.utf8
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (0x09...0x0D).contains(b) }
        guard let first = utf8.firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = utf8.lastIndex(where: { !isSpace($0) })!
        return String(decoding: utf8[first...last], as: UTF8.self)
    }
}
