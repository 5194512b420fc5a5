/// A model's own chat template (GGUF `tokenizer.chat_template`), parsed once, rendered as
/// llama.cpp's Jinja engine renders it for its server (`common_chat_templates_apply_jinja`):
///
/// - variables: `messages`, `bos_token` and `eos_token` (the vocabulary's texts),
///   `add_generation_prompt`, `enable_thinking` (true), `tools` when there are any,
///   `date_string` ("03 Dec 2026") and `datetime` ("Dec 03 2026") of the render's date, and
///   the functions `strftime_now`, `raise_exception`, `range`, `namespace`;
/// - a `developer` message is a `system` one (except in GPT-OSS templates, which know it);
/// - for a template that does not render a system message (Gemma's refuses one), a leading
///   system message is merged into the next message, `system + "\n" + content`.
public struct JinjaChatTemplate: Sendable, Equatable {
    /// The parsed template.
    public let template: JinjaTemplate
    /// The BOS token's text (`<s>`, `<|begin_of_text|>`), empty when the vocabulary has none.
    public let bosToken: String
    /// The EOS token's text.
    public let eosToken: String
    /// Whether the template writes a conversation's leading system message (probed once).
    public let supportsSystemRole: Bool
    /// Whether a render begins with `bosToken`, so a tokenizer must not add BOS again (probed
    /// once, with a one-message chat).
    public let writesBOS: Bool

    /// Parses `source` and probes it with a one-message chat, which must render and contain
    /// the message; throws the template's error otherwise.
    public init(source: String, bosToken: String, eosToken: String) throws(JinjaError) {
        let template = try JinjaTemplate(source)
        self.template = template
        self.bosToken = bosToken
        self.eosToken = eosToken
        let probe = ChatRenderOptions(date: JinjaDate(year: 2024, month: 7, day: 26))
        let user = "Strata probe: the user's message."
        let text = try Self.render(template, [["role": "user", "content": .string(user)]], bosToken: bosToken, eosToken: eosToken,
                                   addGenerationPrompt: true, options: probe)
        guard PythonText.contains(text, user) else {
            throw .runtime("the template leaves the user's message out of a one-message chat", JinjaSourceLocation(line: 1, column: 1))
        }
        writesBOS = !bosToken.isEmpty && text.utf8.starts(with: bosToken.utf8)
        let system = "Strata probe: the system message."
        let withSystem = try? Self.render(template, [["role": "system", "content": .string(system)], ["role": "user", "content": .string(user)]],
                                          bosToken: bosToken, eosToken: eosToken, addGenerationPrompt: true, options: probe)
        supportsSystemRole = withSystem.map { PythonText.contains($0, system) } ?? false
    }

    /// The prompt for `messages` (objects with `role` and `content`, and whatever else the
    /// template reads: `tool_calls`, `tool_call_id`, `reasoning_content`, ...).
    public func render(_ messages: [JinjaValue], addGenerationPrompt: Bool = true,
                       options: ChatRenderOptions = ChatRenderOptions()) throws(JinjaError) -> String {
        var messages = messages
        if !PythonText.contains(template.source, "<|channel|>") {
            for k in messages.indices {
                guard case .object(var message) = messages[k], message["role"] == .string("developer") else { continue }
                message["role"] = .string("system")
                messages[k] = .object(message)
            }
        }
        if !supportsSystemRole { messages = Self.mergingLeadingSystemMessage(messages) }
        return try Self.render(template, messages, bosToken: bosToken, eosToken: eosToken,
                               addGenerationPrompt: addGenerationPrompt, options: options)
    }

    private static func render(_ template: JinjaTemplate, _ messages: [JinjaValue], bosToken: String, eosToken: String,
                               addGenerationPrompt: Bool, options: ChatRenderOptions) throws(JinjaError) -> String {
        let date = options.date ?? .now()
        var context = JinjaObject()
        context["messages"] = .array(messages)
        context["bos_token"] = .string(bosToken)
        context["eos_token"] = .string(eosToken)
        context["add_generation_prompt"] = .bool(addGenerationPrompt)
        context["enable_thinking"] = .bool(true)
        if let tools = options.tools, !tools.isEmpty { context["tools"] = .array(tools) }
        context["date_string"] = .string(date.formatted("%d %b %Y"))
        context["datetime"] = .string(date.formatted("%b %d %Y"))
        for (name, value) in options.variables { context[name] = value }
        return try template.render(context, now: date)
    }

    /// llama.cpp's workaround for templates without a system role: a leading system message
    /// is prepended to the next message's content with a newline (and dropped when alone).
    static func mergingLeadingSystemMessage(_ messages: [JinjaValue]) -> [JinjaValue] {
        guard case .object(let first)? = messages.first, first["role"] == .string("system") else { return messages }
        var rest = Array(messages.dropFirst())
        if case .object(var next)? = rest.first {
            let system = first["content"]?.pythonString ?? ""
            let content = next["content"]?.pythonString ?? ""
            next["content"] = .string(system + "\n" + content)
            rest[0] = .object(next)
        }
        return rest
    }

    /// Templates are equal when their sources and token texts are.
    public static func == (a: JinjaChatTemplate, b: JinjaChatTemplate) -> Bool {
        a.template.source == b.template.source && a.bosToken == b.bosToken && a.eosToken == b.eosToken
    }
}
