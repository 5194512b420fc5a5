extension ChatMessage {
    /// The message as a Jinja template sees it: `{"role": ..., "content": ...}`, with
    /// `tool_calls` (each `{id, type: "function", function: {name, arguments}}`, the arguments
    /// as an object where they parse, as llama.cpp passes them), `tool_call_id` and `name` when set.
    public var jinjaValue: JinjaValue {
        var message: JinjaObject = ["role": .string(role), "content": .string(content)]
        if !toolCalls.isEmpty {
            message["tool_calls"] = .array(toolCalls.map { call in
                let arguments = (try? JinjaValue(json: call.arguments)) ?? .string(call.arguments)
                return ["id": .string(call.id), "type": "function",
                        "function": ["name": .string(call.name), "arguments": arguments]]
            })
        }
        if let toolCallID { message["tool_call_id"] = .string(toolCallID) }
        if let name { message["name"] = .string(name) }
        return .object(message)
    }
}
