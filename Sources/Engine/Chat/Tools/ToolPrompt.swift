extension ToolCallFormat {
    /// The chat, and the render options, that show `tools` to a model of this format. A template
    /// that renders tools gets them as its `tools` variable and the messages as they are. For
    /// `generic`, a system message describes the tools and the reply that calls them, an
    /// assistant turn's calls are written in that reply's form, and a tool's result becomes a
    /// user turn (templates without tools know no `tool` role).
    public func prepare(_ messages: [ChatMessage], tools: [ToolDefinition],
                        options: ChatRenderOptions = ChatRenderOptions()) -> (messages: [ChatMessage], options: ChatRenderOptions) {
        var options = options
        if templateRendersTools {
            if !tools.isEmpty { options.tools = tools.compactMap { try? JinjaValue(json: $0.openAIValue.serialized) } }
            guard self == .mistral else { return (messages, options) }
            // Mistral's templates refuse call ids that are not 9 letters and digits.
            return (messages.map { message in
                var m = message
                m.toolCalls = m.toolCalls.map { ToolCall(id: Self.mistralID($0.id), name: $0.name, arguments: $0.arguments) }
                m.toolCallID = m.toolCallID.map(Self.mistralID)
                return m
            }, options)
        }
        var out = messages.map { message -> ChatMessage in
            if message.role == "tool" {
                let from = message.name.map { " of \($0)" } ?? ""
                return ChatMessage(role: "user", content: "Tool result\(from): \(message.content)")
            }
            guard !message.toolCalls.isEmpty else { return message }
            let calls = JSONValue.array(message.toolCalls.map { call in
                .object([JSONMember(key: "name", value: .string(call.name)),
                         JSONMember(key: "arguments", value: (try? JSONValue.parse(call.arguments)) ?? .object([]))])
            })
            let reply = JSONValue.object([JSONMember(key: "tool_calls", value: calls)]).serialized
            return ChatMessage(role: "assistant", content: message.content.isEmpty ? reply : message.content + "\n" + reply)
        }
        guard !tools.isEmpty else { return (out, options) }
        let described = tools.map { "- " + $0.openAIValue["function"]!.serialized }.joined(separator: "\n")
        let system = """
            You can call these tools:
            \(described)
            To call tools, reply with only this JSON: {"tool_calls": [{"name": "<tool name>", "arguments": {<its arguments>}}]}. \
            Otherwise, reply to the user.
            """
        if out.first?.role == "system" {
            out[0].content += "\n\n" + system
        } else {
            out.insert(ChatMessage(role: "system", content: system), at: 0)
        }
        return (out, options)
    }

    /// A call id as Mistral's templates take them: its last 9 letters and digits (zeros first when fewer).
    static func mistralID(_ id: String) -> String {
        let kept = id.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }.suffix(9)
        return String(repeating: "0", count: 9 - kept.count) + String(String.UnicodeScalarView(kept))
    }
}
