import Testing
@testable import Engine
import TestSupport

/// Tool-call formats (issue 16): recognised from real templates, shown to the model through
/// them, read back from replies in each family's syntax, and forced by their grammars.
@Suite struct ToolCallFormatTests {
    static let weather = ToolDefinition(
        name: "get_weather", description: "Weather in a city",
        parameters: try! JSONValue.parse(#"{"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}}, "required": ["city"]}"#))

    static func template(_ name: String) throws -> ChatTemplate {
        ChatTemplate(gguf: try TemplateFixtures.source(name + ".jinja"), vocabulary: try TokenizerFixtures.smollm2.get().vocabulary)
    }

    @Test("each family's template is recognised; others fall back to generic", arguments: [
        ("Qwen-Qwen2.5-7B-Instruct", ToolCallFormat.hermes), ("NousResearch-Hermes-3-Llama-3.1-8B-tool_use", .hermes),
        ("Qwen-Qwen3-0.6B", .hermes), ("meta-llama-Llama-3.1-8B-Instruct", .llama3), ("meta-llama-Llama-3.2-3B-Instruct", .llama3),
        ("mistralai-Mistral-Nemo-Instruct-2407", .mistral), ("google-gemma-2-2b-it", .generic), ("microsoft-Phi-3.5-mini-instruct", .generic),
    ])
    func detection(name: String, format: ToolCallFormat) throws {
        #expect(ToolCallFormat(template: try Self.template(name)) == format)
    }

    @Test("templates that know tools render them, and a call and its result round-trip through them", arguments: [
        "Qwen-Qwen2.5-7B-Instruct", "NousResearch-Hermes-3-Llama-3.1-8B-tool_use", "meta-llama-Llama-3.1-8B-Instruct",
        "mistralai-Mistral-Nemo-Instruct-2407",
    ])
    func rendering(name: String) throws {
        let template = try Self.template(name)
        let format = ToolCallFormat(template: template)
        let chat = [
            ChatMessage(role: "user", content: "Weather in Paris?"),
            ChatMessage(role: "assistant", content: "", toolCalls: [ToolCall(id: "call_abc123xyz", name: "get_weather", arguments: #"{"city": "Paris"}"#)]),
            ChatMessage(role: "tool", content: "sunny, 21 C", toolCallID: "call_abc123xyz", name: "get_weather"),
        ]
        let (messages, options) = format.prepare(chat, tools: [Self.weather])
        let text = try template.render(messages, options: options)
        #expect(text.contains("get_weather") && text.contains("Weather in a city"), "the tool is described: \(text)")
        #expect(text.contains("Paris") && text.contains("sunny, 21 C"), "the call and its result are in the prompt: \(text)")
    }

    @Test("the generic format describes the tools in a system message and turns tool results into user turns")
    func generic() throws {
        let chat = [ChatMessage(role: "system", content: "Be brief."), ChatMessage(role: "user", content: "Weather?"),
                    ChatMessage(role: "assistant", content: "", toolCalls: [ToolCall(id: "c1", name: "get_weather", arguments: #"{"city":"Oslo"}"#)]),
                    ChatMessage(role: "tool", content: "rain", toolCallID: "c1", name: "get_weather")]
        let (messages, _) = ToolCallFormat.generic.prepare(chat, tools: [Self.weather])
        #expect(messages.map(\.role) == ["system", "user", "assistant", "user"])
        #expect(messages[0].content.hasPrefix("Be brief.\n\nYou can call these tools:") && messages[0].content.contains(#""name":"get_weather""#))
        #expect(messages[2].content == #"{"tool_calls":[{"name":"get_weather","arguments":{"city":"Oslo"}}]}"#)
        #expect(messages[3].content == "Tool result of get_weather: rain")
        // A built-in family renders it (it knows no tool role).
        _ = try ChatTemplate.chatML().render(messages)
    }

    @Test("replies are read in each family's syntax; text without a call is not one", arguments: [
        (ToolCallFormat.hermes, "Sure.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>", "Sure."),
        (.hermes, "<tool_call>{\"name\": \"get_weather\", \"arguments\": \"{\\\"city\\\": \\\"Paris\\\"}\"}</tool_call>", ""),
        (.llama3, "<|python_tag|>{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}", ""),
        (.llama3, " {\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}", ""),
        (.mistral, "[TOOL_CALLS] [{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}]", ""),
        (.mistral, "[{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}]", ""),
        (.generic, "{\"tool_calls\": [{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}]}", ""),
        (.generic, "Checking. {\"tool_calls\": [{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}]}", "Checking."),
    ])
    func parsing(format: ToolCallFormat, reply: String, content: String) throws {
        let parsed = try #require(format.parse(reply, tools: [Self.weather]))
        #expect(parsed.content == content)
        #expect(parsed.calls == [ParsedToolCall(name: "get_weather", arguments: #"{"city":"Paris"}"#)])
        #expect(format.parse("It is sunny in Paris.", tools: [Self.weather]) == nil)
        #expect(format.parse(reply.replacingOccurrences(of: "get_weather", with: "launch_rockets"), tools: [Self.weather]) == nil,
                "an undeclared function is not a call")
    }

    @Test("forced calls: the grammar takes exactly the format's calls of the declared functions with valid arguments",
          arguments: [ToolCallFormat.hermes, .llama3, .mistral, .generic])
    func grammar(format: ToolCallFormat) throws {
        let other = ToolDefinition(name: "get_time", parameters: .object([]))
        let grammar = try format.grammar(tools: [Self.weather, other], choice: .required, parallel: true)
        let key = format == .llama3 ? "parameters" : "arguments"
        let call = #"{"name": "get_weather", "\#(key)": {"city": "Paris", "days": 3}}"#
        let text: String
        switch format {
        case .hermes: text = "<tool_call>\n\(call)\n</tool_call>"
        case .llama3: text = call
        case .mistral: text = "[\(call)]"
        case .generic: text = #"{"tool_calls": [\#(call)]}"#
        }
        #expect(grammar.accepts(text), "\(text)")
        #expect(format.parse(text, tools: [Self.weather, other])?.calls.count == 1)
        #expect(!grammar.accepts(text.replacingOccurrences(of: #""city": "Paris", "#, with: "")), "city is required")
        #expect(!grammar.accepts(text.replacingOccurrences(of: "get_weather", with: "get_wether")))
        let named = try format.grammar(tools: [Self.weather, other], choice: .function("get_time"), parallel: false)
        #expect(!named.accepts(text))
        #expect(throws: GrammarError.self) { try format.grammar(tools: [Self.weather], choice: .function("nope"), parallel: false) }
    }
}
